import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PORTS } from "../../modules/shared/constants";
import { EcsServiceStandIn, type EcsTask } from "../support/ecs-lifecycle";
import { healthCheckArgv, runHealthCheck, unhealthyAfterHangMs } from "../support/container-health";
import { ecsTimingsOf, type ContainerHealthCheck, type EcsTimings, type TargetHealthCheck } from "../support/ecs-timings";
import { synthStack } from "../../modules/synth";
import { crashContainer, freezeContainer, groupRunning, stopContainer } from "../support/ecs-stop";
import { Haproxy, makeCertificate } from "../support/haproxy";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { killGroup } from "../support/teardown";
import { sleep } from "../support/waiting";

/**
 * The ECS stand-in's signals and failure detection on real processes and a real haproxy (on
 * loopback): a stop signals the container's PID 1 only, so an entrypoint that does not pass
 * SIGTERM on is SIGKILLed after stopTimeout, as on Fargate; a crash deregisters the target as the
 * task stops; a hang is found only by the health check, after its own window.
 */

jest.setTimeout(60_000);

/** The Keycloak container's health check command, as synthesized (bash, /dev/tcp to 127.0.0.1's management port, GET /health/live). */
const SYNTHESIZED_CHECK = ecsTimingsOf(synthStack({ desiredCount: 2, maxCount: 4, dbPoolMaxSize: 15 }), "keycloak-test").containerHealthCheck.command;

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ecs-stop-"));
  dirs.push(dir);
  return dir;
}

/** A process group, as a task: `argv` spawned detached (its own group, the pid its leader). */
function startGroup(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore", env });
  child.unref();
  return child.pid!;
}

describe("ECS's stop: SIGTERM to the container's PID 1 only, SIGKILL after stopTimeout", () => {
  const STOP_TIMEOUT_MS = 1_500;

  /** docker/entrypoint.sh (or a copy with `edit` applied) in front of a kc.sh that ends on SIGTERM. */
  async function stopEntrypoint(edit: (script: string) => string = (s) => s) {
    const dir = tempDir();
    const entrypoint = join(dir, "entrypoint.sh");
    writeFileSync(entrypoint, edit(readFileSync(join(REPO_ROOT, "docker", "entrypoint.sh"), "utf8")));
    // Keycloak's kc.sh ends on SIGTERM (its JVM shuts down); the stand-in ends at once.
    // Its own child (the JVM's part): the group holds more than PID 1, as a task does.
    const marker = join(dir, "kc.sh-running");
    writeFileSync(join(dir, "kc.sh"), `#!/bin/bash\nsleep 30 & child=$!\ntrap 'kill $child; exit 143' TERM\n: > '${marker}'\nwait $child\n`, { mode: 0o755 });
    const pid = startGroup(["/bin/bash", entrypoint, "start"], { PATH: `${dir}:/usr/bin:/bin`, KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS: "198.18.0.11" });
    for (let i = 0; !existsSync(marker); i++) {
      if (i > 100) throw new Error("the kc.sh stand-in never ran");
      await sleep(50);
    }
    return stopContainer(pid, STOP_TIMEOUT_MS);
  }

  test("the entrypoint (exec kc.sh) passes SIGTERM on: the task ends well before stopTimeout, without SIGKILL", async () => {
    const outcome = await stopEntrypoint();
    expect(outcome.killed).toBe(false);
    expect(outcome.exitMs).toBeLessThan(STOP_TIMEOUT_MS);
  });

  test("an entrypoint that runs kc.sh without exec does not pass SIGTERM on: the task is SIGKILLed after stopTimeout", async () => {
    const outcome = await stopEntrypoint((script) => {
      const edited = script.replace('exec kc.sh "$@"', 'kc.sh "$@"');
      expect(edited).not.toBe(script);
      return edited;
    });
    expect(outcome.killed).toBe(true);
    expect(outcome.exitMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS);
  });

  test("a wrapper that does not forward signals leaves its child to the SIGKILL, where a signal to the whole group would have ended it", async () => {
    const pid = startGroup(["/bin/bash", "-c", "sleep 30; :"]);
    await sleep(300);
    const outcome = await stopContainer(pid, STOP_TIMEOUT_MS);
    expect(outcome).toEqual({ killed: true, exitMs: expect.any(Number) });
    expect(groupRunning(pid)).toBe(false);
  });
});

/** A free TCP port on `host`. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A task answering 200 on Keycloak's ports at `address` (a loopback address of its own), in its own process group. */
class FakeTask implements EcsTask {
  private pid?: number;

  constructor(
    readonly name: string,
    readonly address: string,
  ) {}

  get running(): boolean {
    return this.pid !== undefined && groupRunning(this.pid);
  }

  async start(): Promise<void> {
    const program = `const http = require("node:http"); for (const port of [${PORTS.http}, ${PORTS.management}]) http.createServer((q, r) => r.end("ok")).listen(port, "${this.address}");`;
    this.pid = startGroup([process.execPath, "-e", program]);
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.address, PORTS.management)) return;
      await sleep(50);
    }
    throw new Error(`${this.name} did not listen on ${this.address}`);
  }

  stop(stopTimeoutMs: number) {
    return stopContainer(this.pid!, stopTimeoutMs);
  }

  async kill(): Promise<void> {
    crashContainer(this.pid!);
    while (this.running) await sleep(20);
  }

  freeze(frozen = true): void {
    freezeContainer(this.pid!, frozen);
  }

  /** The container's command against this task's own address (a loopback address of its own here, where a container has 127.0.0.1). */
  healthCheck(command: string[], timeoutMs: number): Promise<boolean> {
    return runHealthCheck(healthCheckArgv(command).map((arg) => arg.replaceAll("127.0.0.1", this.address)), timeoutMs);
  }

  cleanUp(): void {
    if (this.pid !== undefined) {
      killGroup(this.pid, "SIGCONT");
      killGroup(this.pid, "SIGKILL");
    }
  }

  logTail(): string {
    return "";
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/**
 * Short timings (not the synthesized ones: these tests are about which mechanism acts, not about
 * AWS's numbers): the target group's check, the drain and stop timeout, the container's check.
 */
function shortTimings(check: Pick<TargetHealthCheck, "intervalMs" | "timeoutMs" | "unhealthyThreshold">, stopMs: number, container: Omit<ContainerHealthCheck, "command">): EcsTimings {
  return {
    scale: 1,
    healthCheck: { path: "/health/ready", port: PORTS.management, matcher: "200", healthyThreshold: 2, ...check },
    deregistrationDelayMs: stopMs,
    stopTimeoutMs: stopMs,
    containerHealthCheck: { command: SYNTHESIZED_CHECK, ...container },
    desiredCount: 2,
    minimumHealthyPercent: 100,
    maximumPercent: 150,
  };
}

/** haproxy on loopback in front of `tasks`, as the target group with `timings`, none registered yet. */
async function proxyFor(tasks: FakeTask[], timings: EcsTimings): Promise<Haproxy> {
  const dir = tempDir();
  return Haproxy.start({
    dir,
    bindAddress: "127.0.0.1",
    bindPort: await freePort("127.0.0.1"),
    certificate: makeCertificate(dir, "keycloak.e2e.test"),
    backends: tasks.map((t) => ({ name: t.name, address: t.address })),
    targetGroup: timings,
    registered: [],
  });
}

describe("which window takes a failed task out of the target group", () => {
  /** Checks every 300 ms, failing after 200 ms, DOWN after 3 failures. */
  // The container health check is not run here: this service has no replacement policy.
  const timings = shortTimings({ intervalMs: 300, timeoutMs: 200, unhealthyThreshold: 3 }, 1_000, { intervalMs: 300, timeoutMs: 200, retries: 3, startPeriodMs: 0 });
  const hc = timings.healthCheck;
  /** The health check's window: the failed checks in a row, the first perhaps starting just before the failure. */
  const healthCheckWindowMs = (hc.unhealthyThreshold + 1) * hc.intervalMs + hc.timeoutMs;
  let proxy: Haproxy;
  let ecs: EcsServiceStandIn<FakeTask>;
  const tasks = [new FakeTask("task-a", "127.0.0.2"), new FakeTask("task-b", "127.0.0.3")];

  beforeAll(async () => {
    proxy = await proxyFor(tasks, timings);
    ecs = new EcsServiceStandIn<FakeTask>(proxy, timings, (task) => task.start());
    for (const task of tasks) await ecs.runTask(task, 10_000);
  });

  afterAll(() => {
    tasks.forEach((t) => t.cleanUp());
    proxy?.kill();
  });

  test("a crash (the container exits) takes the target out as the task stops, before the health check could", async () => {
    const { deregisteredAfterMs } = await ecs.crash(tasks[0]);
    const state = (await proxy.serverStates())[tasks[0].name];
    expect(state).toMatch(/^MAINT/);
    expect(deregisteredAfterMs).toBeLessThan(hc.intervalMs * hc.unhealthyThreshold);
  });

  test("a hang (every process frozen) stays registered and in service until the health check fails it, after its window", async () => {
    const frozenAt = Date.now();
    ecs.hang(tasks[1]);
    // Still registered, still taking traffic, for at least unhealthyThreshold - 1 intervals.
    await sleep((hc.unhealthyThreshold - 1) * hc.intervalMs);
    expect((await proxy.serverStates())[tasks[1].name]).toMatch(/^UP/);
    expect(ecs.tasks).toContain(tasks[1]);
    await ecs.waitUnhealthy(tasks[1], 10_000);
    const tookMs = Date.now() - frozenAt;
    expect(tookMs).toBeGreaterThanOrEqual((hc.unhealthyThreshold - 1) * hc.intervalMs);
    expect(tookMs).toBeLessThanOrEqual(healthCheckWindowMs + 500);
    // Nothing exited: the frozen task is still there for ECS to replace.
    expect(tasks[1].running).toBe(true);
  });
});

describe("a hang found by the container health check (the synthesized command): ECS replaces the task before the target group's window", () => {
  /**
   * Short timings, in the synthesized proportions: the target group's window (10 checks 500 ms
   * apart) is longer than the container check's (3 runs 200 ms apart, 200 ms timeout) plus a
   * replacement's start and healthy threshold.
   */
  const timings = shortTimings({ intervalMs: 500, timeoutMs: 200, unhealthyThreshold: 10 }, 500, { intervalMs: 200, timeoutMs: 200, retries: 3, startPeriodMs: 0 });
  const targetWindowMs = (timings.healthCheck.unhealthyThreshold - 1) * timings.healthCheck.intervalMs;

  async function hangUnder(breaks?: "no-container-check") {
    const tasks = [new FakeTask("task-a", "127.0.0.4"), new FakeTask("task-b", "127.0.0.5"), new FakeTask("task-c", "127.0.0.6")];
    const proxy = await proxyFor(tasks, timings);
    try {
      const ecs = new EcsServiceStandIn<FakeTask>(proxy, timings, (task) => task.start(), breaks, {
        spareFor: () => tasks.find((t) => !t.running),
        startTimeoutMs: 10_000,
      });
      for (const task of tasks.slice(0, 2)) await ecs.runTask(task, 10_000);
      // Healthy tasks pass their checks: nothing is replaced.
      await sleep(5 * timings.containerHealthCheck.intervalMs);
      expect(ecs.replacements).toEqual([]);
      const frozenAt = Date.now();
      ecs.hang(tasks[1]);
      let outAfterMs: number | undefined;
      let downAfterMs: number | undefined;
      // haproxy starts the next check `inter` after a timed-out one ended: its window runs longer than the ALB's.
      while (Date.now() - frozenAt < 4 * targetWindowMs && outAfterMs === undefined && downAfterMs === undefined) {
        const state = (await proxy.serverStates())[tasks[1].name];
        if (state.startsWith("MAINT")) outAfterMs = Date.now() - frozenAt;
        if (state.startsWith("DOWN")) downAfterMs = Date.now() - frozenAt;
        await sleep(20);
      }
      await Promise.all(ecs.replacements.map((r) => r.done));
      return { ecs, frozenAt, outAfterMs, downAfterMs, othersRunning: [tasks[0].running, tasks[2].running] };
    } finally {
      tasks.forEach((t) => t.cleanUp());
      proxy.kill();
    }
  }

  test("the hung task is UNHEALTHY after the check's retries, the replacement starts first (150 %), and the hung target is deregistered before the target group would fail it", async () => {
    const { ecs, frozenAt, outAfterMs, downAfterMs, othersRunning } = await hangUnder();
    expect({ downAfterMs, out: outAfterMs !== undefined && outAfterMs < targetWindowMs }).toEqual({ downAfterMs: undefined, out: true });
    expect(ecs.replacements.map(({ task, replacement, order, error }) => ({ task, replacement, order, error }))).toEqual([{ task: "task-b", replacement: "task-c", order: "start-first", error: undefined }]);
    const [r] = ecs.replacements;
    // UNHEALTHY within retries x (interval + timeout) of the freeze (+ the check's process start-up).
    expect(r.unhealthyAt - frozenAt).toBeLessThanOrEqual(unhealthyAfterHangMs(timings.containerHealthCheck) + 300);
    // Deregistered only once the replacement was healthy, and stopped with SIGKILL (a frozen process cannot handle SIGTERM).
    expect(r.replacementHealthyAt!).toBeLessThanOrEqual(frozenAt + outAfterMs!);
    expect(r.stop!.killed).toBe(true);
    expect({ tasks: ecs.tasks.map((t) => t.name), othersRunning }).toEqual({ tasks: ["task-a", "task-c"], othersRunning: [true, true] });
  });

  test("without the container health check (the break), the hung target stays until the target group's window fails it, and nothing replaces it", async () => {
    const { ecs, outAfterMs, downAfterMs } = await hangUnder("no-container-check");
    expect(outAfterMs).toBeUndefined();
    expect(downAfterMs!).toBeGreaterThanOrEqual(targetWindowMs);
    expect(ecs.replacements).toEqual([]);
  });
});
