import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "../../modules/shared/constants";
import { NOT_ROUTED, REFUSED_PATH } from "../../modules/edge/listener-routes";
import { authorizationRequest, codeFrom, loginFormAction, type Response } from "../../tools/keycloak-http/browser";
import { Teardown } from "../support/cluster";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { exampleRealm } from "../support/realm-checks";
import { NamespaceClient } from "../support/netns-curl";
import { printStandLogs, startSingleNodeStand, stopSingleNodeStand, type SingleNodeStand } from "../support/single-node-stand";
import { TempDirs } from "../support/temp-dir";

/**
 * The admin plane is closed at the load balancer: one real Keycloak node behind the ALB stand-in,
 * whose routing is generated from the synthesized HTTPS listener. A client namespace inside
 * adminAllowedCidrs and one outside send the plain admin requests and path tricks; the outside
 * one must get the proxy's own answers for all of them, while a public realm still logs in.
 * The same tricks sent straight to Keycloak show which of them its path handling would have
 * turned into admin requests.
 */

const HOSTNAME = "keycloak.e2e.test";
const BASE = `https://${HOSTNAME}`;
const PUBLIC_REALM = "shop";
const USER = { username: "alice", password: "alice-e2e-Passw0rd", email: "alice@e2e.test", firstName: "Alice", lastName: "E2e" };
const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs", "admin-plane");
/** The admin REST call of the probes: answered only by the admin plane, with the realm list. */
const ADMIN_API = "/admin/realms";
const MASTER_TOKEN = "/realms/master/protocol/openid-connect/token";

const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());

let stand: SingleNodeStand;
/** Inside adminAllowedCidrs. */
let operator: NamespaceClient;
/** Anyone on the internet. */
let outsider: NamespaceClient;
/** Straight to the node's 8080, bypassing the proxy: what Keycloak itself does with a path. */
let direct: NamespaceClient;
let adminToken: string;
let adminTokenAt = 0;

// ---- what "the admin plane answered" looks like ---------------------------------------------------

type Outcome = "admin answered" | "refused by proxy" | "not routed by proxy" | "keycloak, not admin";

function outcomeOf(response: Response, kind: Probe["kind"]): Outcome {
  if (response.body === REFUSED_PATH.body && String(response.status) === REFUSED_PATH.statusCode) return "refused by proxy";
  if (response.body === NOT_ROUTED.body && String(response.status) === NOT_ROUTED.statusCode) return "not routed by proxy";
  const json = response.status === 200 ? parseJson(response.body) : undefined;
  if (kind === "admin api") {
    return Array.isArray(json) && json.some((r: { realm?: string }) => r.realm === "master") ? "admin answered" : "keycloak, not admin";
  }
  const accessToken = (json as { access_token?: string } | undefined)?.access_token;
  const claims = accessToken === undefined ? undefined : parseJson(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString());
  return (claims as { iss?: string } | undefined)?.iss === `${BASE}/realms/master` ? "admin answered" : "keycloak, not admin";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Probe {
  path: string;
  /** An admin REST GET with the master admin's token, or admin-cli's password grant. */
  kind: "admin api" | "master token";
  /** What the outsider must get through the proxy. */
  outsider: Outcome;
}

/** Plain admin requests first, then the tricks: encodings, dot segments, case, `;` parameters, slashes. */
const PROBES: readonly Probe[] = [
  { path: ADMIN_API, kind: "admin api", outsider: "not routed by proxy" },
  { path: MASTER_TOKEN, kind: "master token", outsider: "not routed by proxy" },
  { path: "/%61dmin/realms", kind: "admin api", outsider: "not routed by proxy" },
  { path: "//admin/realms", kind: "admin api", outsider: "not routed by proxy" },
  { path: "/ADMIN/realms", kind: "admin api", outsider: "not routed by proxy" },
  { path: "/admin;x=1/realms", kind: "admin api", outsider: "not routed by proxy" },
  { path: "/admin/../admin/realms", kind: "admin api", outsider: "refused by proxy" },
  { path: "/admin/./realms", kind: "admin api", outsider: "refused by proxy" },
  { path: "/resources/../admin/realms", kind: "admin api", outsider: "refused by proxy" },
  { path: "/resources/%2e%2e/admin/realms", kind: "admin api", outsider: "refused by proxy" },
  { path: "/resources/x/..%2f..%2fadmin/realms", kind: "admin api", outsider: "refused by proxy" },
  { path: "/realms/%2e%2e/admin/realms", kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/../../admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/%2e%2e/%2e%2e/admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/%2E%2E/%2E%2E/admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/.%2e/.%2E/admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/%2e/%2e%2e/%2e%2e/admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/..;/..;/admin/realms`, kind: "admin api", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/x%2f%2e%2e%2f%2e%2e%2fadmin/realms`, kind: "admin api", outsider: "keycloak, not admin" },
  { path: `/realms/${PUBLIC_REALM}/%252e%252e/%252e%252e/admin/realms`, kind: "admin api", outsider: "keycloak, not admin" },
  { path: "/realms/MASTER/protocol/openid-connect/token", kind: "master token", outsider: "not routed by proxy" },
  { path: "/realms/%6d%61ster/protocol/openid-connect/token", kind: "master token", outsider: "not routed by proxy" },
  { path: "/realms/master;x/protocol/openid-connect/token", kind: "master token", outsider: "not routed by proxy" },
  { path: `/realms/${PUBLIC_REALM}/../master/protocol/openid-connect/token`, kind: "master token", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/%2e%2e/master/protocol/openid-connect/token`, kind: "master token", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM}/%2E./master/protocol/openid-connect/token`, kind: "master token", outsider: "refused by proxy" },
  { path: `/realms/${PUBLIC_REALM};/../master/protocol/openid-connect/token`, kind: "master token", outsider: "refused by proxy" },
  { path: "/resources/%2e%2e/realms/master/protocol/openid-connect/token", kind: "master token", outsider: "refused by proxy" },
];

/** The master realm's access tokens live 60 s; the probes take longer, so each admin call gets a recent one. */
async function recentAdminToken(): Promise<string> {
  if (Date.now() - adminTokenAt > 30_000) {
    const response = await direct.request(`http://${stand.node.address}:${PORTS.http}${MASTER_TOKEN}`, {
      form: { grant_type: "password", client_id: "admin-cli", username: stand.admin.username, password: stand.admin.password },
    });
    adminToken = (JSON.parse(response.body) as { access_token: string }).access_token;
    adminTokenAt = Date.now();
  }
  return adminToken;
}

async function probe(client: NamespaceClient, base: string, p: Probe): Promise<Outcome> {
  const response =
    p.kind === "admin api"
      ? await client.request(`${base}${p.path}`, { headers: { Authorization: `Bearer ${await recentAdminToken()}`, Accept: "application/json" } })
      : await client.request(`${base}${p.path}`, {
          form: { grant_type: "password", client_id: "admin-cli", username: stand.admin.username, password: stand.admin.password },
        });
  return outcomeOf(response, p.kind);
}

// ---- logins -------------------------------------------------------------------------------------

/** Authorization-code login with PKCE through the proxy; returns the access token. */
async function logIn(client: NamespaceClient, realm: string, clientId: string, redirectUri: string, user: { username: string; password: string }): Promise<string> {
  const issuer = `${BASE}/realms/${realm}`;
  const auth = authorizationRequest(issuer, clientId, redirectUri);
  const page = await client.request(auth.url);
  const action = loginFormAction(page.body);
  expect({ status: page.status, hasForm: action !== undefined }).toEqual({ status: 200, hasForm: true });
  const redirect = await client.request(action!, { form: { username: user.username, password: user.password, credentialId: "" } });
  const code = codeFrom(redirect.location, auth.state);
  expect({ status: redirect.status, code: code !== undefined }).toEqual({ status: 302, code: true });
  const tokens = await client.request(`${issuer}/protocol/openid-connect/token`, {
    form: { grant_type: "authorization_code", code: code!, redirect_uri: redirectUri, client_id: clientId, code_verifier: auth.verifier },
  });
  expect(tokens.status).toBe(200);
  return (JSON.parse(tokens.body) as { access_token: string }).access_token;
}

/** First `/resources/...` URL an HTML page references. */
function resourceOf(html: string): string {
  // Keycloak writes resource URLs relative or, with a fixed hostname, absolute.
  const path = /(?:src|href)="(?:https:\/\/[^/"]+)?(\/resources\/[^"]+)"/.exec(html)?.[1];
  if (path === undefined) throw new Error(`no /resources/ reference in the page: ${html.slice(0, 300)}`);
  return `${BASE}${path}`;
}

// ---- the stand ----------------------------------------------------------------------------------

beforeAll(async () => {
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  const work = tempDirs.make("kc-admin-plane-");
  stand = await startSingleNodeStand({
    work,
    logDir: LOG_DIR,
    hostname: HOSTNAME,
    clients: { operator: 21, outsider: 22 },
    settings: (addressOf) => ({ KEYCLOAK_ADMIN_ALLOWED_CIDRS: `${addressOf("operator")}/32`, KEYCLOAK_PUBLIC_REALMS: PUBLIC_REALM }),
    teardown,
  });
  const resolve = `${HOSTNAME}:443:${stand.network.gateway}`;
  operator = new NamespaceClient(stand.clients.operator.namespace, resolve, stand.caPem, work);
  outsider = new NamespaceClient(stand.clients.outsider.namespace, resolve, stand.caPem, work);
  direct = new NamespaceClient(stand.clients.operator.namespace, resolve, stand.caPem, work);
}, 10 * 60_000);

afterAll(() => stopSingleNodeStand(stand, teardown), 2 * 60_000);

const printLogs = () => printStandLogs(stand);

// ---- the scenario -------------------------------------------------------------------------------

describe("admin plane closed at the ALB: one Keycloak node behind the proxy generated from the synthesized listener", () => {
  test("the operator's address gets an admin-cli token through the proxy and creates a realm with a user", async () => {
    const token = await operator.request(`${BASE}${MASTER_TOKEN}`, {
      form: { grant_type: "password", client_id: "admin-cli", username: stand.admin.username, password: stand.admin.password },
    });
    if (token.status !== 200) printLogs();
    expect(token.status).toBe(200);
    adminToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    adminTokenAt = Date.now();
    const headers = { Authorization: `Bearer ${adminToken}` };
    const created = await operator.request(`${BASE}/admin/realms`, { headers, json: { realm: PUBLIC_REALM, enabled: true } });
    expect(created.status).toBe(201);
    // Created on its own (not inline in the realm) so the user gets the realm's default roles, account access among them.
    const user = await operator.request(`${BASE}/admin/realms/${PUBLIC_REALM}/users`, {
      headers,
      json: {
        username: USER.username,
        email: USER.email,
        firstName: USER.firstName,
        lastName: USER.lastName,
        enabled: true,
        emailVerified: true,
        credentials: [{ type: "password", value: USER.password, temporary: false }],
      },
    });
    expect(user.status).toBe(201);
  }, 3 * 60_000);

  test("the admin console logs in from the operator's address: console page, authorization code, admin API", async () => {
    const consolePage = await operator.request(`${BASE}/admin/master/console/`);
    expect(consolePage.status).toBe(200);
    const token = await logIn(operator, "master", "security-admin-console", `${BASE}/admin/master/console/`, stand.admin);
    const realms = await operator.request(`${BASE}${ADMIN_API}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
    expect(realms.status).toBe(200);
    // The test's realm, master, and the example realm the image imports from realms/ on its first start.
    expect((JSON.parse(realms.body) as { realm: string }[]).map((r) => r.realm).sort()).toEqual([PUBLIC_REALM, "master", exampleRealm().name].sort());
  }, 3 * 60_000);

  test("from outside, the public realm's login, its account API and account console, and their static resources work", async () => {
    const loginPage = await outsider.request(authorizationRequest(`${BASE}/realms/${PUBLIC_REALM}`, "account-console", `${BASE}/realms/${PUBLIC_REALM}/account/`).url);
    expect(loginPage.status).toBe(200);
    expect((await outsider.request(resourceOf(loginPage.body))).status).toBe(200);

    const token = await logIn(outsider, PUBLIC_REALM, "account-console", `${BASE}/realms/${PUBLIC_REALM}/account/`, USER);
    const profile = await outsider.request(`${BASE}/realms/${PUBLIC_REALM}/account`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
    expect({ status: profile.status, username: (JSON.parse(profile.body) as { username: string }).username }).toEqual({ status: 200, username: USER.username });

    const accountConsole = await outsider.request(`${BASE}/realms/${PUBLIC_REALM}/account/`);
    expect(accountConsole.status).toBe(200);
    expect((await outsider.request(resourceOf(accountConsole.body))).status).toBe(200);
  }, 3 * 60_000);

  test("from outside, the admin console page and the master realm's login page are the proxy's 404", async () => {
    for (const path of ["/admin/master/console/", "/realms/master/account/", "/", "/realms/other/account/"]) {
      const response = await outsider.request(`${BASE}${path}`);
      expect({ path, status: response.status, body: response.body }).toEqual({ path, status: Number(NOT_ROUTED.statusCode), body: NOT_ROUTED.body });
    }
  }, 2 * 60_000);

  test("every admin request and path trick from outside gets the proxy's own answer, never the admin plane", async () => {
    const table: string[] = ["| path | outsider via proxy | straight to Keycloak |", "| --- | --- | --- |"];
    const outcomes: { probe: Probe; outsider: Outcome; keycloak: Outcome }[] = [];
    for (const p of PROBES) {
      const row = { probe: p, outsider: await probe(outsider, BASE, p), keycloak: await probe(direct, `http://${stand.node.address}:${PORTS.http}`, p) };
      outcomes.push(row);
      table.push(`| \`${p.path}\` | ${row.outsider} | ${row.keycloak} |`);
    }
    process.stdout.write(`\n${table.join("\n")}\n`);
    expect(outcomes.map((o) => `${o.probe.path}: ${o.outsider}`)).toEqual(PROBES.map((p) => `${p.path}: ${p.outsider}`));
    // The detection works: the plain requests reach the admin plane straight and from the operator's address.
    for (const o of outcomes.slice(0, 2)) {
      expect([o.probe.path, o.keycloak, await probe(operator, BASE, o.probe)]).toEqual([o.probe.path, "admin answered", "admin answered"]);
    }
  }, 10 * 60_000);
});
