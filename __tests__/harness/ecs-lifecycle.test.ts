import { EcsServiceStandIn, type LifecycleBreak } from "../support/ecs-lifecycle";
import { ecsTimingsOf } from "../support/ecs-timings";
import type { Haproxy } from "../support/haproxy";
import type { KeycloakNode } from "../support/keycloak-node";
import { synthStack } from "../../modules/synth";
import { waitFor } from "../support/waiting";

/** The ECS stand-in's order of operations, with a recording proxy and nodes that only log what happens to them. */

const timings = ecsTimingsOf(synthStack({ desiredCount: 2, maxCount: 4, dbPoolMaxSize: 15 }), "keycloak-test");

function fakes(breaks?: LifecycleBreak, replacing?: { maximumPercent: number; failing: Set<string> }) {
  const log: string[] = [];
  const proxy = {
    runtime: async (command: string) => void log.push(command),
    serverStats: async () => [],
    serverStates: async () => new Proxy({}, { get: () => "UP" }),
  } as unknown as Haproxy;
  const node = (name: string) => {
    let running = false;
    return {
      name,
      get running() {
        return running;
      },
      start: async () => void ((running = true), log.push(`start ${name}`)),
      stop: async (ms: number) => ((running = false), log.push(`SIGTERM ${name}, SIGKILL after ${ms} ms`), { exitMs: 0, killed: false }),
      freeze: (frozen = true) => void log.push(`${frozen ? "SIGSTOP" : "SIGCONT"} ${name}`),
      kill: async () => void ((running = false), log.push(`SIGKILL ${name}`)),
      healthCheck: async () => !replacing?.failing.has(name),
      logTail: () => "",
    } as unknown as KeycloakNode;
  };
  const nodes = ["node-a", "node-b", "node-c", "node-d"].map(node);
  const policy = replacing && { spareFor: (unhealthy: KeycloakNode) => nodes.find((n) => !n.running && n !== unhealthy), startTimeoutMs: 1_000 };
  const ecsTimings = replacing ? { ...timings, maximumPercent: replacing.maximumPercent, containerHealthCheck: { ...timings.containerHealthCheck, intervalMs: 10, startPeriodMs: 0 } } : timings;
  const ecs = new EcsServiceStandIn(proxy, ecsTimings, (n) => n.start([]), breaks, policy);
  return { log, nodes, ecs };
}

test("a new task is registered after its start and forced DOWN before it leaves maintenance, so it gets traffic only after the healthy threshold", async () => {
  const { log, nodes, ecs } = fakes();
  await ecs.runTask(nodes[0], 1_000);
  expect(log).toEqual([
    "start node-a",
    "set server keycloak/node-a state drain",
    "set server keycloak/node-a health down",
    "set server keycloak/node-a state ready",
    "set server keycloak_fail_open/node-a state ready",
  ]);
});

test("a graceful stop deregisters the target from both backends before SIGTERM, with the container's stopTimeout; the breaks skip those links", async () => {
  for (const [breaks, expected] of [
    [undefined, ["set server keycloak/node-a state maint", "set server keycloak_fail_open/node-a state maint", `SIGTERM node-a, SIGKILL after ${timings.stopTimeoutMs} ms`]],
    ["no-drain", [`SIGTERM node-a, SIGKILL after ${timings.stopTimeoutMs} ms`]],
    ["kill-at-once", ["set server keycloak/node-a state maint", "set server keycloak_fail_open/node-a state maint", "SIGKILL node-a"]],
  ] as const) {
    const { log, nodes, ecs } = fakes(breaks);
    await ecs.runTask(nodes[0], 1_000);
    log.length = 0;
    await ecs.stopTask(nodes[0]);
    expect({ breaks, log }).toEqual({ breaks, log: expected });
    expect(ecs.tasks).toEqual([]);
  }
});

test("a crash (the container exits) deregisters the target from both backends once the task's processes are gone, as ECS does when the task stops", async () => {
  const { log, nodes, ecs } = fakes();
  await ecs.runTask(nodes[0], 1_000);
  log.length = 0;
  await ecs.crash(nodes[0]);
  expect(log).toEqual(["SIGKILL node-a", "set server keycloak/node-a state maint", "set server keycloak_fail_open/node-a state maint"]);
  expect(ecs.tasks).toEqual([]);
});

test("a hang (every process frozen) deregisters nothing: the target stays for the health check to fail", async () => {
  const { log, nodes, ecs } = fakes();
  await ecs.runTask(nodes[0], 1_000);
  log.length = 0;
  ecs.hang(nodes[0]);
  expect(log).toEqual(["SIGSTOP node-a"]);
  expect(ecs.tasks).toEqual([nodes[0]]);
});

test("a rolling deploy follows the synthesized percentages (one task at a time at 150 %), and a maximum of 200 % would start two and stop both old tasks together", async () => {
  for (const [breaks, expected] of [
    [undefined, ["node-c started (2 -> 3 tasks)", "node-a stopped gracefully (3 -> 2 tasks)", "node-d started (2 -> 3 tasks)", "node-b stopped gracefully (3 -> 2 tasks)"]],
    ["max-percent-200", ["node-c, node-d started (2 -> 4 tasks)", "node-a, node-b stopped gracefully (4 -> 2 tasks)"]],
  ] as const) {
    const { nodes, ecs } = fakes(breaks);
    for (const node of nodes.slice(0, 2)) await ecs.runTask(node, 1_000);
    const steps: string[] = [];
    await ecs.rollingDeploy(nodes.slice(2), 1_000, async (label, body) => {
      steps.push(label.replace(/^deploy: /, ""));
      await body();
    });
    expect({ breaks, steps }).toEqual({ breaks, steps: expected });
    expect(ecs.tasks.map((n) => n.name)).toEqual(["node-c", "node-d"]);
  }
});

test("a task its container health check finds UNHEALTHY is replaced as ECS does: the replacement first while the maximum percent leaves room, else the unhealthy task stopped first", async () => {
  for (const [maximumPercent, expected] of [
    [150, ["start node-c", "set server keycloak/node-c state drain", "set server keycloak/node-c health down", "set server keycloak/node-c state ready", "set server keycloak_fail_open/node-c state ready", "set server keycloak/node-b state maint", "set server keycloak_fail_open/node-b state maint", `SIGTERM node-b, SIGKILL after ${timings.stopTimeoutMs} ms`]],
    [100, ["set server keycloak/node-b state maint", "set server keycloak_fail_open/node-b state maint", `SIGTERM node-b, SIGKILL after ${timings.stopTimeoutMs} ms`, "start node-c", "set server keycloak/node-c state drain", "set server keycloak/node-c health down", "set server keycloak/node-c state ready", "set server keycloak_fail_open/node-c state ready"]],
  ] as const) {
    const failing = new Set<string>();
    const { log, nodes, ecs } = fakes(undefined, { maximumPercent, failing });
    for (const node of nodes.slice(0, 2)) await ecs.runTask(node, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ecs.replacements).toEqual([]);
    log.length = 0;
    failing.add("node-b");
    await waitFor("the replacement", 5_000, () => ecs.replacements[0]);
    await ecs.replacements[0].done;
    expect({ maximumPercent, log, order: ecs.replacements[0].order, error: ecs.replacements[0].error }).toEqual({ maximumPercent, log: expected, order: maximumPercent === 150 ? "start-first" : "stop-first", error: undefined });
    expect(ecs.tasks.map((n) => n.name)).toEqual(["node-a", "node-c"]);
    // node-a kept passing: never replaced.
    expect(ecs.replacements.map((r) => r.task)).toEqual(["node-b"]);
    failing.add("node-a").add("node-c");
    // Stop watching: every task stopped.
    for (const node of [...ecs.tasks]) await ecs.stopTask(node);
  }
});

test("the break no-container-check runs no container health check: nothing is replaced", async () => {
  const failing = new Set(["node-b"]);
  const { nodes, ecs } = fakes("no-container-check", { maximumPercent: 150, failing });
  for (const node of nodes.slice(0, 2)) await ecs.runTask(node, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(ecs.replacements).toEqual([]);
  for (const node of [...ecs.tasks]) await ecs.stopTask(node);
});
