import { minimumSecondsToUnhealthy } from "../../modules/service/task-lifecycle";
import { unhealthyAfterHangMs } from "./container-health";
import type { ReplacementRecord } from "./ecs-lifecycle";
import type { KeycloakNode } from "./keycloak-node";
import type { LifecycleRun } from "./lifecycle-run";
import type { WindowStats } from "./user-load";
import { sleep, waitFor } from "./waiting";

/**
 * A hung task (every process frozen, SIGSTOP: a JVM that stopped answering) under the lifecycle
 * e2e's load on the ECS stand-in, watched from outside the stand-in's bookkeeping: the proxy's
 * target states and per-target request counters, the load's requests, the nodes' processes.
 */

/** How often the proxy and the tasks are sampled. */
const SAMPLE_MS = 250;
/** The shortest client timeout of the load's requests (a login's steps, tools/keycloak-http/browser.ts; a refresh waits 20 s): each request sent to the hung task fails after at least this long. */
export const SHORTEST_REQUEST_TIMEOUT_MS = 15_000;

export interface HangResult {
  event: string;
  stats: WindowStats;
  hung: string;
  other: string;
  hungWasCoordinator: boolean;
  /** Session users whose stickiness cookie named the hung task at the freeze. */
  pinnedToHung: string[];
  /** Freeze to the first sample with the hung target out of service (MAINT: deregistered, draining). */
  outAfterMs?: number;
  /** Freeze to the first sample with the proxy's own health check (the target group's) holding it DOWN. */
  downAfterMs?: number;
  /** The target group's window: it fails a target no sooner than this after its readiness stops answering. */
  targetGroupWindowMs: number;
  /** The container health check's worst case from a hang to UNHEALTHY: retries x (interval + timeout). */
  unhealthyBoundMs: number;
  /** Requests the proxy gave the hung target from its first sample out of service on (its session counter). */
  requestsToHungAfterOut?: number;
  replacement?: string;
  /** The replacement's process start to the proxy holding its target UP. */
  replacementStartToUpMs?: number;
  /** Freeze to the replacement's target UP. */
  replacementUpAfterMs?: number;
  /** The hung task's processes gone (its stop: drain, SIGTERM, SIGKILL after stopTimeout), after the freeze. */
  hungGoneAfterMs?: number;
  /** The stand-in's own record (reported, not asserted on). */
  record?: Pick<ReplacementRecord, "order" | "error"> & { unhealthyAfterMs: number };
  /** Failed requests: started after the hung target was out; of session users not pinned to it. */
  failedAfterOut: string[];
  failedUnpinnedSessionUsers: string[];
  /** Failures per user, the most of one user, and the bound: each failure to the hung task takes a client timeout, so ceil(out / SHORTEST_REQUEST_TIMEOUT_MS) + 1. */
  maxFailuresOfOneUser: number;
  failuresPerUserBound?: number;
  /** Pinned users without a successful refresh after the hung task was out (their session lost or stuck). */
  pinnedWithoutRefreshAfterOut: string[];
  reloginsPinned: string[];
  reloginsUnpinned: string[];
  /** The other task: starts during the event, running at the end, target states other than UP seen. */
  otherStarts: number;
  otherRunning: boolean;
  otherOutOfService: string[];
  tasksAfter: string[];
}

/** The task a stickiness cookie pins to: haproxy's `maxlife` appends dates to the server's name (`node-a|axW2y|axW2x`). */

/** Freezes the task with the most session users pinned to it, and watches until it is replaced (or the target group fails it). */
export async function runHang(run: LifecycleRun): Promise<HangResult> {
  const load = run.load!;
  const timings = run.ecs.timings;
  const lastPin = (user: string) => load.samples.filter((s) => s.user === user).at(-1)?.pinnedTo;
  const [a, b] = run.ecs.tasks;
  const pinned = (node: KeycloakNode) => load.sessionUsers.filter((user) => lastPin(user) === node.name);
  const hung = pinned(b).length >= pinned(a).length ? b : a;
  const other = hung === a ? b : a;
  const pinnedToHung = pinned(hung);
  const hungWasCoordinator = hung.views().at(-1)?.members[0] === hung.localName();
  const otherStartsBefore = other.starts.length;
  const targetGroupWindowMs = minimumSecondsToUnhealthy({
    intervalSeconds: timings.healthCheck.intervalMs / 1000,
    timeoutSeconds: timings.healthCheck.timeoutMs / 1000,
    healthyThreshold: timings.healthCheck.healthyThreshold,
    unhealthyThreshold: timings.healthCheck.unhealthyThreshold,
  }) * 1000;
  const unhealthyBoundMs = unhealthyAfterHangMs(timings.containerHealthCheck);

  let frozenAt = 0;
  let outAt: number | undefined;
  let downAt: number | undefined;
  let hungTotalAtOut: number | undefined;
  let hungTotalLast: number | undefined;
  let hungGoneAt: number | undefined;
  const upAt = new Map<string, number>();
  const otherOutOfService = new Set<string>();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const stats = await run.stand.proxy.serverStats().catch(() => []);
      const now = Date.now();
      const state = (name: string) => stats.find((s) => s.backend === "keycloak" && s.server === name)?.status ?? "?";
      const total = stats.filter((s) => s.server === hung.name).reduce((sum, s) => sum + s.total, 0);
      if (frozenAt > 0) {
        if (outAt === undefined && state(hung.name).startsWith("MAINT")) {
          outAt = now;
          hungTotalAtOut = total;
        }
        if (downAt === undefined && state(hung.name).startsWith("DOWN")) downAt = now;
        if (stats.length > 0) hungTotalLast = total;
        if (hungGoneAt === undefined && !hung.running) hungGoneAt = now;
        for (const node of run.nodes) if (node !== hung && node !== other && state(node.name) === "UP" && !upAt.has(node.name)) upAt.set(node.name, now);
        if (!state(other.name).startsWith("UP")) otherOutOfService.add(`${other.name} ${state(other.name)}`);
      }
      await sleep(SAMPLE_MS);
    }
  })();

  const event = `hang (SIGSTOP) of ${hung.name}${hungWasCoordinator ? ", the coordinator" : ""}, ${pinnedToHung.length} session users pinned to it`;
  let record: ReplacementRecord | undefined;
  let stats: WindowStats;
  try {
    stats = await run.measure(event, async () => {
      frozenAt = Date.now();
      run.ecs.hang(hung);
      // ECS replaces it (container health check), or the target group fails it first (its own window, longer under haproxy: each failed check ends a timeout later).
      await waitFor(`${hung.name} replaced, or failed by the target group`, unhealthyBoundMs + 8 * 60_000, () => {
        record = run.ecs.replacements.find((r) => r.task === hung.name);
        return record !== undefined || downAt !== undefined ? true : undefined;
      }, SAMPLE_MS);
      if (record !== undefined) {
        await record.done;
        // A replacement that never became healthy is a result (record.error), not a reason to stop watching.
        if (record.error === undefined) await run.formCluster();
      }
    });
  } finally {
    watching = false;
    await watch;
  }

  const outAfterMs = outAt === undefined ? undefined : outAt - frozenAt;
  const end = frozenAt + stats.seconds * 1000;
  const inEvent = load.samples.filter((s) => s.at >= frozenAt && s.at < end);
  const failed = inEvent.filter((s) => !s.ok);
  const perUser = new Map<string, number>();
  for (const s of failed) perUser.set(s.user, (perUser.get(s.user) ?? 0) + 1);
  const replacementNode = run.nodes.find((node) => node.name === record?.replacement);
  const replacementUp = replacementNode === undefined ? undefined : upAt.get(replacementNode.name);
  const relogins = load.relogins.filter((r) => r.at >= frozenAt && r.at < end);
  const describe = (s: (typeof failed)[number]) => `${((s.at - frozenAt) / 1000).toFixed(1)} s ${s.kind} of ${s.user} (pinned to ${s.pinnedTo ?? "-"}): ${s.detail?.slice(0, 80)}`;
  return {
    event,
    stats,
    hung: hung.name,
    other: other.name,
    hungWasCoordinator,
    pinnedToHung,
    outAfterMs,
    downAfterMs: downAt === undefined ? undefined : downAt - frozenAt,
    targetGroupWindowMs,
    unhealthyBoundMs,
    requestsToHungAfterOut: hungTotalAtOut === undefined || hungTotalLast === undefined ? undefined : hungTotalLast - hungTotalAtOut,
    replacement: record?.replacement,
    replacementStartToUpMs: replacementUp === undefined ? undefined : replacementUp - replacementNode!.starts.at(-1)!.startedAt,
    replacementUpAfterMs: replacementUp === undefined ? undefined : replacementUp - frozenAt,
    hungGoneAfterMs: hungGoneAt === undefined ? undefined : hungGoneAt - frozenAt,
    record: record && { order: record.order, error: record.error, unhealthyAfterMs: record.unhealthyAt - frozenAt },
    failedAfterOut: failed.filter((s) => outAt === undefined || s.at > outAt).map(describe),
    failedUnpinnedSessionUsers: failed.filter((s) => s.kind === "refresh" && !pinnedToHung.includes(s.user)).map(describe),
    maxFailuresOfOneUser: Math.max(0, ...perUser.values()),
    failuresPerUserBound: outAfterMs === undefined ? undefined : Math.ceil(outAfterMs / SHORTEST_REQUEST_TIMEOUT_MS) + 1,
    pinnedWithoutRefreshAfterOut: pinnedToHung.filter((user) => !load.samples.some((s) => s.user === user && s.kind === "refresh" && s.ok && outAt !== undefined && s.at > outAt)),
    reloginsPinned: relogins.filter((r) => pinnedToHung.includes(r.user)).map((r) => r.user),
    reloginsUnpinned: relogins.filter((r) => !pinnedToHung.includes(r.user)).map((r) => r.user),
    otherStarts: other.starts.length - otherStartsBefore,
    otherRunning: other.running,
    otherOutOfService: [...otherOutOfService],
    tasksAfter: run.ecs.tasks.map((node) => node.name),
  };
}

/** One line for the summary and the README. */
export function describeHang(r: HangResult): string {
  const s = (ms?: number) => (ms === undefined ? "never" : `${(ms / 1000).toFixed(1)} s`);
  return (
    `${r.event}: ${r.stats.requests} requests, ${r.stats.failed} failed (at most ${r.maxFailuresOfOneUser} of one user, bound ${r.failuresPerUserBound ?? "-"}; ${r.failedAfterOut.length} after the target was out), ` +
    `${r.reloginsPinned.length + r.reloginsUnpinned.length} re-logins; UNHEALTHY (stand-in's record) after ${s(r.record?.unhealthyAfterMs)} (bound ${s(r.unhealthyBoundMs)}), replacement ${r.replacement ?? "none"} (${r.record?.order ?? "-"}) UP after ${s(r.replacementUpAfterMs)} ` +
    `(its start to UP ${s(r.replacementStartToUpMs)}); hung target out of service (deregistered) after ${s(r.outAfterMs)}, requests to it after that ${r.requestsToHungAfterOut ?? "-"}; ` +
    `target group DOWN ${s(r.downAfterMs)} (its window ${s(r.targetGroupWindowMs)}); hung task's processes gone after ${s(r.hungGoneAfterMs)}; ${r.other} starts ${r.otherStarts}, states other than UP: ${r.otherOutOfService.join(", ") || "none"}.`
  );
}
