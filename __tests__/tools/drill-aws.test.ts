import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { AwsDrillTarget } from "../../tools/drill-aws";
import { nodeStartedAt, runDrill, type DrillSession } from "../../tools/drill-scenario";
import { deregistrationCheck } from "../../tools/drill-checks";

/**
 * The drill's AWS side against mocked ECS, ELBv2 and CloudWatch Logs clients: the calls it makes
 * in order, and what it does when AWS throttles, a task never stops or the service never
 * becomes whole again. The scenario itself runs for real against the local cluster in
 * __tests__/e2e/real-clients.test.ts.
 */

const ecs = mockClient(ECSClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const logs = mockClient(CloudWatchLogsClient);

const CLUSTER = "keycloak-prod";
const SERVICE = "keycloak-prod";
const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/kc/1";
const arn = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task/keycloak-prod/${n}`;
const ip = (n: number) => `10.0.128.${n}`;
const task = (n: number, lastStatus = "RUNNING") => ({
  taskArn: arn(n),
  lastStatus,
  startedAt: new Date(1_000_000 + n * 600_000),
  attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: ip(n) }] }],
});
const view = (size: number, timestamp: number) => ({ timestamp, message: `INFO [org.infinispan.CLUSTER] ISPN000094: Received new cluster view for channel ISPN: [a-1|3] (${size}) [a-1, b-2]` });

/**
 * A fake ECS world: `running` tasks; StopTask marks one stopped after `stopPolls` DescribeTasks
 * polls and starts task `next` (the replacement), which becomes healthy and logs a view of 2
 * after `healPolls` target-health polls.
 */
function world(options: { running: number[]; stopPolls?: number; healPolls?: number; neverHeal?: boolean; neverJoins?: boolean; healthyUntilStopped?: boolean }) {
  let running = [...options.running];
  let stopping: { n: number; polls: number } | undefined;
  let next = Math.max(...running) + 1;
  let healing: { n: number; polls: number } | undefined;
  // The scenario stamps its events with Date.now(): the fake clock is real time plus the fake sleeps.
  let skipped = 0;
  const clock = () => Date.now() + skipped;
  const viewAt = { size: running.length, timestamp: clock() - 1 };
  ecs.on(ListTasksCommand).callsFake(() => ({ taskArns: [...running, ...(stopping ? [stopping.n] : [])].map(arn) }));
  ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((t) => {
      const n = Number(t.split("/").pop());
      if (stopping?.n === n) {
        stopping.polls++;
        if (stopping.polls > (options.stopPolls ?? 1)) {
          stopping = undefined;
          running.push(next);
          healing = { n: next++, polls: 0 };
          return task(n, "STOPPED");
        }
        return task(n, "DEACTIVATING");
      }
      return task(n, running.includes(n) ? "RUNNING" : "STOPPED");
    }),
  }));
  ecs.on(StopTaskCommand).callsFake((input: { task: string }) => {
    const n = Number(input.task.split("/").pop());
    running = running.filter((r) => r !== n);
    stopping = { n, polls: 0 };
    viewAt.size = running.length;
    viewAt.timestamp = clock();
    return { task: task(n, "STOPPING") };
  });
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, loadBalancers: [{ targetGroupArn: TG }] }] });
  elbv2.on(DescribeTargetHealthCommand).callsFake(() => {
    if (healing !== undefined && !options.neverHeal && ++healing.polls > (options.healPolls ?? 1)) {
      healing = undefined;
      viewAt.size = options.neverJoins ? 1 : running.length;
      viewAt.timestamp = clock();
    }
    const healthy = running.filter((n) => healing?.n !== n);
    // ECS deregisters a stopping task's target (draining) as it stops it; `healthyUntilStopped` is an ECS that would not.
    const leaving = stopping === undefined ? [] : [{ Target: { Id: ip(stopping.n), Port: 8080 }, TargetHealth: { State: options.healthyUntilStopped ? "healthy" : "draining" } }];
    return { TargetHealthDescriptions: [...healthy.map((n) => ({ Target: { Id: ip(n), Port: 8080 }, TargetHealth: { State: "healthy" } })), ...leaving] };
  });
  logs.on(FilterLogEventsCommand).callsFake((input: { startTime: number }) => ({
    events: viewAt.timestamp >= input.startTime ? [view(viewAt.size, viewAt.timestamp)] : [],
  }));
  return {
    target: (extra: Partial<ConstructorParameters<typeof AwsDrillTarget>[0]> = {}) =>
      new AwsDrillTarget({
        cluster: CLUSTER,
        service: SERVICE,
        logGroup: "/ecs/keycloak-prod",
        ecs: new ECSClient({ region: "eu-west-1" }),
        elbv2: new ElasticLoadBalancingV2Client({ region: "eu-west-1" }),
        logs: new CloudWatchLogsClient({ region: "eu-west-1" }),
        pollMs: 1_000,
        sleep: async (ms) => {
          skipped += ms;
        },
        now: clock,
        ...extra,
      }),
  };
}

/** A session pinned to task `pinned()` while it runs, else to the first running task; always logged in. */
const session = (pinned: () => number): DrillSession => ({
  pinnedNode: async (nodes) => nodes.find((node) => node.id === arn(pinned())) ?? nodes[0],
  check: async () => ({ ok: true, detail: "logged in" }),
});

/** The ECS calls in order, compressed: consecutive repeats of one command counted once. */
function ecsCallSequence(): string[] {
  const names = ecs.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { task?: string; tasks?: string[] } };
    const subject = (command.input.tasks ?? (command.input.task === undefined ? undefined : [command.input.task]))?.map((t) => t.split("/").pop()).join(",");
    return `${command.constructor.name.replace(/Command$/, "")}${subject === undefined ? "" : `(${subject})`}`;
  });
  return names.filter((name, i) => name !== names[i - 1]);
}

beforeEach(() => {
  ecs.reset();
  elbv2.reset();
  logs.reset();
});

test("the drill stops the session's task first, waits for ECS to replace it and the log to show a view of 2, then stops the other: one StopTask at a time", async () => {
  const w = world({ running: [1, 2] });
  const verdict = await runDrill(w.target(), session(() => 2), { checkIntervalMs: 1 });
  expect(verdict).toMatchObject({ passed: true, nodes: 2 });
  expect(verdict.rounds.map((r) => [r.stopped.id, r.wasPinned])).toEqual([
    [arn(2), true],
    // Once its task is gone the session is served by the survivor, which is then stopped too.
    [arn(1), true],
  ]);
  const stops = ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input);
  expect(stops).toEqual([
    { cluster: CLUSTER, task: arn(2), reason: "failover drill: the pinned node" },
    { cluster: CLUSTER, task: arn(1), reason: "failover drill: the other node" },
  ]);
  expect(ecsCallSequence()).toEqual([
    // The nodes, their health before anything is stopped, and where the session is pinned.
    ...["ListTasks", "DescribeTasks(1,2)", "ListTasks", "DescribeTasks(1,2)", "DescribeServices", "ListTasks", "DescribeTasks(1,2)"],
    // The session's task, polled until STOPPED and no longer listed; then the service until its replacement (3) is healthy.
    ...["DescribeServices", "StopTask(2)", "DescribeTasks(2)", "ListTasks", "DescribeTasks(1,3)", "ListTasks", "DescribeTasks(1,3)", "DescribeServices", "ListTasks", "DescribeTasks(1,3)", "DescribeServices"],
    // Only then the other original task, and again until the service is whole.
    ...["ListTasks", "DescribeTasks(1,3)", "DescribeServices", "StopTask(1)", "DescribeTasks(1)", "ListTasks", "DescribeTasks(3,4)", "ListTasks", "DescribeTasks(3,4)", "DescribeServices", "ListTasks", "DescribeTasks(3,4)", "DescribeServices"],
  ]);
  expect(logs.commandCalls(FilterLogEventsCommand).every((call) => call.args[0].input.filterPattern === "ISPN000094")).toBe(true);
});

test("each stopped task's target is recorded leaving (draining) at the first poll after StopTask, before the task is STOPPED", async () => {
  const w = world({ running: [1, 2], stopPolls: 3 });
  const target = w.target();
  const verdict = await runDrill(target, session(() => 2), { checkIntervalMs: 1 });
  expect(verdict.passed).toBe(true);
  // Whole seconds of the fake clock: the scenario's own work adds real milliseconds.
  const seconds = (from: number, to?: number) => Math.round((to! - from) / 1000);
  expect(target.deregistrations.map((r) => [r.taskId, r.address, r.targetStateWhenLeft, seconds(r.stopRequestedAt, r.targetLeftAt), seconds(r.stopRequestedAt, r.stoppedAt)])).toEqual([
    [arn(2), ip(2), "draining", 0, 3],
    [arn(1), ip(1), "draining", 0, 3],
  ]);
  expect(deregistrationCheck(target.deregistrations)).toMatchObject({ passed: true, evidence: expect.stringContaining("target draining after 0.0 s, task STOPPED after 3.0 s") });
});

test("a target that stays registered until its task is STOPPED fails the deregistration check", async () => {
  const w = world({ running: [1, 2], stopPolls: 3, healthyUntilStopped: true });
  const target = w.target();
  await runDrill(target, session(() => 2), { checkIntervalMs: 1 });
  expect(target.deregistrations[0]).toMatchObject({ taskId: arn(2), stoppedAt: expect.any(Number) });
  expect(target.deregistrations[0].targetLeftAt).toBeUndefined();
  expect(deregistrationCheck(target.deregistrations)).toMatchObject({ passed: false, evidence: expect.stringContaining("target still registered after never, task STOPPED after 3.0 s") });
});

test("the task size comes from DescribeTasks' task-level cpu and memory; a task without them is an error", async () => {
  const w = world({ running: [1, 2] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ ...task(1), cpu: "1024", memory: "2048" }] });
  await expect(w.target().taskSize(arn(1))).resolves.toEqual({ cpuUnits: 1024, memoryMiB: 2048 });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [task(1)] });
  await expect(w.target().taskSize(arn(1))).rejects.toThrow(/reports no task-level cpu and memory/);
});

test("throttled calls are repeated with growing pauses and the drill still passes; throttling that never ends fails the drill with AWS's error", async () => {
  const w = world({ running: [1, 2] });
  const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
  ecs.on(ListTasksCommand).rejectsOnce(throttled).rejectsOnce(throttled).callsFake(() => ({ taskArns: [arn(1), arn(2)] }));
  const pauses: number[] = [];
  const target = w.target({ sleep: async (ms) => void pauses.push(ms) });
  await expect(target.listNodes()).resolves.toHaveLength(2);
  expect(pauses).toEqual([1_000, 2_000]);

  ecs.on(ListTasksCommand).rejects(throttled);
  await expect(w.target({ throttleAttempts: 3 }).listNodes()).rejects.toThrow("Rate exceeded");
  expect(ecs.commandCalls(ListTasksCommand).length).toBe(3 + 3);
});

test("an error other than throttling is not repeated", async () => {
  world({ running: [1, 2] });
  ecs.on(ListTasksCommand).rejects(Object.assign(new Error("no such cluster"), { name: "ClusterNotFoundException" }));
  const target = new AwsDrillTarget({
    cluster: CLUSTER,
    service: SERVICE,
    logGroup: "g",
    ecs: new ECSClient({ region: "eu-west-1" }),
    elbv2: new ElasticLoadBalancingV2Client({ region: "eu-west-1" }),
    logs: new CloudWatchLogsClient({ region: "eu-west-1" }),
    sleep: async () => {},
  });
  await expect(target.listNodes()).rejects.toThrow("no such cluster");
  expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(1);
});

test("a task that never reaches STOPPED aborts the drill after the stop timeout, and the other task is never stopped", async () => {
  const w = world({ running: [1, 2], stopPolls: Number.MAX_SAFE_INTEGER });
  const verdict = await runDrill(w.target({ stopTimeoutMs: 60_000, pollMs: 5_000 }), session(() => 1), { checkIntervalMs: 1 });
  expect(verdict.passed).toBe(false);
  expect(verdict.aborted).toMatch(/task .*\/1 did not stop within 60 s \(last status DEACTIVATING\)/);
  expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task)).toEqual([arn(1)]);
});

test("a replacement that never becomes healthy aborts the drill with the service's state, and the other task is never stopped", async () => {
  const w = world({ running: [1, 2], neverHeal: true });
  const verdict = await runDrill(w.target(), session(() => 1), { checkIntervalMs: 1, healthyTimeoutMs: 120_000 });
  expect(verdict.passed).toBe(false);
  expect(verdict.aborted).toMatch(/did not get 2 healthy, clustered tasks within 120 s \(2 running, 1 of them healthy in the target group, latest cluster view 1 since the stop\)/);
  expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
});

test("a replacement that is healthy in the target group but never joins the cluster (the log shows no view of 2) aborts the drill", async () => {
  const w = world({ running: [1, 2], neverJoins: true });
  const verdict = await runDrill(w.target(), session(() => 1), { checkIntervalMs: 1, healthyTimeoutMs: 120_000 });
  expect(verdict.aborted).toMatch(/\(2 running, 2 of them healthy in the target group, latest cluster view 1 since the stop\)/);
  expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
});

test("a StopTask that ECS accepts but that leaves the task running aborts the drill before any other task is stopped", async () => {
  const w = world({ running: [1, 2] });
  ecs.on(StopTaskCommand).resolves({});
  ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({ tasks: input.tasks.map((t) => task(Number(t.split("/").pop()), t.endsWith("/1") && input.tasks.length === 1 ? "STOPPED" : "RUNNING")) }));
  const verdict = await runDrill(w.target(), session(() => 1), { checkIntervalMs: 1 });
  expect(verdict.aborted).toMatch(/task\/keycloak-prod\/1 still runs after it was stopped/);
  expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
});

test("a service that runs fewer tasks than before refuses the second stop", async () => {
  const w = world({ running: [1, 2], healPolls: 0 });
  const target = w.target();
  // ECS replaces the first task, but the service then loses another one on its own before the second stop.
  const original = target.waitHealthy.bind(target);
  let rounds = 0;
  target.waitHealthy = async (count, since, timeoutMs) => {
    const nodes = await original(count, since, timeoutMs);
    if (since > 0 && ++rounds === 1) ecs.on(ListTasksCommand).resolves({ taskArns: [arn(3)] });
    return nodes;
  };
  const verdict = await runDrill(target, session(() => 1), { checkIntervalMs: 1 });
  expect(verdict.aborted).toMatch(/before stopping the other node: 1 of 2 nodes run/);
  expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
});

test("a session that is not logged in before anything is stopped stops nothing", async () => {
  const w = world({ running: [1, 2] });
  const verdict = await runDrill(w.target(), { pinnedNode: async (n) => n[0], check: async () => ({ ok: false, detail: "login_required" }) });
  expect(verdict).toMatchObject({ passed: false, aborted: expect.stringContaining("login_required") });
  expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
});

test("the session's task is the one that started last before the serving JVM did; two tasks started within 10 s of each other are not told apart", () => {
  const nodes = [1, 2].map((n) => ({ id: arn(n), address: ip(n), startedAt: task(n).startedAt.getTime() }));
  // The JVM starts a few seconds after ECS reports the task started.
  expect(nodeStartedAt(nodes, nodes[1].startedAt + 4_000)?.id).toBe(arn(2));
  expect(nodeStartedAt(nodes, nodes[0].startedAt + 4_000)?.id).toBe(arn(1));
  expect(nodeStartedAt(nodes, nodes[0].startedAt - 1_000)).toBeUndefined();
  expect(nodeStartedAt([nodes[0], { ...nodes[1], startedAt: nodes[0].startedAt + 5_000 }], nodes[0].startedAt + 9_000)).toBeUndefined();
});
