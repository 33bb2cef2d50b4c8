import { HEALTH_LIVE_PATH, PORTS } from "../../modules/shared/constants";
import { TASK_LIFECYCLE } from "../../modules/service/task-lifecycle";
import { databaseRecoverySeconds, DB_POOL_VALIDATION_ENVIRONMENT } from "../../modules/service/db-failover";
import { Browser, fetchOnce } from "../../tools/keycloak-http/browser";
import { dataSnapshot, witnessLogsIn, writeWitness, type DataSnapshot } from "./fault-data";
import type { KeycloakNode } from "./keycloak-node";
import type { LifecycleRun } from "./lifecycle-run";
import { failOver, type FailoverTimes } from "./rds-failover";
import type { Relogin, WindowStats } from "./user-load";
import { sleep, waitFor } from "./waiting";

/**
 * The database faults AWS delivers, under the lifecycle e2e's load on the ECS stand-in: an RDS
 * Multi-AZ failover (rds-failover.ts), and an availability zone lost (a task killed, as ECS stops
 * the tasks of a lost zone, and the database failed over at the same moment). Each returns what
 * the load, the target group and the tasks' liveness saw, and the data before and after; the
 * e2e files assert on it.
 */

export interface DbFault {
  /** From the primary's loss to the standby serving under the endpoint's name. */
  outageMs: number;
  /** Also kill one task when the primary is lost (its zone is gone). */
  zoneLoss?: boolean;
  /** After the standby serves: how long the load may still fail, the bound the e2e asserts. */
  recoveryBoundMs: number;
}

export interface DbFaultResult {
  event: string;
  stats: WindowStats;
  times: FailoverTimes;
  /** Failed requests, by where they started: before the fault (none may), during the outage, after the standby served. */
  failedDuringOutage: number;
  failedAfterBack: number;
  /** Failed requests started later than the recovery bound after the standby served. */
  failedAfterBound: number;
  /** Failed requests started before the fault (a request in flight may hang into it: counted from LONGEST_REFRESH_MS before). */
  failedBeforeFault: number;
  /** From the standby serving to the start of the first request after which none failed. */
  recoveryMs: number;
  recoveryBoundMs: number;
  /** The failed requests by start (s after the primary's loss), kind, and error: the first and the last few. */
  failureTimeline: string[];
  /** Session users without a successful refresh after the recovery bound. */
  usersWithoutProgressAfterRecovery: string[];
  /** Target states of the surviving tasks that make ECS replace a task (DOWN: the target group holds it unhealthy). */
  survivorTargetsUnhealthy: string[];
  /** The most consecutive failed liveness checks of a surviving task (ECS replaces it at the container health check's retries). */
  livenessMaxConsecutiveFailures: number;
  livenessFailures: number;
  /** Tasks of the service stopped by anything but the fault itself. */
  tasksStopped: number;
  killed?: string;
  pinnedToKilled: string[];
  /**
   * Re-logins Keycloak forced, each with whether its refused refresh token worked again once the
   * database was back (the session was still there) and whether the zone loss explains it (see
   * expectSurvived).
   */
  relogins: { user: string; pinnedTo?: string; atS: number; sessionKept: boolean; explained: boolean }[];
  dataBefore: DataSnapshot;
  dataAfter: DataSnapshot;
  witnessLogsIn: boolean;
  /** The account API's answer when the witness consented, before the fault. */
  witnessConsentStatus: number;
  /** The nodes' DNS queries for the endpoint after it moved (they did follow the name). */
  endpointQueriesAfterMove: number;
}

/** The refresh's own timeout (user-load.ts): a request started this long before the fault may still fail in it. */
const LONGEST_REFRESH_MS = 20_000;
/** How often the target group's states and the tasks' liveness are sampled. */
const WATCH_MS = 1_000;

/** From the standby serving to the load succeeding again, by the model (db-failover.ts). */
export const RECOVERY_BOUND_MS = databaseRecoverySeconds() * 1000;

/** ECS's container health check: /health/live on the management port, failing after its timeout. */
async function live(node: KeycloakNode): Promise<boolean> {
  try {
    const response = await fetchOnce(`http://${node.address}:${PORTS.management}${HEALTH_LIVE_PATH}`, { address: node.address }, { timeoutMs: TASK_LIFECYCLE.containerHealthCheck.timeoutSeconds * 1000 });
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Whether a zone loss explains a re-login (see expectSurvived): its user was pinned to the killed
 * task before the fault, and the refused refresh was sent while the database was failing over.
 */
export function explainedByZoneLoss(relogin: Pick<Relogin, "user" | "at">, pinnedToKilled: readonly string[], t: Pick<FailoverTimes, "lostAt" | "backAt">): boolean {
  return pinnedToKilled.includes(relogin.user) && relogin.at >= t.lostAt && relogin.at < t.backAt;
}

/** Runs `fault` under the run's load and returns what it did. */
export async function runDbFault(run: LifecycleRun, fault: DbFault): Promise<DbFaultResult> {
  const stand = run.stand;
  const load = run.load!;
  const [first] = run.ecs.tasks;
  const witness = await writeWitness(first, stand.realm);
  const dataBefore = dataSnapshot(stand.db);
  const victim = fault.zoneLoss ? run.ecs.tasks.at(-1) : undefined;
  const survivors = run.ecs.tasks.filter((node) => node !== victim);
  const pinnedToKilled = victim === undefined ? [] : load.sessionUsers.filter((user) => load.samples.filter((s) => s.user === user).at(-1)?.pinnedTo === victim.name);
  const stopsBefore = run.ecs.stops.length;

  const unhealthy = new Set<string>();
  const consecutive = new Map<string, number>();
  let livenessMaxConsecutiveFailures = 0;
  let livenessFailures = 0;
  let watching = true;
  const watch = (async () => {
    let tick = 0;
    while (watching) {
      const states = await stand.proxy.serverStates().catch(() => ({}) as Record<string, string>);
      for (const node of survivors) if (states[node.name]?.startsWith("DOWN")) unhealthy.add(`${node.name} ${states[node.name]}`);
      // The container health check's own interval.
      if (tick++ % (TASK_LIFECYCLE.containerHealthCheck.intervalSeconds * 1000 / WATCH_MS) === 0) {
        for (const node of survivors) {
          const ok = await live(node);
          const count = ok ? 0 : (consecutive.get(node.name) ?? 0) + 1;
          consecutive.set(node.name, count);
          if (!ok) livenessFailures++;
          livenessMaxConsecutiveFailures = Math.max(livenessMaxConsecutiveFailures, count);
        }
      }
      await sleep(WATCH_MS);
    }
  })();

  const event = `${fault.zoneLoss ? "zone loss (a task killed, the database failed over)" : "RDS Multi-AZ failover"}, ${fault.outageMs / 1000} s outage`;
  let times: FailoverTimes | undefined;
  let killed: string | undefined;
  const stats = await run.measure(event, async () => {
    times = await failOver(stand, fault.outageMs, async () => {
      if (victim === undefined) return;
      await run.ecs.crash(victim);
      killed = victim.name;
    });
    // The load runs on until the bound has passed, plus as long again to show it stays recovered.
    await sleep(2 * fault.recoveryBoundMs);
    if (victim !== undefined) {
      // ECS's replacement in a zone that is left: it can start only with a database to start on.
      const spare = run.spares().find((node) => node !== victim) ?? victim;
      await run.ecs.runTask(spare, 4 * 60_000);
      await waitFor("the cluster to form again", 2 * 60_000, async () => (run.ecs.tasks.every((node) => node.clusterSize() === run.ecs.tasks.length) ? true : undefined));
    }
  });
  watching = false;
  await watch;
  const t = times!;
  const relogins = [];
  for (const r of stats.relogins) {
    // Asked once the database is back: is the session still there (the refusal was the fault's), or gone?
    const again = await new Browser(stand.proxyEndpoint).request(`${stand.realm.issuer}/protocol/openid-connect/token`, {
      form: { grant_type: "refresh_token", refresh_token: r.refusedRefreshToken, client_id: "account-console" },
      timeoutMs: 20_000,
    });
    const explained = explainedByZoneLoss(r, pinnedToKilled, t);
    relogins.push({ user: r.user, pinnedTo: r.pinnedTo, atS: Math.round((r.at - t.lostAt) / 100) / 10, sessionKept: again.status === 200, explained });
  }
  const inWindow = load.samples.filter((s) => s.at >= t.lostAt - LONGEST_REFRESH_MS && s.at < t.lostAt + stats.seconds * 1000);
  const failed = inWindow.filter((s) => !s.ok);
  const lastFailure = Math.max(0, ...failed.map((s) => s.at));
  const firstGoodAfter = inWindow.filter((s) => s.ok && s.at > lastFailure).reduce((min, s) => Math.min(min, s.at), Number.POSITIVE_INFINITY);
  const boundEnd = t.backAt + fault.recoveryBoundMs;
  return {
    event,
    stats,
    times: t,
    failedBeforeFault: failed.filter((s) => s.at < t.lostAt - LONGEST_REFRESH_MS).length,
    failedDuringOutage: failed.filter((s) => s.at < t.backAt).length,
    failedAfterBack: failed.filter((s) => s.at >= t.backAt).length,
    failedAfterBound: failed.filter((s) => s.at > boundEnd).length,
    recoveryMs: Math.max(0, firstGoodAfter - t.backAt),
    recoveryBoundMs: fault.recoveryBoundMs,
    failureTimeline: [...failed.slice(0, 8), ...failed.slice(Math.max(8, failed.length - 8))].map((f) => `${((f.at - t.lostAt) / 1000).toFixed(1)} s +${(f.ms / 1000).toFixed(1)} s ${f.kind} ${f.user}: ${f.detail?.slice(0, 100)}`),
    usersWithoutProgressAfterRecovery: load.sessionUsers.filter((user) => !load.samples.some((s) => s.user === user && s.ok && s.at > boundEnd)),
    survivorTargetsUnhealthy: [...unhealthy],
    livenessMaxConsecutiveFailures,
    livenessFailures,
    tasksStopped: run.ecs.stops.length - stopsBefore,
    killed,
    pinnedToKilled,
    relogins,
    dataBefore,
    dataAfter: dataSnapshot(stand.db),
    witnessLogsIn: await witnessLogsIn(survivors[0], witness),
    witnessConsentStatus: witness.consentStatus,
    endpointQueriesAfterMove: stand.failoverDatabase!.dns.queries.filter((q) => q.at >= t.backAt && q.answered === t.to).length,
  };
}

/** One line of the run's summary for a fault. */
export function describeDbFault(r: DbFaultResult): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return `${r.event}: ${r.stats.requests} requests, ${r.stats.failed} failed (${r.failedDuringOutage} started during the outage, ${r.failedAfterBack} after the standby served at ${r.times.to}, ${r.failedAfterBound} after the bound); recovered ${s(r.recoveryMs)} s after the standby served; re-logins ${r.relogins.length} (${r.relogins.filter((x) => x.explained).length} of users pinned to the killed task during the outage; session still valid afterwards for ${r.relogins.filter((x) => x.sessionKept).length})${r.killed ? `; killed ${r.killed} (sessions pinned to it: ${r.pinnedToKilled.length})` : ""}; surviving targets unhealthy: ${r.survivorTargetsUnhealthy.join(", ") || "none"}; liveness failures ${r.livenessFailures} (at most ${r.livenessMaxConsecutiveFailures} in a row); endpoint lookups answered with the standby: ${r.endpointQueriesAfterMove}.`;
}

/** The task environment's variables each fix adds: the JVM's DNS cache, the pool's validation. */
const DNS_FIX = ["JAVA_OPTS_APPEND"];
const POOL_FIX = Object.keys(DB_POOL_VALIDATION_ENVIRONMENT);
const FAULT_BREAKS: Record<string, readonly string[]> = { today: [...DNS_FIX, ...POOL_FIX], "no-pool-validation": POOL_FIX };

/**
 * E2E_FAULT_BREAK runs the stand with a fix taken out of the task environment, to show the e2e
 * notices what it fixes: `today` as it was before the faults work (no JVM options of the stack's
 * own, no pool validation), `no-pool-validation` with the DNS fix but without the pool's.
 */
export function faultBreak(env: NodeJS.ProcessEnv = process.env): ((environment: Record<string, string>) => Record<string, string>) | undefined {
  const raw = env.E2E_FAULT_BREAK;
  if (raw === undefined || raw === "") return undefined;
  const removed = FAULT_BREAKS[raw];
  if (removed === undefined) throw new Error(`E2E_FAULT_BREAK '${raw}' is not one of ${Object.keys(FAULT_BREAKS).join(", ")}`);
  return (environment) => Object.fromEntries(Object.entries(environment).filter(([name]) => !removed.includes(name)));
}

/**
 * The assertions every database fault must pass, as one comparison so a run shows every
 * deviation at once: no failure outside the outage and the recovery bound, recovery within the
 * bound, every session user refreshing again, 0 sessions lost (every refresh token Keycloak
 * refused works again once the database is back), no re-login but one the zone loss explains,
 * 0 data lost (the tables' digests,
 * the witness's login and consent), no healthy task replaced (no surviving target held unhealthy,
 * liveness never failing the container health check's retries in a row, no task stopped), and the
 * nodes following the endpoint's name to the standby.
 *
 * The re-logins a zone loss explains: Keycloak 26.7.3 keeps one in-memory copy of a session
 * (with persistent user sessions it sets the session caches' owners to 1, whatever is configured:
 * CacheConfigurator.configureSessionsCachesForPersistentSessions), on the node that created it;
 * another node loads it from the database. A user pinned to the killed task whose refresh reaches
 * the survivor while the database is failing over gets `invalid_grant` "Session not active" (the
 * load's JDBC error is reported as a missing session) and logs in again; the session itself is
 * still in the database, which `sessionsLost` checks. Only those: pinned to the killed task before
 * the fault, sent during the outage.
 */
export function expectSurvived(r: DbFaultResult): void {
  process.stdout.write(`${describeDbFault(r)}\n${JSON.stringify({ ...r, stats: { ...r.stats, relogins: r.stats.relogins.length } }, null, 1)}\n`);
  const seen = {
    failedBeforeFault: r.failedBeforeFault,
    failedAfterBound: r.failedAfterBound,
    recoveredWithinBound: r.recoveryMs <= r.recoveryBoundMs,
    reloginsUnexplained: r.relogins.filter((x) => !x.explained),
    sessionsLost: r.relogins.filter((x) => !x.sessionKept),
    usersWithoutProgressAfterRecovery: r.usersWithoutProgressAfterRecovery,
    data: r.dataAfter,
    witnessLogsIn: r.witnessLogsIn,
    witnessConsented: r.witnessConsentStatus < 300 && r.dataBefore.USER_CONSENT.rows > 0,
    survivorTargetsUnhealthy: r.survivorTargetsUnhealthy,
    tasksStopped: r.tasksStopped,
    livenessBelowRetries: r.livenessMaxConsecutiveFailures < TASK_LIFECYCLE.containerHealthCheck.retries,
    followedTheName: r.endpointQueriesAfterMove > 0,
  };
  expect(seen).toEqual({
    failedBeforeFault: 0,
    failedAfterBound: 0,
    recoveredWithinBound: true,
    reloginsUnexplained: [],
    sessionsLost: [],
    usersWithoutProgressAfterRecovery: [],
    data: r.dataBefore,
    witnessLogsIn: true,
    witnessConsented: true,
    survivorTargetsUnhealthy: [],
    tasksStopped: 0,
    livenessBelowRetries: true,
    followedTheName: true,
  });
}
