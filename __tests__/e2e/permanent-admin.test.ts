import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DB_CA_BUNDLE_URL } from "../../modules/shared/constants";
import { fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import {
  forMariaDbStandIn,
  jdbcTarget,
  KeycloakNode,
  MARIADB_STAND_IN_OVERRIDES,
  nodeEnvironment,
  parseSecretReference,
  resolveSecrets,
  synthesizeTaskContainer,
  Teardown,
  TestNetwork,
  waitFor,
  type Host,
  type TaskContainer,
} from "../support/cluster";
import { caBundleUrl, databaseTls, installDatabaseCa, withDatabaseEndpoint, type TestCa } from "../support/database-tls";
import { Haproxy, makeCertificate } from "../support/haproxy";
import { keycloakDist, nodeHome, REPO_ROOT, type KeycloakDist } from "../../tools/keycloak-dist";
import type { MariaDb } from "../support/mariadb";
import { freeTestSubnet } from "../support/netns-extras";
import { vpcCidrAround } from "../support/task-definition";
import {
  namespaceEnvironments,
  passwordGrant,
  runPermanentAdminScript,
  runSynthesizedSetup,
  setupCommandsOf,
  synthesizedStack,
} from "../support/permanent-admin";
import { startRdsStandIn } from "../support/rds-stand-in";
import { SecretsManagerStub } from "../support/secrets-manager-stub";
import { taskCgroupFor } from "../support/task-cgroup";
import { TempDirs } from "../support/temp-dir";

/**
 * The runbook of README "Permanent admin" on one real Keycloak node behind the ALB-like proxy:
 * first deploy with the bootstrap admin, tools/permanent-admin.sh from an operator's machine
 * through the proxy, then the deploy with bootstrapAdmin false (database setup rerun, task
 * replaced by one of the new task definition). The tests run in file order.
 */

const PUBLIC_HOSTNAME = "keycloak.e2e.test";
const BASE_URL = `https://${PUBLIC_HOSTNAME}`;
const REGION = "eu-west-1";
const PERMANENT_ADMIN = "ops-admin";
const HEAP = "-Xms512m -Xmx1g";
/** What Terraform puts in for the RDS endpoint; the test database's certificate names it. */
const DB_ENDPOINT = "keycloak-db.rds.e2e.test";
const FIRST_START_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 4 * 60_000;
const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs");

const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());

let dist: KeycloakDist;
let work: string;
let synthOn: string;
let synthOff: string;
let withBootstrap: TaskContainer;
let withoutBootstrap: TaskContainer;
let network: TestNetwork;
let nodeHost: Host;
let operator: Host;
let bastion: Host;
let db: MariaDb;
/** The test CA that signs the database's certificate, where the deploy trusts RDS's bundle. */
let dbCa: TestCa;
let secrets: SecretsManagerStub;
let resolveReference: (reference: string) => string;
let proxy: Haproxy;
let proxyEndpoint: Endpoint;
let certificateFile: string;
const nodes: KeycloakNode[] = [];
let bootstrap: { username: string; password: string };

/** The command README "Permanent admin" gives `aws ecs run-task` for recovery: what is tested is what is documented. */
function readmeRecoveryCommand(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const overrides = /--overrides '(\{"containerOverrides".*\})'/.exec(readme)?.[1];
  if (overrides === undefined) throw new Error("README has no `aws ecs run-task --overrides` for the recovery");
  return (JSON.parse(overrides) as { containerOverrides: { command: string[] }[] }).containerOverrides[0].command;
}

/** Keycloak refuses a password grant with invalid_grant (26.7.3 answers 400; RFC 6749 allows 400 or 401). */
function expectRefused(grant: { status: number; error?: string }): void {
  expect(grant.error).toBe("invalid_grant");
  expect([400, 401]).toContain(grant.status);
}

/** What the script needs from `terraform output`, resolved to the stand-in's ARNs. */
function scriptArguments(): string[] {
  const output = synthesizedStack(synthOn).output;
  return [
    "--url", BASE_URL,
    "--username", PERMANENT_ADMIN,
    "--bootstrap-secret-id", resolveReference(output.keycloak_admin_secret_arn.value),
    "--admin-secret-id", resolveReference(output.keycloak_permanent_admin_secret_arn.value),
    "--region", REGION,
    "--cacert", certificateFile,
  ];
}

/** The stack's setup commands, with the test CA where the deploy downloads RDS's CA bundle. */
function setupCommands(synthDir: string): string[] {
  return setupCommandsOf(synthDir).map((command) => command.split(DB_CA_BUNDLE_URL).join(caBundleUrl(dbCa)));
}

function permanentAdminSecretArn(): string {
  return resolveReference(synthesizedStack(synthOff).output.keycloak_permanent_admin_secret_arn.value);
}

/** A node ("task") of one task definition: its environment is the definition's plus its secrets. */
function newNode(name: string, container: TaskContainer): KeycloakNode {
  const home = nodeHome(dist, join(work, name));
  installDatabaseCa(home, dbCa);
  const node = new KeycloakNode({
    name,
    host: nodeHost,
    home,
    logFile: join(LOG_DIR, `permanent-admin-${name}.log`),
    environment: nodeEnvironment(container.environment, resolveSecrets(container, resolveReference, secrets), home, HEAP),
    metadataHost: network.gateway,
    containerName: container.name,
    guard: teardown,
    cgroup: taskCgroupFor(name, container, teardown),
  });
  nodes.push(node);
  teardown.add(name, () => node.killNow());
  return node;
}

async function startBehindProxy(node: KeycloakNode, command: string[], timeoutMs: number): Promise<void> {
  await node.start(command);
  try {
    await node.waitReady(timeoutMs);
    await waitFor("the proxy's health check to mark the node UP", 30_000, async () => ((await proxy.serverStates()).node === "UP" ? true : undefined));
  } catch (error) {
    process.stdout.write(`\n----- last lines of ${node.logFile} -----\n${node.logTail(60)}\n`);
    throw error;
  }
}

beforeAll(async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  work = tempDirs.make("kc-e2e-admin-");
  dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES);

  const subnet = freeTestSubnet();
  const settings = { vpcCidr: vpcCidrAround(subnet), hostname: PUBLIC_HOSTNAME };
  synthOn = join(work, "synth-on");
  synthOff = join(work, "synth-off");
  const on = synthesizeTaskContainer(synthOn, settings);
  const off = synthesizeTaskContainer(synthOff, { ...settings, bootstrapAdmin: false });
  withBootstrap = { ...on, environment: forMariaDbStandIn(withDatabaseEndpoint(on.environment, DB_ENDPOINT)) };
  withoutBootstrap = { ...off, environment: forMariaDbStandIn(withDatabaseEndpoint(off.environment, DB_ENDPOINT)) };
  const { host: dbHost, port: dbPort } = jdbcTarget(withBootstrap.environment.KC_DB_URL);

  network = new TestNetwork(subnet, teardown);
  const dbNet = network.attach("db", 2);
  bastion = network.attach("bastion", 3, { [dbHost]: dbNet.address });
  // The operator's machine reaches Keycloak by its public name, through the proxy only.
  operator = network.attach("operator", 4, { [PUBLIC_HOSTNAME]: network.gateway });
  nodeHost = network.attach("node", 11, { [dbHost]: dbNet.address });

  // Terraform's secrets keep their ARNs across both deploys; Terraform creates them empty.
  secrets = new SecretsManagerStub(join(work, "aws"));
  const dbTls = databaseTls(join(work, "db-tls"), { dns: [dbHost], ips: [dbNet.address] });
  dbCa = dbTls.ca;
  const rds = await startRdsStandIn({ dir: join(work, "mariadb"), host: dbNet, port: dbPort, region: REGION, secrets, teardown, tls: dbTls.tls });
  db = rds.db;
  const masterSecretArn = rds.masterSecretArn;
  const arns = new Map<string, string>();
  resolveReference = (reference: string): string => {
    if (reference.includes("master_user_secret")) return masterSecretArn;
    if (/^\$\{aws_db_instance\.[^.]+\.address\}$/.test(reference)) return DB_ENDPOINT;
    const name = /^\$\{aws_secretsmanager_secret\.([^.]+)\.arn\}$/.exec(reference)?.[1];
    if (name === undefined) throw new Error(`no stand-in for the reference ${reference}`);
    if (!arns.has(name)) {
      arns.set(name, `arn:aws:secretsmanager:${REGION}:123456789012:secret:${name}-${randomBytes(3).toString("hex")}`);
      secrets.createSecret(arns.get(name)!);
    }
    return arns.get(name)!;
  };
  // Terraform creates the permanent admin's secret empty as well, in both deploys.
  permanentAdminSecretArn();

  await runSynthesizedSetup(setupCommands(synthOn), bastion, secrets, resolveReference);
  const bootstrapSecret = withBootstrap.secrets.find((s) => s.name === "KC_BOOTSTRAP_ADMIN_USERNAME");
  if (bootstrapSecret === undefined) throw new Error("the task definition with bootstrapAdmin on has no KC_BOOTSTRAP_ADMIN_USERNAME");
  bootstrap = secrets.credentials(resolveReference(parseSecretReference(bootstrapSecret.valueFrom).arn));

  const certificate = makeCertificate(work, PUBLIC_HOSTNAME);
  certificateFile = join(work, "proxy.crt");
  proxyEndpoint = { address: network.gateway, ca: certificate.certPem };
  proxy = await Haproxy.start({
    dir: work,
    bindAddress: network.gateway,
    bindPort: 443,
    certificate,
    backends: [{ name: "node", address: nodeHost.address }],
  });
  teardown.add("haproxy", () => proxy.kill());
}, 10 * 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.kill().then(() => node.closeMetadata())));
  await db?.stop();
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}, 3 * 60_000);

describe("from the bootstrap admin to a permanent admin, on a real Keycloak behind an ALB-like proxy", () => {
  test("first deploy (bootstrapAdmin on): the node gets the bootstrap admin from its task definition, who can log in", async () => {
    await startBehindProxy(newNode("first", withBootstrap), withBootstrap.command, FIRST_START_TIMEOUT_MS);
    expect(await passwordGrant(BASE_URL, proxyEndpoint, bootstrap.username, bootstrap.password)).toMatchObject({ status: 200 });
  }, 8 * 60_000);

  test("permanent-admin.sh through the proxy makes the permanent admin, deletes the bootstrap admin, never prints a password, and a rerun changes nothing", async () => {
    const first = await runPermanentAdminScript(operator, secrets, scriptArguments(), work);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/stored a generated password for 'ops-admin'/);
    expect(first.stdout).toMatch(/created user 'ops-admin'/);
    expect(first.stdout).toMatch(/granted 'ops-admin' the master realm's 'admin' role/);
    expect(first.stdout).toMatch(/verified: 'ops-admin' logs in and administers the realms/);
    expect(first.stdout).toMatch(new RegExp(`deleted the bootstrap admin '${bootstrap.username}'`));
    expect(first.stdout).toMatch(/permanent admin ops-admin ready/);

    const permanent = secrets.credentials(permanentAdminSecretArn());
    expect(permanent.username).toBe(PERMANENT_ADMIN);
    expect(permanent.password.length).toBeGreaterThanOrEqual(40);
    const puts = secrets.calls().filter((call) => call.operation === "put-secret-value" && call.secretId === permanentAdminSecretArn());
    expect(puts).toEqual([expect.objectContaining({ exitCode: 0, secretStringSource: "file", secretFileMode: "0o600" })]);

    const again = await runPermanentAdminScript(operator, secrets, scriptArguments(), work);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
    expect(again.stdout).toMatch(/logged in as the permanent admin 'ops-admin' \(from an earlier run\)/);
    expect(again.stdout).toMatch(/the bootstrap admin '.+' is already deleted/);
    expect(again.stdout).not.toMatch(/stored a generated|created user|granted|set the password|deleted the bootstrap/);
    expect(secrets.credentials(permanentAdminSecretArn())).toEqual(permanent);

    for (const output of [first.stdout, first.stderr, again.stdout, again.stderr]) {
      expect(output).not.toContain(permanent.password);
      expect(output).not.toContain(bootstrap.password);
    }
  }, 3 * 60_000);

  test("after the deploy with bootstrapAdmin off, the permanent admin administers Keycloak, the bootstrap admin cannot log in, and the node holds no bootstrap credentials", async () => {
    const bootstrapSecretArn = resolveReference(synthesizedStack(synthOn).output.keycloak_admin_secret_arn.value);
    const callsBefore = secrets.calls().length;
    await runSynthesizedSetup(setupCommands(synthOff), bastion, secrets, resolveReference);
    expect(secrets.calls().slice(callsBefore).filter((call) => call.secretId === bootstrapSecretArn)).toEqual([]);

    // ECS replaces the task with one of the new task definition.
    await nodes[0].stop();
    const replacement = newNode("replacement", withoutBootstrap);
    await startBehindProxy(replacement, withoutBootstrap.command, START_TIMEOUT_MS);

    const permanent = secrets.credentials(permanentAdminSecretArn());
    const login = await passwordGrant(BASE_URL, proxyEndpoint, permanent.username, permanent.password);
    expect(login.status).toBe(200);
    const headers = { Authorization: `Bearer ${login.token}`, Accept: "application/json" };
    const realms = await fetchOnce(`${BASE_URL}/admin/realms`, proxyEndpoint, { headers });
    expect(realms.status).toBe(200);
    expect((JSON.parse(realms.body) as { realm: string }[]).map((r) => r.realm)).toContain("master");
    const users = await fetchOnce(`${BASE_URL}/admin/realms/master/users?exact=true&username=${bootstrap.username}`, proxyEndpoint, { headers });
    expect({ status: users.status, users: JSON.parse(users.body) }).toEqual({ status: 200, users: [] });

    expectRefused(await passwordGrant(BASE_URL, proxyEndpoint, bootstrap.username, bootstrap.password));

    const processes = namespaceEnvironments(replacement.namespace);
    expect(processes.some((p) => /java/.test(p.command))).toBe(true);
    for (const p of processes) {
      expect({ pid: p.pid, bootstrapVariables: Object.keys(p.environment).filter((name) => name.startsWith("KC_BOOTSTRAP_ADMIN")) }).toEqual({ pid: p.pid, bootstrapVariables: [] });
      expect(Object.values(p.environment).some((value) => value.includes(bootstrap.password))).toBe(false);
    }
  }, 8 * 60_000);

  test("recovery as README documents it: a locked-out permanent admin is restored by kc.sh bootstrap-admin while no node runs, then permanent-admin.sh", async () => {
    const permanent = secrets.credentials(permanentAdminSecretArn());
    const { token } = await passwordGrant(BASE_URL, proxyEndpoint, permanent.username, permanent.password);
    const headers = { Authorization: `Bearer ${token}` };
    const users = await fetchOnce(`${BASE_URL}/admin/realms/master/users?exact=true&username=${PERMANENT_ADMIN}`, proxyEndpoint, { headers });
    const [{ id }] = JSON.parse(users.body) as { id: string }[];
    const lockOut = await fetchOnce(`${BASE_URL}/admin/realms/master/users/${id}/reset-password`, proxyEndpoint, {
      method: "PUT",
      headers,
      json: { type: "password", value: randomBytes(24).toString("base64url"), temporary: false },
    });
    expect(lockOut.status).toBe(204);
    expectRefused(await passwordGrant(BASE_URL, proxyEndpoint, permanent.username, permanent.password));

    // bootstrapAdmin back on: the setup fills the bootstrap secret, the tasks carry it again.
    await runSynthesizedSetup(setupCommands(synthOn), bastion, secrets, resolveReference);
    await nodes[nodes.length - 1].stop();
    const oneOff = newNode("recovery", withBootstrap);
    await oneOff.start(readmeRecoveryCommand());
    await waitFor("the one-off bootstrap-admin task to end", START_TIMEOUT_MS, () => (oneOff.running ? undefined : true), 1_000);
    await startBehindProxy(newNode("recovered", withBootstrap), withBootstrap.command, START_TIMEOUT_MS);
    expect(await passwordGrant(BASE_URL, proxyEndpoint, bootstrap.username, bootstrap.password)).toMatchObject({ status: 200 });

    const rerun = await runPermanentAdminScript(operator, secrets, scriptArguments(), work);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: "" });
    expect(rerun.stdout).toMatch(/set the password of 'ops-admin' from secret/);
    expect(rerun.stdout).toMatch(new RegExp(`deleted the bootstrap admin '${bootstrap.username}'`));
    expect(await passwordGrant(BASE_URL, proxyEndpoint, permanent.username, permanent.password)).toMatchObject({ status: 200 });
    expectRefused(await passwordGrant(BASE_URL, proxyEndpoint, bootstrap.username, bootstrap.password));
  }, 10 * 60_000);
});
