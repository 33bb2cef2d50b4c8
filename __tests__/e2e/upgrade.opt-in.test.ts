import { join } from "node:path";
import { DB_NAME, KEYCLOAK_VERSION, PORTS } from "../../modules/shared/constants";
import { mixesVersions, upgradePlan, type UpgradeStrategy } from "../../modules/service/upgrade";
import { Browser, fetchOnce } from "../../tools/keycloak-http/browser";
import { ClusterStand } from "../support/cluster-stand";
import { ClusterSummary } from "../support/cluster-summary";
import { Poller } from "../support/disruption";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { adminToken, logIn, stillLoggedIn } from "../support/keycloak-login";
import type { KeycloakNode } from "../support/keycloak-node";
import { mixedVersionMs, StandUpgrade } from "../support/stand-upgrade";
import { decideStandUpgrade, MINOR_FROM, PATCH_FROM } from "../support/upgrade-fixtures";

/**
 * Keycloak upgrades of a running two-node cluster with real distributions from Maven Central, the
 * way tools/upgrade.ts decides them: the running version writes its update-compatibility metadata,
 * the new version's `kc.sh update-compatibility check` answers, modules/service/upgrade.ts turns the answer
 * into steps, and the stand carries them out (support/stand-upgrade.ts). A realm, a user and a
 * logged-in browser session must survive, the database must be migrated, and an upgrade the check
 * refuses must never run two versions at once. Opt-in (`npm run test:e2e:opt-in`): two clusters
 * and two extra distributions are too much for CI's budget; CI runs the check itself on this
 * release's metadata (__tests__/integration/upgrade-check.test.ts).
 */

const START_TIMEOUT_MS = 6 * 60_000;
const CLUSTER_TIMEOUT_MS = 2 * 60_000;
const POLL_INTERVAL_MS = 250;
const REALM = "upgrade-e2e";
const USER = "alice";

interface Outcome {
  from: string;
  strategy: UpgradeStrategy;
  reason: string;
  requests: number;
  failed: number;
  /** Longest stretch of failed requests through the proxy, in seconds. */
  downtimeSeconds: number;
  mixedVersionSeconds: number;
}
const outcomes: Outcome[] = [];

async function admin(node: KeycloakNode, stand: ClusterStand, method: string, path: string, json?: unknown) {
  const token = await adminToken(node, stand.realm);
  return fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms${path}`, { address: node.address }, { method, headers: { Authorization: `Bearer ${token}` }, json });
}

function longestOutageSeconds(polls: { startedAt: number; ok: boolean }[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const poll of polls) {
    if (!poll.ok) since ??= poll.startedAt;
    else if (since !== undefined) {
      longest = Math.max(longest, poll.startedAt - since);
      since = undefined;
    }
  }
  return longest / 1000;
}

/** One upgrade scenario on its own stand: start `from`, add data, log in, decide with the check, carry out the plan. */
function scenario(from: string, expected: UpgradeStrategy): void {
  const summary = new ClusterSummary([`upgrade ${from} -> ${KEYCLOAK_VERSION}`], 0);
  const stand = new ClusterStand(summary, join(REPO_ROOT, ".cache", `e2e-upgrade-${from}.md`), from);

  beforeAll(() => stand.build({ runtime: "dist" }), 20 * 60_000);
  afterAll(async () => {
    const errors = await stand.tearDown();
    if (errors.length > 0) throw new Error(errors.join("\n"));
  }, 3 * 60_000);

  test(`${from} -> ${KEYCLOAK_VERSION}: the check says ${expected}, the plan runs, and realm, user, session and database come through`, async () => {
    const { a, b } = stand.nodes;
    // The service's first boot: one task, then the other.
    await stand.startAndWait(a, START_TIMEOUT_MS);
    await stand.startAndWait(b, START_TIMEOUT_MS);
    await stand.formCluster(`${from} cluster`, [a, b], CLUSTER_TIMEOUT_MS);
    await stand.waitProxySeesUp(a, b);

    expect((await admin(a, stand, "POST", "", { realm: REALM, enabled: true })).status).toBe(201);
    expect((await admin(a, stand, "POST", `/${REALM}/users`, { username: USER, enabled: true })).status).toBe(201);
    const browser = new Browser(stand.proxyEndpoint);
    await logIn(browser, stand.realm);
    expect((await stillLoggedIn(browser, stand.realm)).ok).toBe(true);

    const { decision, target } = decideStandUpgrade(stand);
    expect(decision.strategy).toBe(expected);
    const steps = upgradePlan(decision.strategy, 2);
    // What the check refuses is never rolled: the plan of a recreate cannot mix versions.
    if (decision.strategy === "recreate") expect(mixesVersions(steps)).toBe(false);

    const poller = new Poller(`${stand.realm.issuer}/.well-known/openid-configuration`, stand.proxyEndpoint, POLL_INTERVAL_MS, 20_000);
    const upgrade = new StandUpgrade(stand, target, { startMs: START_TIMEOUT_MS, clusterMs: CLUSTER_TIMEOUT_MS });
    const upgradeStarted = Date.now();
    try {
      await upgrade.run(steps);
      await poller.settle(upgradeStarted, 5_000, CLUSTER_TIMEOUT_MS);
    } finally {
      await poller.stop();
    }
    const mixedMs = mixedVersionMs(upgrade.spans);
    const outcome: Outcome = {
      from,
      strategy: decision.strategy,
      reason: decision.reason,
      requests: poller.polls.length,
      failed: poller.polls.filter((p) => !p.ok).length,
      downtimeSeconds: longestOutageSeconds(poller.polls),
      mixedVersionSeconds: mixedMs / 1000,
    };
    outcomes.push(outcome);
    summary.notes.push(`Upgrade ${JSON.stringify(outcome)}; version spans ${JSON.stringify(upgrade.spans)}`);
    process.stdout.write(`${JSON.stringify(outcome)}\n`);

    // Every node now runs the new release, and the database says so.
    for (const node of [stand.nodes.a, stand.nodes.b]) expect(node.currentLog()).toContain(`Keycloak ${KEYCLOAK_VERSION} on JVM`);
    const versions = stand.db.query(`SELECT VERSION FROM \`${DB_NAME}\`.MIGRATION_MODEL ORDER BY UPDATE_TIME DESC, VERSION DESC LIMIT 1;`).trim();
    expect(versions).toBe(KEYCLOAK_VERSION);
    expect((await admin(stand.nodes.b, stand, "GET", `/${REALM}`)).status).toBe(200);
    const users = await admin(stand.nodes.b, stand, "GET", `/${REALM}/users?username=${USER}&exact=true`);
    expect((JSON.parse(users.body) as { username: string }[]).map((u) => u.username)).toEqual([USER]);
    expect(await stillLoggedIn(browser, stand.realm)).toEqual({ ok: true, detail: expect.stringContaining("account API 200") });
    if (decision.strategy === "recreate") {
      expect(mixedMs).toBe(0);
      expect(outcome.downtimeSeconds).toBeGreaterThan(0);
    } else {
      // A rolling update keeps the service up: some node answered all along.
      expect(outcome.downtimeSeconds).toBeLessThan(15);
    }
  }, 40 * 60_000);
}

describe(`minor upgrade ${MINOR_FROM} -> ${KEYCLOAK_VERSION} of a running cluster`, () => scenario(MINOR_FROM, "recreate"));
describe(`patch upgrade ${PATCH_FROM} -> ${KEYCLOAK_VERSION} of a running cluster`, () => scenario(PATCH_FROM, "rolling"));
