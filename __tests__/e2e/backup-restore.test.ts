import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DB_NAME, PORTS } from "../../modules/shared/constants";
import { fetchOnce } from "../../tools/keycloak-http/browser";
import { Teardown } from "../support/cluster";
import { SplitAlarmProbe } from "../support/cluster-metrics";
import { caBundleUrl } from "../support/database-tls";
import { runDbBackup, type BackupTarget } from "../support/db-backup";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { adminToken } from "../support/keycloak-login";
import { startSingleNodeStand, type SingleNodeStand } from "../support/single-node-stand";
import { SshServer } from "../support/sshd";
import { STACK } from "../support/task-definition";
import { waitFor } from "../support/waiting";

/**
 * README "Backup and restore", the dump/restore path, on a real Keycloak: one node of the
 * synthesized task definition on the TLS-only MariaDB stand-in, set up by the bastion's script.
 * A realm with a client and a user is created through the admin API; tools/db-backup.sh dumps the
 * database from this machine through a real OpenSSH bastion while Keycloak runs; Keycloak is
 * stopped and its database dropped (the runbook's steps); a restore into the non-empty database
 * is refused first; the restore into the empty one brings it back, and Keycloak started on it
 * logs the user in. The same stand then shows the cluster-split alarm's sidecar, as synthesized,
 * on real nodes: a view of 1 alone, 2 with a second task, 1 again once that one is killed.
 * The tests run in file order.
 */

const HOSTNAME = "keycloak.e2e.test";
const REALM = "backup-probe";
const CLIENT_ID = "backup-probe-app";
const USER = { username: "carol", password: "carol-e2e-Passw0rd!", email: "carol@e2e.test", firstName: "Carol", lastName: "Restored" };
const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs", "backup-restore");
const REPORT_FILE = join(LOG_DIR, "figures.md");
const START_TIMEOUT_MS = 4 * 60_000;

jest.setTimeout(3 * 60_000);

const teardown = new Teardown();
let work: string;
let stand: SingleNodeStand;
let target: BackupTarget;
const dumpFile = () => join(work, "keycloak.sql.gz");
const figures: string[] = [];

function record(line: string): void {
  figures.push(line);
  process.stdout.write(`backup-restore: ${line}\n`);
}

async function adminCall(method: string, path: string, json?: unknown): Promise<{ status: number; body: string }> {
  const token = await adminToken(stand.node, { issuer: "", accountUrl: "", admin: stand.admin });
  return fetchOnce(`http://${stand.node.address}:${PORTS.http}/admin/realms${path}`, { address: stand.node.address }, {
    method,
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    json,
  });
}

/** The user's password grant at the test client: the login the restored Keycloak must still accept. */
async function userLogin(): Promise<{ status: number; username?: string }> {
  const response = await fetchOnce(`http://${stand.node.address}:${PORTS.http}/realms/${REALM}/protocol/openid-connect/token`, { address: stand.node.address }, {
    form: { grant_type: "password", client_id: CLIENT_ID, username: USER.username, password: USER.password, scope: "openid" },
  });
  if (response.status !== 200) return { status: response.status };
  const token = (JSON.parse(response.body) as { access_token: string }).access_token;
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()) as { preferred_username?: string; iss?: string };
  return { status: 200, username: claims.preferred_username };
}

function tableCount(): number {
  return Number(stand.db.query(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}';`).trim());
}

/**
 * The database's content: every table with its row count and CHECKSUM TABLE, but JGROUPS_PING
 * (the running node's discovery row, which it rewrites on its own; the dump leaves it out too).
 */
function contentByTable(): Record<string, string> {
  const tables = stand.db.query(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}' AND TABLE_NAME <> 'JGROUPS_PING' ORDER BY TABLE_NAME;`).trim().split("\n");
  const sums = stand.db.query(`CHECKSUM TABLE ${tables.map((t) => `\`${DB_NAME}\`.\`${t}\``).join(", ")} EXTENDED;`).trim().split("\n");
  const counts = stand.db.query(tables.map((t) => `SELECT '${t}', COUNT(*) FROM \`${DB_NAME}\`.\`${t}\`;`).join("\n")).trim().split("\n");
  const rows = Object.fromEntries(counts.map((line) => line.split("\t") as [string, string]));
  return Object.fromEntries(sums.map((line) => {
    const [qualified, checksum] = line.split("\t");
    const table = qualified.replace(/^[^.]*\./, "");
    return [table, `${rows[table]} rows, checksum ${checksum}`];
  }));
}

beforeAll(async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  // Not under /tmp: the bastion's sessions get a /tmp of their own, and they read the secrets stub and the CA from here.
  work = mkdtempSync("/var/tmp/kc-e2e-backup-");
  teardown.add("work directory", () => rmSync(work, { recursive: true, force: true }));
  stand = await startSingleNodeStand({ work, logDir: LOG_DIR, hostname: HOSTNAME, clients: {}, settings: () => ({}), teardown });
  const { database } = stand;
  const bastion = await SshServer.start({
    workDir: join(work, "sshd"),
    netns: database.bastion.namespace.name,
    address: database.bastion.address,
    port: PORTS.ssh,
    pathPrefix: [database.secrets.binDir],
  });
  teardown.add("sshd", () => void bastion.stop());
  // The CA the database's certificate chains to may live under /tmp (the image runtime keeps it in
  // .cache/image, and a clone may sit under /tmp), which the bastion's sessions cannot see: a copy here.
  const caCopy = { ...database.ca, certFile: join(work, "database-ca.pem") };
  copyFileSync(database.ca.certFile, caCopy.certFile);
  target = { bastion, dbHost: database.host, masterSecretArn: database.masterSecretArn, userSecretArn: database.userSecretArn, region: database.region, caBundleUrl: caBundleUrl(caCopy) };
}, 8 * 60_000);

afterAll(async () => {
  writeFileSync(REPORT_FILE, `# Backup and restore e2e figures\n\n${figures.map((f) => `- ${f}`).join("\n")}\n`);
  await stand?.node.kill();
  await stand?.node.closeMetadata();
  await stand?.db.stop();
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}, 2 * 60_000);

describe("the cluster-split alarm's sidecar on a lone node", () => {
  test("the synthesized sidecar reports the lone node's view of 1, which the alarm reads and finds healthy with 1 task", async () => {
    // What Keycloak 26.7.3 exposes, kept for the record next to the node's log.
    const metrics = await fetchOnce(`http://${stand.node.address}:${PORTS.management}/metrics`, { address: stand.node.address });
    writeFileSync(join(LOG_DIR, "metrics.txt"), metrics.body);
    const probe = new SplitAlarmProbe(join(work, "synth"), STACK);
    const view = await probe.members(stand.node);
    expect(view).toBe(1);
    expect(probe.verdict(1, [view])).toEqual({ value: 0, breaches: false });
    record(`cluster-metrics sidecar on the lone node: ClusterMembers ${view}`);
  });
});

describe("dump and restore of a real Keycloak database through the bastion (README: Backup and restore)", () => {
  test("a realm with a client and a user exists, and the user logs in", async () => {
    expect((await adminCall("POST", "", { realm: REALM, enabled: true })).status).toBe(201);
    expect((await adminCall("POST", `/${REALM}/clients`, { clientId: CLIENT_ID, publicClient: true, directAccessGrantsEnabled: true })).status).toBe(201);
    const created = await adminCall("POST", `/${REALM}/users`, {
      ...USER,
      password: undefined,
      enabled: true,
      emailVerified: true,
      credentials: [{ type: "password", value: USER.password, temporary: false }],
    });
    expect(created.status).toBe(201);
    expect(await userLogin()).toEqual({ status: 200, username: USER.username });
  });

  test("dump while Keycloak runs: a complete gzip file, with progress, and no password in the output", async () => {
    const started = Date.now();
    const result = await runDbBackup("dump", dumpFile(), target);
    expect({ code: result.code, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, failure: "" });
    const bytes = statSync(dumpFile()).size;
    const sql = execFileSync("gzip", ["-dc", dumpFile()], { maxBuffer: 512 * 1024 * 1024 });
    const tables = (result.stderr.match(/^db-backup: dumping table /gm) ?? []).length;
    expect(tables).toBe(tableCount());
    expect(sql.toString()).toContain(`'${USER.username}'`);
    for (const secret of [stand.database.secrets.credentials(stand.database.masterSecretArn).password, stand.admin.password]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    record(`dump of a fresh Keycloak 26.7.3 database (${tables} tables, one extra realm, client and user): ${bytes} bytes gzip, ${sql.length} bytes SQL, ${((Date.now() - started) / 1000).toFixed(1)} s through SSH`);
  });

  test("restore into the live, non-empty database is refused and changes nothing", async () => {
    const before = contentByTable();
    expect(Object.keys(before).length).toBe(tableCount() - 1);
    const result = await runDbBackup("restore", dumpFile(), target);
    expect(result.code).not.toBe(0);
    // The live database is refused first for Keycloak's connections (the tool checks them before anything else).
    expect(result.stderr).toMatch(/db-backup: error: user keycloak has \d+ connections to \S+: a Keycloak is running against it; scale the service to 0 first\. Nothing was changed/);
    // Nothing changed: every table's rows, by count and checksum.
    expect(contentByTable()).toEqual(before);
  });

  test("after the runbook's stop and drop, the restore fills the empty database; Keycloak starts on it and the user logs in", async () => {
    await stand.node.stop();
    await waitFor("Keycloak's database connections to close", 30_000, () =>
      stand.db.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'keycloak';").trim() === "0" ? true : undefined,
    );
    const dropped = await runDbBackup("drop", DB_NAME, target);
    expect({ code: dropped.code, failure: dropped.code === 0 ? "" : dropped.stderr }).toEqual({ code: 0, failure: "" });
    const restoreStarted = Date.now();
    const result = await runDbBackup("restore", dumpFile(), target);
    expect({ code: result.code, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, failure: "" });
    const restoreSeconds = (Date.now() - restoreStarted) / 1000;
    expect(result.stderr).toMatch(/^db-backup: restored keycloak: \d+ tables$/m);
    // The dumped installation's node addresses stay behind: the new start finds no stale peers.
    expect(stand.db.query(`SELECT COUNT(*) FROM ${DB_NAME}.JGROUPS_PING;`).trim()).toBe("0");

    const startedAt = Date.now();
    await stand.node.start(stand.container.command);
    await stand.node.waitReady(START_TIMEOUT_MS);
    const startSeconds = (Date.now() - startedAt) / 1000;
    expect(await userLogin()).toEqual({ status: 200, username: USER.username });
    const clients = JSON.parse((await adminCall("GET", `/${REALM}/clients?clientId=${CLIENT_ID}`)).body) as { clientId: string }[];
    expect(clients.map((c) => c.clientId)).toEqual([CLIENT_ID]);
    record(`restore into the empty database: ${restoreSeconds.toFixed(1)} s through SSH; Keycloak on the restored database ready in ${startSeconds.toFixed(1)} s, the user logs in`);
  }, 6 * 60_000);
});

describe("the cluster-split alarm's sidecar on two nodes, then one (README: Alarms and the dashboard)", () => {
  test("both sidecars report a view of 2 once a second task joins; after it is killed the survivor's reports 1, which the alarm flags while ECS still counts 2 tasks", async () => {
    const probe = new SplitAlarmProbe(join(work, "synth"), STACK);
    const first = stand.node;
    const second = stand.addNode("node-2", 12);
    await second.start(stand.container.command);
    await second.waitReady(START_TIMEOUT_MS);
    const reportsOf = async (...nodes: (typeof first)[]) => Promise.all(nodes.map((node) => probe.members(node)));
    const pair = await waitFor("both sidecars to report a view of 2", 60_000, async () => {
      const views = await reportsOf(first, second);
      return views.every((view) => view === 2) ? views : undefined;
    }, 2_000);
    expect(probe.verdict(2, pair)).toEqual({ value: 0, breaches: false });
    record(`cluster-metrics sidecars with two nodes: ClusterMembers ${pair.join(" and ")} (alarm value 0 with 2 tasks: OK)`);

    const killedAt = Date.now();
    await second.kill();
    const [alone] = await waitFor("the survivor's sidecar to report a view of 1", 60_000, async () => {
      const views = await reportsOf(first);
      return views[0] === 1 ? views : undefined;
    }, 2_000);
    expect(probe.verdict(2, [alone])).toEqual({ value: 1, breaches: true });
    expect(probe.verdict(1, [alone])).toEqual({ value: 0, breaches: false });
    record(
      `after node-2 was killed the survivor's sidecar reported ClusterMembers ${alone} within ${((Date.now() - killedAt) / 1000).toFixed(0)} s ` +
        "(alarm value 1 while ECS still counts 2 tasks: alarm; 0 with 1 task: OK)",
    );
  }, 6 * 60_000);
});
