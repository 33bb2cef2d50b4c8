import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Browser as Chromium } from "playwright-core";
import { formatVerdict, runDrill, type DrillNode, type DrillSession, type SessionCheck } from "../../tools/drill-scenario";
import { HttpDrillSession } from "../../tools/drill-session";
import { Browser } from "../../tools/keycloak-http/browser";
import { ChromiumUser, launchChromium, misconfigurations, unexplainedConsole } from "../support/chromium";
import { ClusterStand, PUBLIC_HOSTNAME } from "../support/cluster-stand";
import { ClusterSummary } from "../support/cluster-summary";
import { LocalDrillTarget, nodeNameOf } from "../support/drill-local";
import { STICKY_COOKIE } from "../support/haproxy";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { adminToken } from "../support/keycloak-login";
import { APP_CLIENT_ID, createAppClient, createUser, OidcApp, type User } from "../support/oidc-app";

/**
 * The original check as people and applications make it, on one 2-node stand (the cluster e2e's,
 * support/cluster-stand.ts): Chromium in the admin console and in the account console, an
 * application on openid-client, and the harness's own HTTP client, all pinned by the proxy to
 * one node; then the drill (tools/drill-scenario.ts, the routine `npm run drill` runs on AWS)
 * stops that node as ECS's StopTask does (deregister and drain, SIGTERM; support/drill-local.ts),
 * waits for its replacement and the cluster of 2, and stops the other, while every client keeps
 * checking its session. A crash (SIGKILL) under load is the lifecycle e2e's. Screenshots of every check go to .cache/browser-e2e/.
 */

const FIRST_START_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 4 * 60_000;
const CLUSTER_TIMEOUT_MS = 2 * 60_000;
const SHOTS = join(REPO_ROOT, ".cache", "browser-e2e");
const TIMINGS_FILE = join(SHOTS, "timings.json");
const ADMIN_CONSOLE = `https://${PUBLIC_HOSTNAME}/admin/master/console/`;
const ACCOUNT_CONSOLE = `https://${PUBLIC_HOSTNAME}/realms/master/account/`;
/** The first-name field of the account console's Personal info page. */
const FIRST_NAME = 'input#firstName, input[name="firstName"]';

const STEPS = ["1. cluster of 2", "2. clients log in", "3. drill: pinned node, then the other"] as const;
const summary = new ClusterSummary(STEPS, 0);
const stand = new ClusterStand(summary, join(REPO_ROOT, ".cache", "e2e-real-clients-summary.md"));
const home = mkdtempSync(join(tmpdir(), "kc-chromium-"));
/** Seconds each browser action took, for the report. */
const timings: Record<string, number[]> = {};
let chromium: Chromium | undefined;
let admin: ChromiumUser;
let account: ChromiumUser;
let app: OidcApp;
let appSecret: string;
let user: User;
let http: HttpDrillSession;
let phase = "login";

async function timed<T>(what: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await body();
  } finally {
    (timings[what] ??= []).push((Date.now() - started) / 1000);
  }
}

/** The admin console after a reload: no login form, the Users list shows the admin, Realm settings open. */
async function adminConsoleWorks(): Promise<SessionCheck> {
  const page = admin.page;
  await timed("admin console: reload", async () => {
    await page.reload();
    await page.locator("#kc-form-login").or(page.getByRole("link", { name: "Users", exact: true })).first().waitFor();
  });
  if (await admin.showsLoginForm()) return { ok: false, detail: "the admin console shows the login form" };
  await timed("admin console: Users", async () => {
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.getByRole("link", { name: stand.realm.admin.username, exact: true }).filter({ visible: true }).first().waitFor();
  });
  await timed("admin console: Realm settings", async () => {
    await page.getByRole("link", { name: "Realm settings", exact: true }).click();
    await page.getByText(/Realm (ID|name)/).filter({ visible: true }).first().waitFor();
  });
  await admin.screenshot(`${phase}-realm-settings`);
  return { ok: !(await admin.showsLoginForm()), detail: "admin console: Users and Realm settings" };
}

/** The account console after a reload: no login form, the user's own first name in Personal info. */
async function accountConsoleWorks(): Promise<SessionCheck> {
  const page = account.page;
  await timed("account console: reload", async () => {
    await page.reload();
    await page.locator("#kc-form-login").or(page.locator(FIRST_NAME)).first().waitFor();
  });
  if (await account.showsLoginForm()) return { ok: false, detail: "the account console shows the login form" };
  const firstName = await page.locator(FIRST_NAME).first().inputValue();
  await account.screenshot(`${phase}-personal-info`);
  await timed("account console: Applications", async () => {
    await page.getByRole("link", { name: "Applications", exact: true }).click();
    await page.waitForURL(/\/applications$/);
    await page.getByRole("heading", { name: "Applications" }).or(page.getByText(APP_CLIENT_ID)).or(page.locator("#kc-form-login")).filter({ visible: true }).first().waitFor();
  });
  await account.screenshot(`${phase}-applications`);
  const applicationsShown = !(await account.showsLoginForm());
  // Back to Personal info, where the next check's reload starts.
  await page.goto(ACCOUNT_CONSOLE);
  return { ok: firstName === user.username && applicationsShown, detail: `account console: first name ${firstName}, Applications shown` };
}

/** Every client in turn; the first that is not logged in fails the check. */
async function everyClientStillIn(): Promise<SessionCheck> {
  const results = [
    await adminConsoleWorks(),
    await accountConsoleWorks(),
    await timed("openid-client: refresh, userinfo, introspection", () => app.useSession()),
    await timed("harness client: prompt=none", () => http.check()),
  ];
  const wrong = misconfigurations([...admin.record.console, ...account.record.console]);
  if (wrong.length > 0) results.push({ ok: false, detail: `misconfiguration reported: ${wrong.join(" | ")}` });
  const unexplained = unexplainedConsole([...admin.record.console, ...account.record.console]);
  if (unexplained.length > 0) results.push({ ok: false, detail: `console problems no allowed entry explains: ${unexplained.join(" | ")}` });
  const failed = results.filter((r) => !r.ok);
  return failed.length === 0 ? { ok: true, detail: results.map((r) => r.detail).join("; ") } : { ok: false, detail: failed.map((r) => r.detail).join("; ") };
}

/** Lines the nodes logged at WARN or ERROR that name a misconfiguration. */
function nodeMisconfigurations(): string[] {
  const lines = [stand.nodes.a, stand.nodes.b].flatMap((node) => node.currentLog().split("\n").filter((line) => /\b(WARN|ERROR)\b/.test(line)));
  return misconfigurations(lines);
}

beforeAll(async () => {
  // The target group fails a target only after its unhealthy window: the survivor of a stopped
  // node stays in service while Keycloak's cluster health check has it out of readiness.
  await stand.build({ albUnhealthyWindow: true });
  rmSync(SHOTS, { recursive: true, force: true });
}, 15 * 60_000);

afterAll(async () => {
  // The last state of each page, whatever the tests did: the artifact shows where a failure left them.
  for (const user of [admin, account]) await user?.screenshot("final").catch(() => undefined);
  await chromium?.close();
  rmSync(home, { recursive: true, force: true });
  mkdirSync(dirname(TIMINGS_FILE), { recursive: true });
  writeFileSync(TIMINGS_FILE, JSON.stringify(timings, null, 2));
  process.stdout.write(`browser timings (s): ${JSON.stringify(timings)}\n`);
  const errors = await stand.tearDown();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}, 3 * 60_000);

describe("real clients through the ALB-like proxy: Chromium, openid-client and the drill on a 2-node cluster", () => {
  test("the two service nodes form one cluster behind the proxy", async () => {
    await stand.step("1. cluster of 2", async () => {
      const { a, b } = stand.nodes;
      await stand.startAndWait(a, FIRST_START_TIMEOUT_MS);
      await stand.startAndWait(b, START_TIMEOUT_MS);
      await stand.formCluster("node-b joins node-a", [a, b], CLUSTER_TIMEOUT_MS);
      await stand.waitProxySeesUp(a, b);
      const token = await adminToken(a, stand.realm);
      appSecret = await createAppClient(a, token);
      user = await createUser(a, token, "alice");
    });
  }, 10 * 60_000);

  test("Chromium logs in to the admin console (admin) and the account console (a normal user) by the public hostname, the proxy's certificate trusted, and nothing reports a misconfiguration", async () => {
    await stand.step("2. clients log in", async () => {
      chromium = await timed("chromium: launch", () => launchChromium(home, PUBLIC_HOSTNAME, stand.network.gateway, stand.proxyEndpoint.ca!));
      admin = await ChromiumUser.open(chromium, "admin", SHOTS);
      await timed("admin console: first load to login form", () => admin.page.goto(ADMIN_CONSOLE));
      await admin.screenshot("login-form");
      await timed("admin console: log in", () => admin.logIn(stand.realm.admin.username, stand.realm.admin.password));
      await admin.page.getByRole("link", { name: "Users", exact: true }).waitFor();
      await admin.screenshot("logged-in");
      const pinned = await admin.pinnedTo();
      expect(pinned).toMatch(/^node-[ab]$/);
      process.stdout.write(`the admin's browser is pinned to ${pinned}\n`);

      // The other clients come to the same node, as one person's browser and app would.
      account = await ChromiumUser.open(chromium, "account", SHOTS);
      await account.pin(ACCOUNT_CONSOLE, pinned!);
      await timed("account console: first load to login form", () => account.page.goto(ACCOUNT_CONSOLE));
      await timed("account console: log in", () => account.logIn(user.username, user.password));
      await account.page.locator(FIRST_NAME).first().waitFor();
      await account.screenshot("logged-in");
      expect(await account.pinnedTo()).toBe(pinned);

      app = await OidcApp.discover(stand.realm.issuer, stand.proxyEndpoint, appSecret, pinned);
      const appUserAgent = new Browser(stand.proxyEndpoint);
      appUserAgent.setCookie(STICKY_COOKIE, pinned!);
      await timed("openid-client: discovery and code flow", () => app.signIn(appUserAgent, user));
      expect(app.server).toBe(pinned);

      http = new HttpDrillSession(stand.realm, stand.proxyEndpoint);
      http.browser.setCookie(STICKY_COOKIE, pinned!);
      await http.logIn();
      expect(http.browser.cookie(STICKY_COOKIE)).toBe(pinned);

      expect(await everyClientStillIn()).toEqual({ ok: true, detail: expect.any(String) });
      expect({ browser: misconfigurations([...admin.record.console, ...account.record.console]), nodes: nodeMisconfigurations() }).toEqual({ browser: [], nodes: [] });
    });
  }, 5 * 60_000);

  test("the drill stops the node every client is pinned to as StopTask does, then the other: no client is ever asked to log in, tokens issued by the stopped node refresh and introspect, and the HTTP session finds its node as the proxy does", async () => {
    await stand.step("3. drill: pinned node, then the other", async () => {
      const pinnedByProxy = async (nodes: DrillNode[]) => {
        const name = await admin.pinnedTo();
        const node = nodes.find((n) => nodeNameOf(n.id) === name);
        if (node === undefined) throw new Error(`the admin's browser is pinned to ${name}, which is not running`);
        // The drill's AWS way to find the node (server info's uptime) must agree with the proxy's cookie.
        expect((await http.pinnedNode(nodes)).id).toBe(node.id);
        return node;
      };
      const session: DrillSession = { pinnedNode: pinnedByProxy, check: everyClientStillIn };
      const target = new LocalDrillTarget(stand, [stand.nodes.a, stand.nodes.b], START_TIMEOUT_MS);
      let round = 0;
      const verdict = await runDrill(target, session, {
        checkIntervalMs: 1_000,
        healthyTimeoutMs: START_TIMEOUT_MS + CLUSTER_TIMEOUT_MS,
        log: (line) => {
          process.stdout.write(`drill: ${line}\n`);
          if (line.startsWith("stopping")) phase = `stop${++round}`;
        },
      });
      process.stdout.write(`${formatVerdict(verdict)}\n`);
      summary.notes.push(`Drill: ${formatVerdict(verdict).replace(/\n/g, "; ")}`);
      expect({ passed: verdict.passed, verdict: formatVerdict(verdict) }).toEqual({ passed: true, verdict: expect.any(String) });
      expect(verdict.rounds.map((r) => r.wasPinned)).toEqual([true, true]);
      // Each loss moved the clients to the survivor: the proxy's cookie and the app's back channel follow it.
      expect(await admin.pinnedTo()).toBe(nodeNameOf(verdict.rounds[0].stopped.id));
      expect({ browser: misconfigurations([...admin.record.console, ...account.record.console]), nodes: nodeMisconfigurations() }).toEqual({ browser: [], nodes: [] });
      process.stdout.write(`failed requests seen by Chromium: ${JSON.stringify([...admin.record.failedRequests, ...account.record.failedRequests])}\n`);
      // The drill's stops are graceful (deregistered, drained, SIGTERM): the browsers never get a 5xx.
      expect({ chromium5xx: [...admin.record.serverErrors, ...account.record.serverErrors].map((e) => e.request) }).toEqual({ chromium5xx: [] });
      expect({ console: unexplainedConsole([...admin.record.console, ...account.record.console]) }).toEqual({ console: [] });
    });
  }, 15 * 60_000);
});
