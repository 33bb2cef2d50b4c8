import type { Disruption } from "./disruption";

/** The cluster e2e's record of one run, written as markdown for the README's "from a real run". */

export interface NodeSizing {
  node: string;
  /** The task size the cgroup enforces, e.g. "1 vCPU / 2048 MiB". */
  size: string;
  /** What the node's JVM reported on /metrics. */
  processors?: number;
  heapMaxMiB?: number;
  /** memory.max_usage_in_bytes over the whole run, and during the login load. */
  peakMiB?: number;
  loadPeakMiB?: number;
  failcnt?: number;
  oomKills?: number;
  cpuSeconds?: number;
  /** CFS periods in which the task's CPU quota ran out. */
  throttledPeriods?: number;
}

export interface LoadResult {
  users: number;
  seconds: number;
  logins: number;
  failed: number;
  /** CPU seconds of both nodes' cgroups during the load. */
  cpuSeconds: number;
  /** vCPUs of the tasks that served it (sum of task cpu / 1024). */
  vcpus: number;
  /** Median and 95th percentile of one full login, in ms. */
  p50Ms: number;
  p95Ms: number;
}

/** Keycloak's published sizing: password logins per second one vCPU sustains. */
export const PUBLISHED_LOGINS_PER_VCPU_SECOND = 15;

export class ClusterSummary {
  readonly steps = new Map<string, { result: "pass" | "FAIL"; seconds: number }>();
  readonly starts: { node: string; run: number; size: string; seconds: number }[] = [];
  readonly formations: { event: string; seconds: number }[] = [];
  readonly disruptions: Disruption[] = [];
  readonly survivors: { event: string; notReadyAfter?: number; readyAgainAfter?: number }[] = [];
  readonly sizing = new Map<string, NodeSizing>();
  load?: LoadResult;
  readonly notes: string[] = [];
  /** Further markdown sections (tables), printed before the notes. */
  readonly sections: string[] = [];

  constructor(
    private readonly stepNames: readonly string[],
    private readonly survivorWatchSeconds: number,
  ) {}

  sizingOf(node: string, size: string): NodeSizing {
    if (!this.sizing.has(node)) this.sizing.set(node, { node, size });
    return this.sizing.get(node)!;
  }

  markdown(version: string, totalSeconds: number): string {
    const f1 = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(1));
    const lines = [
      `# Keycloak cluster e2e: ${new Date().toISOString()}`,
      "",
      `Keycloak ${version}, ${Math.round(totalSeconds)} s in total.`,
      "",
      "| Step | Result | Seconds |",
      "| --- | --- | --- |",
      ...this.stepNames.map((name) => {
        const entry = this.steps.get(name);
        return `| ${name} | ${entry?.result ?? "not run"} | ${entry ? entry.seconds.toFixed(1) : "-"} |`;
      }),
      "",
      "| Node (task size, cgroup) | JVM sees CPUs | JVM max heap (MiB) | Peak memory (MiB) | Peak during login load (MiB) | Limit hit (failcnt / OOM kills) | CPU seconds | Periods throttled |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...[...this.sizing.values()].map(
        (s) =>
          `| ${s.node} (${s.size}) | ${s.processors ?? "-"} | ${s.heapMaxMiB?.toFixed(0) ?? "-"} | ${s.peakMiB?.toFixed(0) ?? "-"} | ${
            s.loadPeakMiB?.toFixed(0) ?? "-"
          } | ${s.failcnt ?? "-"} / ${s.oomKills ?? "-"} | ${f1(s.cpuSeconds)} | ${s.throttledPeriods ?? "-"} |`,
      ),
      "",
      "| Node start | Task size | Start to ready (s) |",
      "| --- | --- | --- |",
      ...this.starts.map((s) => `| ${s.node} #${s.run} | ${s.size} | ${s.seconds.toFixed(1)} |`),
      "",
      "| Cluster formation | Seconds |",
      "| --- | --- |",
      ...this.formations.map((f) => `| ${f.event} | ${f.seconds.toFixed(1)} |`),
      "",
      "| Lone survivor's /health/ready after its peer was killed | Not ready after (s) | Ready again after (s) |",
      "| --- | --- | --- |",
      ...this.survivors.map(
        (v) =>
          `| ${v.event} | ${v.notReadyAfter?.toFixed(1) ?? "stayed ready"} | ${
            v.readyAgainAfter?.toFixed(1) ?? (v.notReadyAfter === undefined ? "-" : `not within ${this.survivorWatchSeconds}`)
          } |`,
      ),
      "",
      "| Disruption (client polling the proxy every 200 ms) | Requests | Failed (bound) | Recovered after s (bound) | First failures |",
      "| --- | --- | --- | --- | --- |",
      ...this.disruptions.map(
        (d) =>
          `| ${d.event} | ${d.requests} | ${d.bound.failOpen ? `${d.failed - d.failedFailOpen} (<= ${d.bound.maxFailed}${failOpenNote(d)})` : `${d.failed} (<= ${d.bound.maxFailed})`} | ${f1(d.recoveredAfterSeconds)} (<= ${d.bound.maxRecoverySeconds}${
            d.bound.failOpen && d.failOpenUntilSeconds > 0 ? ` after fail-open ended at ${f1(d.failOpenUntilSeconds)} (<= ${f1(d.bound.failOpen.maxUntilSeconds)})` : ""
          }) | ${
            d.failures.join("; ").replace(/\|/g, "/") || "-"
          } |`,
      ),
      "",
      ...this.loadLines(),
      ...this.sections.flatMap((section) => [section, ""]),
      ...this.disruptions.map((d) => `- Bound of "${d.event}": ${d.bound.reason}${d.bound.failOpen ? `; while failing open: ${d.bound.failOpen.reason}` : ""}.`),
      ...this.notes.map((note) => `- ${note}`),
      "",
    ];
    return lines.join("\n");
  }

  private loadLines(): string[] {
    const load = this.load;
    if (load === undefined) return [];
    const perVcpu = load.logins / load.seconds / load.vcpus;
    return [
      `| Login load through the proxy | Value |`,
      "| --- | --- |",
      `| users, duration | ${load.users} concurrent, ${load.seconds.toFixed(0)} s |`,
      `| full browser logins (failed) | ${load.logins} (${load.failed}) |`,
      `| logins/s | ${(load.logins / load.seconds).toFixed(1)} |`,
      `| logins/s per task vCPU (${load.vcpus} vCPU) | ${perVcpu.toFixed(1)} (Keycloak's sizing: ~${PUBLISHED_LOGINS_PER_VCPU_SECOND}) |`,
      `| CPU seconds per login | ${(load.cpuSeconds / Math.max(1, load.logins)).toFixed(3)} |`,
      `| login latency p50 / p95 (ms) | ${load.p50Ms.toFixed(0)} / ${load.p95Ms.toFixed(0)} |`,
      "",
    ];
  }
}

/** Where the bound counts failures while the proxy had no healthy target apart: those, and their own bound. */
function failOpenNote(d: Disruption): string {
  return d.bound.failOpen ? ` with a healthy target; ${d.failedFailOpen} while failing open (<= ${d.bound.failOpen.maxFailed})` : "";
}
