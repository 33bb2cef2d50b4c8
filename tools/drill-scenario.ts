/**
 * The original failover scenario as one routine, shared by `npm run drill` (a deployed stack,
 * tools/drill-aws.ts) and the local e2e (__tests__/support/drill-local.ts): a logged-in session
 * is pinned to one node; that node is stopped, the session is checked the whole time, the
 * service replaces the node and the cluster is whole again; then the other original node; a
 * verdict with timings. It never stops a node while fewer nodes than at the start are healthy.
 */

export interface DrillNode {
  /** ECS task ARN, or the local node's name. */
  id: string;
  /** The task's private address. */
  address: string;
  /** When the node (task) started, ms since the epoch. */
  startedAt: number;
}

/** What the drill needs of a service: the one interface both the AWS and the local side implement. */
export interface DrillTarget {
  /** The service's running nodes. */
  listNodes(): Promise<DrillNode[]>;
  /** Stops one node and resolves once it is gone; the service itself starts its replacement. */
  stopNode(node: DrillNode, reason: string): Promise<void>;
  /**
   * Resolves once `count` nodes run, take traffic and form one cluster of `count` (counting only
   * cluster views logged after `since`, ms since the epoch); rejects after `timeoutMs`.
   */
  waitHealthy(count: number, since: number, timeoutMs: number): Promise<DrillNode[]>;
}

export interface SessionCheck {
  ok: boolean;
  detail: string;
}

/** A logged-in user: where it is pinned, and whether it is still logged in. */
export interface DrillSession {
  /** The node among `nodes` that serves this session now. */
  pinnedNode(nodes: DrillNode[]): Promise<DrillNode>;
  /** One navigation with the session; ok = served without a login being asked. */
  check(): Promise<SessionCheck>;
}

export interface DrillOptions {
  /** Pause between two session checks. @default 2_000 */
  checkIntervalMs?: number;
  /** How long a replacement may take to be healthy and clustered. @default 15 minutes (ECS: stop, start, health-check grace) */
  healthyTimeoutMs?: number;
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
}

export interface DrillRound {
  /** "pinned node" or "other node". */
  role: string;
  stopped: DrillNode;
  /** Whether the stopped node was the one the session was pinned to at that moment. */
  wasPinned: boolean;
  stopSeconds: number;
  /** From the stop request until `count` nodes are healthy and clustered again. */
  recoveredSeconds: number;
  checks: number;
  failedChecks: string[];
}

export interface DrillVerdict {
  passed: boolean;
  nodes: number;
  rounds: DrillRound[];
  /** Why the drill stopped early, when it did. */
  aborted?: string;
}

/** Checks the session every `intervalMs` until `stop()`; a check that throws counts as failed. */
class SessionWatch {
  private running = true;
  private readonly done: Promise<void>;
  checks = 0;
  readonly failures: string[] = [];

  constructor(session: DrillSession, intervalMs: number, log: (line: string) => void) {
    this.done = (async () => {
      while (this.running) {
        const started = Date.now();
        const result = await session.check().catch((error: unknown) => ({ ok: false, detail: (error as Error).message }));
        this.checks++;
        if (!result.ok) {
          this.failures.push(`${new Date(started).toISOString()} ${result.detail}`);
          log(`  session check FAILED: ${result.detail}`);
        }
        if (this.running) await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export async function runDrill(target: DrillTarget, session: DrillSession, options: DrillOptions = {}): Promise<DrillVerdict> {
  const log = options.log ?? (() => {});
  const intervalMs = options.checkIntervalMs ?? 2_000;
  const healthyTimeoutMs = options.healthyTimeoutMs ?? 15 * 60_000;
  const original = await target.listNodes();
  const verdict: DrillVerdict = { passed: false, nodes: original.length, rounds: [] };
  if (original.length < 2) {
    verdict.aborted = `the service runs ${original.length} node(s): a failover drill needs at least 2`;
    return verdict;
  }
  await target.waitHealthy(original.length, 0, healthyTimeoutMs);
  const first = await session.check();
  if (!first.ok) {
    verdict.aborted = `the session is not logged in before any node is stopped: ${first.detail}`;
    return verdict;
  }
  const pinned = await session.pinnedNode(original);
  const other = original.find((node) => node.id !== pinned.id)!;
  log(`${original.length} nodes; the session is pinned to ${pinned.id}`);

  for (const [role, victim] of [["pinned node", pinned], ["other node", other]] as const) {
    const running = await target.listNodes();
    if (running.length < original.length || !running.some((node) => node.id === victim.id)) {
      verdict.aborted = `before stopping the ${role}: ${running.length} of ${original.length} nodes run (${victim.id} ${running.some((n) => n.id === victim.id) ? "among them" : "not among them"}); never more than one down at a time`;
      break;
    }
    const nowPinned = await session.pinnedNode(running);
    const watch = new SessionWatch(session, intervalMs, log);
    const stoppedAt = Date.now();
    let stopSeconds = 0;
    try {
      log(`stopping the ${role} ${victim.id}`);
      await target.stopNode(victim, `failover drill: the ${role}`);
      stopSeconds = (Date.now() - stoppedAt) / 1000;
      // A stop that took another node, or none, would prove nothing about the session's node.
      if ((await target.listNodes()).some((node) => node.id === victim.id)) throw new Error(`${victim.id} still runs after it was stopped`);
      log(`  stopped after ${stopSeconds.toFixed(1)} s; waiting for ${original.length} healthy, clustered nodes`);
      await target.waitHealthy(original.length, stoppedAt, healthyTimeoutMs);
    } catch (error) {
      verdict.aborted = `${role} ${victim.id}: ${(error as Error).message}`;
    } finally {
      await watch.stop();
    }
    const round: DrillRound = {
      role,
      stopped: victim,
      wasPinned: nowPinned.id === victim.id,
      stopSeconds,
      recoveredSeconds: (Date.now() - stoppedAt) / 1000,
      checks: watch.checks,
      failedChecks: watch.failures,
    };
    verdict.rounds.push(round);
    log(`  ${role}: ${round.checks} session checks, ${round.failedChecks.length} failed; whole again after ${round.recoveredSeconds.toFixed(1)} s`);
    if (verdict.aborted !== undefined) break;
  }
  verdict.passed =
    verdict.aborted === undefined &&
    verdict.rounds.length === 2 &&
    verdict.rounds[0].wasPinned &&
    verdict.rounds.every((round) => round.checks > 0 && round.failedChecks.length === 0);
  return verdict;
}

/** The verdict as lines for people. */
export function formatVerdict(verdict: DrillVerdict): string {
  const lines = [`verdict: ${verdict.passed ? "PASS" : "FAIL"} (${verdict.nodes} nodes)`];
  for (const round of verdict.rounds) {
    lines.push(
      `- ${round.role} ${round.stopped.id}${round.wasPinned ? " (the session's node)" : ""}: stopped in ${round.stopSeconds.toFixed(1)} s, ` +
        `${verdict.nodes} healthy and clustered again after ${round.recoveredSeconds.toFixed(1)} s, ` +
        `${round.checks - round.failedChecks.length} of ${round.checks} session checks logged in`,
    );
    for (const failure of round.failedChecks.slice(0, 5)) lines.push(`    failed: ${failure}`);
  }
  if (verdict.rounds.length > 0 && !verdict.rounds[0].wasPinned) lines.push("- the first node stopped was not the session's node: the drill proved nothing about failover");
  if (verdict.aborted !== undefined) lines.push(`- aborted: ${verdict.aborted}`);
  return lines.join("\n");
}

/**
 * The node among `nodes` whose start best explains a server start time (Keycloak's serverinfo:
 * server time minus uptime); undefined when two nodes started within `ambiguityMs` of each other
 * around it or none started before it.
 */
export function nodeStartedAt(nodes: DrillNode[], serverStartedAt: number, ambiguityMs = 10_000): DrillNode | undefined {
  const before = nodes.filter((node) => node.startedAt <= serverStartedAt).sort((x, y) => y.startedAt - x.startedAt);
  if (before.length === 0) return undefined;
  if (before.length > 1 && before[0].startedAt - before[1].startedAt < ambiguityMs) return undefined;
  return before[0];
}
