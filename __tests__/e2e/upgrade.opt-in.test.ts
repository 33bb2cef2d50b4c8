import { join } from "node:path";
import { DB_NAME, KEYCLOAK_VERSION, PORTS } from "../../modules/shared/constants";
import { mixesVersions, upgradePlan, type UpgradeStrategy } from "../../modules/service/upgrade";
import { Browser, fetchOnce } from "../../tools/keycloak-http/browser";
import { ClusterStand, type StandNodes } from "../support/cluster-stand";
import { ClusterSummary } from "../support/cluster-summary";
import { Poller } from "../support/disruption";
import { EcsServiceStandIn } from "../support/ecs-lifecycle";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { adminToken, logIn, stillLoggedIn } from "../support/keycloak-login";
import type { KeycloakNode } from "../support/keycloak-node";
import { mixedVersionMs, versionOverlaps, versionSpans, VersionWatch } from "../support/node-versions";
import { StandUpgrade, upgradeBreaks } from "../support/stand-upgrade";
import { decideStandUpgrade, MINOR_FROM, PATCH_FROM } from "../support/upgrade-fixtures";

/**
 * Keycloak upgrades of a running two-task service with real distributions from Maven Central, the
 * way tools/upgrade.ts decides them: the running version writes its update-compatibility metadata,
 * the new version's `kc.sh update-compatibility check` answers, modules/service/upgrade.ts turns the
 * answer into steps, and the ECS stand carries them out (support/stand-upgrade.ts: a rolling deploy
 * starts each new task before it stops an old one, as the service's maximum percent lets ECS do).
 * While it runs, a client polls the realm's discovery document through the proxy (which also
 * reports its healthy targets), and every slot is asked which release it runs (node-versions.ts:
 * the nodes' own reports, not the harness's bookkeeping).
 *
 * What each path must show:
 * - rolling: 0 failed requests, the target group never below the deploy's minimum healthy count,
 *   and both releases answering side by side (the version reports do see mixing where it happens);
 * - recreate: the nodes never report two releases at once, and the downtime (the longest stretch of
 *   failed requests) is at most what the model allows: one graceful stop of the old tasks, one start
 *   of the new release with its schema migration (process start to its first answer through the
 *   proxy, which fails open to it as the ALB does, or to its healthy target if that came first),
 *   plus RECREATE_SLACK_MS: no idle time between the last old task's exit and the first new start.
 * A realm, a user and a logged-in browser session must survive, and the database must be migrated.
 * E2E_UPGRADE_BREAK (stand-upgrade.ts) does the upgrade wrong on purpose to show these fail.
 * Opt-in (`npm run test:e2e:opt-in`): two stands and two extra distributions are too much for CI's
 * budget; CI runs the check itself on this release's metadata (__tests__/integration/upgrade-check.test.ts).
 */

const START_TIMEOUT_MS = 6 * 60_000;
const CLUSTER_TIMEOUT_MS = 2 * 60_000;
const POLL_INTERVAL_MS = 250;
/** How often each slot is asked for its release: the admin API's server info is a large answer, on two shared cores. */
const VERSION_INTERVAL_MS = 1_000;
/**
 * What the recreate's downtime may exceed its model by: the downtime is measured from poll to poll
 * (up to one interval late at each end), and between the stop and the first start the plan only
 * checks that nothing runs and points the slots at the new release (local files, no waiting).
 */
const RECREATE_SLACK_MS = 2 * POLL_INTERVAL_MS + 2_000;
const SLOTS: (keyof StandNodes)[] = ["a", "b", "c", "d"];
const REALM = "upgrade-e2e";
const USER = "alice";

interface Outcome {
  from: string;
  strategy: UpgradeStrategy;
  reason: string;
  breaks: string[];
  requests: number;
  failed: number;
  /** Longest stretch of failed requests through the proxy, in seconds. */
  downtimeSeconds: number;
  /** The fewest targets the proxy held healthy during the upgrade. */
  fewestHealthyTargets: number;
  /** The releases the nodes reported, and how long two of them answered at once (the nodes' own reports). */
  versionsSeen: string[];
  versionReports: number;
  mixedVersionSeconds: number;
  /** Recreate: the model's stop and first start, and the downtime bound they make. */
  stopAllSeconds?: number;
  firstStartSeconds?: number;
  /** From the new release's first process start to its first answer through the proxy. */
  firstServedSeconds?: number;
  downtimeBoundSeconds?: number;
}
const outcomes: Outcome[] = [];

async function admin(node: KeycloakNode, stand: ClusterStand, method: string, path: string, json?: unknown) {
  const token = await adminToken(node, stand.realm);
  return fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms${path}`, { address: node.address }, { method, headers: { Authorization: `Bearer ${token}` }, json });
}

function longestOutageMs(polls: { startedAt: number; ok: boolean }[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const poll of polls) {
    if (!poll.ok) since ??= poll.startedAt;
    else if (since !== undefined) {
      longest = Math.max(longest, poll.startedAt - since);
      since = undefined;
    }
  }
  return longest;
}

/** From `at` until the first poll started after it that got an answer; undefined when none did. */
function firstAnswerAfterMs(polls: { startedAt: number; ok: boolean }[], at: number): number | undefined {
  const first = polls.find((poll) => poll.ok && poll.startedAt >= at);
  return first === undefined ? undefined : first.startedAt - at;
}

const NAMES: Record<UpgradeStrategy, string> = {
  rolling:
    "the check says rolling; the deploy starts each new task before it stops an old one (the target group never below its minimum healthy count), 0 requests fail, both releases answer side by side",
  recreate:
    "the check says recreate; the nodes never report two releases at once, and the downtime is at most one graceful stop plus one start of the new release with its migration",
};

/** One upgrade scenario on its own stand: start `from`, add data, log in, decide with the check, carry out the plan. */
function scenario(from: string, expected: UpgradeStrategy): void {
  const summary = new ClusterSummary([`upgrade ${from} -> ${KEYCLOAK_VERSION}`], 0);
  const stand = new ClusterStand(summary, join(REPO_ROOT, ".cache", `e2e-upgrade-${from}.md`), from);
  let ecs: EcsServiceStandIn;

  beforeAll(async () => {
    await stand.build({ runtime: "dist", ecs: true });
    // ECS resolves the task's secrets when it starts a task, as in the lifecycle e2e.
    ecs = new EcsServiceStandIn(stand.proxy, stand.ecsTimings!, (node) => node.start(stand.container.command, stand.taskSecrets()));
  }, 20 * 60_000);
  afterAll(async () => {
    const errors = await stand.tearDown();
    if (errors.length > 0) throw new Error(errors.join("\n"));
  }, 3 * 60_000);

  test(`${from} -> ${KEYCLOAK_VERSION}: ${NAMES[expected]}; realm, user, session and database come through`, async () => {
    const { a, b } = stand.nodes;
    // The service's first boot: one task, then the other.
    await ecs.runTask(a, START_TIMEOUT_MS);
    await ecs.runTask(b, START_TIMEOUT_MS);
    await stand.formCluster(`${from} cluster`, [a, b], CLUSTER_TIMEOUT_MS);

    expect((await admin(a, stand, "POST", "", { realm: REALM, enabled: true })).status).toBe(201);
    expect((await admin(a, stand, "POST", `/${REALM}/users`, { username: USER, enabled: true })).status).toBe(201);
    const browser = new Browser(stand.proxyEndpoint);
    await logIn(browser, stand.realm);
    expect((await stillLoggedIn(browser, stand.realm)).ok).toBe(true);

    const { decision, target } = decideStandUpgrade(stand);
    expect(decision.strategy).toBe(expected);
    const desired = ecs.tasks.length;
    const steps = upgradePlan(decision.strategy, desired);
    // What the check refuses is never rolled: the plan of a recreate cannot mix versions.
    if (decision.strategy === "recreate") expect(mixesVersions(steps)).toBe(false);

    const versions = new VersionWatch(SLOTS.map((key) => () => stand.node(key)), stand.realm, VERSION_INTERVAL_MS);
    const poller = new Poller(`${stand.realm.issuer}/.well-known/openid-configuration`, stand.proxyEndpoint, POLL_INTERVAL_MS, 20_000, () => stand.healthyTargets());
    // Every old task has told its release before the upgrade touches it.
    await versions.answered(ecs.tasks.map((n) => n.name), CLUSTER_TIMEOUT_MS);
    const upgrade = new StandUpgrade(stand, ecs, target, { startMs: START_TIMEOUT_MS, clusterMs: CLUSTER_TIMEOUT_MS }, upgradeBreaks());
    const upgradeStarted = Date.now();
    try {
      await upgrade.run(steps);
      await poller.settle(upgradeStarted, 5_000, CLUSTER_TIMEOUT_MS);
    } finally {
      await poller.stop();
      await versions.stop();
    }
    const polls = poller.polls.filter((p) => p.startedAt >= upgradeStarted);
    const mixedMs = mixedVersionMs(versions.reports);
    const downtimeMs = longestOutageMs(polls);
    const times = upgrade.recreateTimes;
    // The new release's start counts until its first answer through the proxy: with no healthy
    // target the proxy fails open to it, as the ALB does, before the target group holds it healthy
    // (2 checks, 40 s); bounding by the healthy target instead would hide 40 s of idle time.
    const firstServedMs = times === undefined ? undefined : firstAnswerAfterMs(polls, times.firstStartedAt);
    const boundMs = times === undefined ? undefined : times.stopAllMs + Math.min(times.firstStartMs, firstServedMs ?? Infinity) + RECREATE_SLACK_MS;
    const outcome: Outcome = {
      from,
      strategy: decision.strategy,
      reason: decision.reason,
      breaks: upgrade.breaks,
      requests: polls.length,
      failed: polls.filter((p) => !p.ok).length,
      downtimeSeconds: downtimeMs / 1000,
      fewestHealthyTargets: Math.min(...polls.map((p) => p.healthyTargets ?? 0)),
      versionsSeen: [...new Set(versions.reports.flatMap((r) => (r.version === undefined ? [] : [r.version])))].sort(),
      versionReports: versions.reports.filter((r) => r.version !== undefined).length,
      mixedVersionSeconds: mixedMs / 1000,
      ...(times === undefined
        ? {}
        : { stopAllSeconds: times.stopAllMs / 1000, firstStartSeconds: times.firstStartMs / 1000, firstServedSeconds: firstServedMs === undefined ? undefined : firstServedMs / 1000, downtimeBoundSeconds: boundMs! / 1000 }),
    };
    outcomes.push(outcome);
    const spans = versionSpans(versions.reports);
    summary.notes.push(`Upgrade ${JSON.stringify(outcome)}; release spans reported by the nodes ${JSON.stringify(spans)}`);
    process.stdout.write(`${JSON.stringify(outcome)}\nrelease spans reported by the nodes: ${JSON.stringify(spans)}\n`);

    // Every node now runs the new release, and the database says so.
    for (const node of ecs.tasks) expect(node.currentLog()).toContain(`Keycloak ${KEYCLOAK_VERSION} on JVM`);
    const migrated = stand.db.query(`SELECT VERSION FROM \`${DB_NAME}\`.MIGRATION_MODEL ORDER BY UPDATE_TIME DESC, VERSION DESC LIMIT 1;`).trim();
    expect(migrated).toBe(KEYCLOAK_VERSION);
    const [node] = ecs.tasks;
    expect((await admin(node, stand, "GET", `/${REALM}`)).status).toBe(200);
    const users = await admin(node, stand, "GET", `/${REALM}/users?username=${USER}&exact=true`);
    expect((JSON.parse(users.body) as { username: string }[]).map((u) => u.username)).toEqual([USER]);
    expect(await stillLoggedIn(browser, stand.realm)).toEqual({ ok: true, detail: expect.stringContaining("account API 200") });
    // The reports carry the release: the nodes reported the old one and then the new one.
    expect(outcome.versionsSeen).toEqual([from, KEYCLOAK_VERSION].sort());

    if (decision.strategy === "recreate") {
      expect({
        overlaps: versionOverlaps(spans),
        downtimeSeen: downtimeMs > 0,
        downtimeOverBoundMs: Math.max(0, downtimeMs - boundMs!),
      }).toEqual({ overlaps: [], downtimeSeen: true, downtimeOverBoundMs: 0 });
    } else {
      const timings = stand.ecsTimings!;
      expect({
        failed: polls.filter((p) => !p.ok).map((p) => `${new Date(p.startedAt).toISOString()} ${p.detail}`),
        fewestHealthyTargets: outcome.fewestHealthyTargets,
        bothReleasesAnsweredAtOnce: mixedMs > 0,
      }).toEqual({ failed: [], fewestHealthyTargets: Math.ceil((desired * timings.minimumHealthyPercent) / 100), bothReleasesAnsweredAtOnce: true });
    }
  }, 40 * 60_000);
}

describe(`minor upgrade ${MINOR_FROM} -> ${KEYCLOAK_VERSION} of a running service`, () => scenario(MINOR_FROM, "recreate"));
describe(`patch upgrade ${PATCH_FROM} -> ${KEYCLOAK_VERSION} of a running service`, () => scenario(PATCH_FROM, "rolling"));
