import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "../../modules/shared/constants";
import { CLIENT_FORWARDING_HEADERS } from "../../modules/edge/waf";
import { WAF_BLOCK_STATUS } from "../../policy/waf-rules";
import { proxyRulesOfSynth } from "../../policy/alb-rules";
import { Haproxy, makeCertificate } from "../support/haproxy";
import { STACK } from "../support/task-definition";
import { Teardown } from "../support/cluster";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { exampleRealm } from "../support/realm-checks";
import { NamespaceClient } from "../support/netns-curl";
import { printStandLogs, startSingleNodeStand, stopSingleNodeStand, type SingleNodeStand } from "../support/single-node-stand";
import { TempDirs } from "../support/temp-dir";

/**
 * The address Keycloak records for a login cannot be chosen by the client. One Keycloak node
 * behind the ALB stand-in, whose proxy appends X-Forwarded-For as the ALB does and blocks what the
 * synthesized web ACL blocks (policy/waf-rules.ts translates it; no web ACL, no block). A client
 * outside the ALB's subnets logs in to the shipped example realm (events on, as realms/ ships it)
 * with a forged X-Forwarded-For, through the proxy and straight to the task; Keycloak's LOGIN
 * events, read through the admin API, must carry only its real address.
 */

const HOSTNAME = "keycloak.e2e.test";
const BASE = `https://${HOSTNAME}`;
const FORGED = "198.51.100.9";
const USER = { username: "bob", password: "bob-e2e-Passw0rd" };
/** A public client with the password grant, so one token request is one LOGIN event. */
const CLIENT_ID = "e2e-direct-grant";
const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs", "client-address");
const MASTER_TOKEN = "/realms/master/protocol/openid-connect/token";

const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());

let stand: SingleNodeStand;
let realm: string;
/** Inside adminAllowedCidrs: reads the events. */
let operator: NamespaceClient;
/**
 * Anyone on the internet; host number 141 is outside the public subnets (the VPC's first two /27s,
 * .0 to .63 of the test network, where the ALB's nodes are: vpcCidrAround), so the task does not
 * trust its forwarding headers.
 */
let outsider: NamespaceClient;
let outsiderAddress: string;
/** The same client through a proxy with the listener's rules but not the web ACL's: the stack with the WAF off. */
let outsiderWithoutWaf: NamespaceClient;
/** Where that proxy listens (the ALB stand-in has 443). */
const NO_WAF_PORT = 8443;

async function adminHeaders(): Promise<Record<string, string>> {
  const token = await operator.request(`${BASE}${MASTER_TOKEN}`, {
    form: { grant_type: "password", client_id: "admin-cli", username: stand.admin.username, password: stand.admin.password },
  });
  expect(token.status).toBe(200);
  return { Authorization: `Bearer ${(JSON.parse(token.body) as { access_token: string }).access_token}`, Accept: "application/json" };
}

/** The addresses of the realm's LOGIN events, oldest first. */
async function loginAddresses(): Promise<string[]> {
  const events = await operator.request(`${BASE}/admin/realms/${realm}/events?type=LOGIN&max=100`, { headers: await adminHeaders() });
  expect(events.status).toBe(200);
  return (JSON.parse(events.body) as { ipAddress: string; time: number }[]).sort((a, b) => a.time - b.time).map((e) => e.ipAddress);
}

async function clearEvents(): Promise<void> {
  const cleared = await operator.request(`${BASE}/admin/realms/${realm}/events`, { method: "DELETE", headers: await adminHeaders() });
  expect(cleared.status).toBe(204);
}

const passwordGrant = { grant_type: "password", client_id: CLIENT_ID, username: USER.username, password: USER.password, scope: "openid" };

beforeAll(async () => {
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  realm = exampleRealm().name;
  const work = tempDirs.make("kc-client-address-");
  stand = await startSingleNodeStand({
    work,
    logDir: LOG_DIR,
    hostname: HOSTNAME,
    clients: { operator: 142, outsider: 141 },
    settings: (addressOf) => ({ KEYCLOAK_ADMIN_ALLOWED_CIDRS: `${addressOf("operator")}/32`, KEYCLOAK_PUBLIC_REALMS: realm }),
    teardown,
  });
  const resolve = `${HOSTNAME}:443:${stand.network.gateway}`;
  operator = new NamespaceClient(stand.clients.operator.namespace, resolve, stand.caPem, work);
  outsider = new NamespaceClient(stand.clients.outsider.namespace, resolve, stand.caPem, work);
  outsiderAddress = stand.clients.outsider.address;

  const noWafDir = join(work, "proxy-without-waf");
  mkdirSync(noWafDir);
  const certificate = makeCertificate(noWafDir, HOSTNAME);
  const proxy = await Haproxy.start({
    dir: noWafDir,
    bindAddress: stand.network.gateway,
    bindPort: NO_WAF_PORT,
    certificate,
    backends: [{ name: stand.node.name, address: stand.node.address }],
    frontendRules: proxyRulesOfSynth(join(work, "synth"), STACK),
  });
  teardown.add("haproxy without the WAF", () => proxy.kill());
  outsiderWithoutWaf = new NamespaceClient(stand.clients.outsider.namespace, `${HOSTNAME}:${NO_WAF_PORT}:${stand.network.gateway}`, certificate.certPem, noWafDir);
}, 10 * 60_000);

afterAll(() => stopSingleNodeStand(stand, teardown), 2 * 60_000);

const printLogs = () => printStandLogs(stand);

describe("the client address Keycloak records cannot be forged: proxy appending like the ALB, with the synthesized web ACL's header rule", () => {
  test("the shipped example realm saves login events and has brute-force detection on; the operator adds a user and a password-grant client", async () => {
    const headers = await adminHeaders();
    const representation = await operator.request(`${BASE}/admin/realms/${realm}`, { headers });
    expect(JSON.parse(representation.body)).toMatchObject({ bruteForceProtected: true, permanentLockout: false, eventsEnabled: true });
    const user = await operator.request(`${BASE}/admin/realms/${realm}/users`, {
      headers,
      json: { username: USER.username, email: "bob@e2e.test", firstName: "Bob", lastName: "E2e", enabled: true, emailVerified: true, credentials: [{ type: "password", value: USER.password, temporary: false }] },
    });
    expect(user.status).toBe(201);
    const client = await operator.request(`${BASE}/admin/realms/${realm}/clients`, {
      headers,
      json: { clientId: CLIENT_ID, enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false },
    });
    expect(client.status).toBe(201);
    await clearEvents();
  }, 3 * 60_000);

  test("the proxy blocks what the synthesized web ACL blocks: a request bringing any forwarding header", () => {
    for (const header of CLIENT_FORWARDING_HEADERS) {
      expect(stand.frontendRules).toContain(`  http-request deny deny_status ${WAF_BLOCK_STATUS} if { req.hdr_cnt(${header}) gt 0 }`);
    }
  });

  test("through the ALB, a login with a forged X-Forwarded-For never records the forged address; a plain login records the real one", async () => {
    const forged = await outsider.request(`${BASE}/realms/${realm}/protocol/openid-connect/token`, { form: passwordGrant, headers: { "X-Forwarded-For": FORGED } });
    const plain = await outsider.request(`${BASE}/realms/${realm}/protocol/openid-connect/token`, { form: passwordGrant });
    if (plain.status !== 200) printLogs();
    expect({ forged: forged.status, plain: plain.status, recorded: await loginAddresses() }).toEqual({
      forged: WAF_BLOCK_STATUS,
      plain: 200,
      recorded: [outsiderAddress],
    });
    await clearEvents();
  }, 2 * 60_000);

  test("control: without the web ACL's rule (the WAF off, as in dev), the same forged login is recorded with the forged address", async () => {
    const forged = await outsiderWithoutWaf.request(`${BASE}:${NO_WAF_PORT}/realms/${realm}/protocol/openid-connect/token`, {
      form: passwordGrant,
      headers: { "X-Forwarded-For": FORGED },
    });
    expect({ status: forged.status, recorded: await loginAddresses() }).toEqual({ status: 200, recorded: [FORGED] });
    await clearEvents();
  }, 2 * 60_000);

  test("straight to a task from outside the ALB's subnets, forwarding headers are ignored: the login is recorded with the sender's own address", async () => {
    // With hostname a fixed https:// URL, Keycloak does not need X-Forwarded-Proto to serve this.
    const direct = await outsider.request(`http://${stand.node.address}:${PORTS.http}/realms/${realm}/protocol/openid-connect/token`, {
      form: passwordGrant,
      headers: { "X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https" },
    });
    // Believed (a peer inside proxy-trusted-addresses), the header would have recorded 198.51.100.9.
    expect({ status: direct.status, recorded: await loginAddresses() }).toEqual({ status: 200, recorded: [outsiderAddress] });
    await clearEvents();
  }, 2 * 60_000);

  test("/resources/<realm>/<type>/<locale> tells anyone whether a realm exists, public or not, and returns its texts", async () => {
    const answers: Record<string, number> = {};
    for (const name of [realm, "master", "no-such-realm"]) answers[name] = (await outsider.request(`${BASE}/resources/${name}/account/en`)).status;
    expect(answers).toEqual({ [realm]: 200, master: 200, "no-such-realm": 404 });
    const texts = JSON.parse((await outsider.request(`${BASE}/resources/master/account/en`)).body) as { key: string; value: string }[];
    expect(texts.length).toBeGreaterThan(0);
  }, 2 * 60_000);
});
