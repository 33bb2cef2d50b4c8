import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DB_CA_BUNDLE_PATH, DB_CHARSET, DB_COLLATION, DB_NAME, DB_SSL_MODE, DB_USER } from "../../modules/shared/constants";
import {
  forMariaDbStandIn,
  jdbcTarget,
  KeycloakNode,
  MARIADB_STAND_IN_OVERRIDES,
  nodeEnvironment,
  synthesizeTaskContainer,
  Teardown,
  TestNetwork,
  waitFor,
  type Host,
  type TaskContainer,
} from "../support/cluster";
import {
  installDatabaseCa,
  issueServerCertificate,
  makeTestCa,
  probeMysqlConnectorJ,
  withDatabaseEndpoint,
  type ServerCertificate,
  type TestCa,
} from "../support/database-tls";
import { keycloakDist, nodeHome, REPO_ROOT, type KeycloakDist } from "../../tools/keycloak-dist";
import { MariaDb, sqlString } from "../support/mariadb";
import { freeTestSubnet } from "../support/netns-extras";
import { vpcCidrAround } from "../support/task-definition";
import { taskCgroupFor } from "../support/task-cgroup";
import { TempDirs } from "../support/temp-dir";

/**
 * Keycloak's database connection is TLS, verified: one Keycloak node, started through the image's
 * entrypoint with the synthesized task definition's KC_DB_URL (sslMode=VERIFY_IDENTITY, as MariaDB
 * Connector/J's verify-full) and a test CA where the image puts RDS's CA bundle, against a MariaDB
 * that serves TLS with require_secure_transport=ON. The node starts when the database's
 * certificate chains to that CA and names the URL's host, and refuses to when either is not so.
 */

/** What Terraform puts in for the RDS endpoint; the database's certificate names it. */
const DB_ENDPOINT = "keycloak-prod-db.rds.e2e.test";
const HEAP = "-Xms512m -Xmx768m";
const START_TIMEOUT_MS = 5 * 60_000;
const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs");

jest.setTimeout(START_TIMEOUT_MS + 60_000);

const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());

let container: TaskContainer;
let db: MariaDb;
let node: KeycloakNode;
let dbPassword: string;
let certificates: Record<"trusted" | "otherCa" | "otherName", ServerCertificate>;
/** For the MySQL Connector/J probe: the synthesized URL before the MariaDB translation, and where it runs. */
let probe: { url: string; dist: KeycloakDist; host: Host; ca: TestCa; workDir: string };

/** Keycloak's line once it serves requests. */
const STARTED = /Keycloak \S+ on JVM \(powered by Quarkus [^)]*\) started/;

/**
 * Starts the node and waits until Keycloak exits or logs `reason` (whether it gives up or retries,
 * it must not start); then stops it and returns its log since that start.
 */
async function startExpectingFailure(reason: RegExp): Promise<string> {
  await node.start(container.command);
  await waitFor(`${node.name} to exit or log ${reason}`, START_TIMEOUT_MS, () => (!node.running || reason.test(node.currentLog()) ? true : undefined), 1_000);
  const log = node.currentLog();
  await node.kill();
  return log;
}

beforeAll(async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  const work = tempDirs.make("kc-dbtls-");
  const dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES);
  const subnet = freeTestSubnet();
  const synthesized = synthesizeTaskContainer(join(work, "synth"), { vpcCidr: vpcCidrAround(subnet), hostname: "keycloak.e2e.test" });
  const deployed = withDatabaseEndpoint(synthesized.environment, DB_ENDPOINT);
  container = { ...synthesized, environment: forMariaDbStandIn(deployed) };
  const { host: dbHost, port: dbPort } = jdbcTarget(container.environment.KC_DB_URL);

  const network = new TestNetwork(subnet, teardown);
  const dbNet = network.attach("tlsdb", 2);
  const nodeHost = network.attach("tlskc", 11, { [dbHost]: dbNet.address });

  const tlsDir = join(work, "tls");
  const ca = makeTestCa(tlsDir, "test-rds-ca");
  const otherCa = makeTestCa(tlsDir, "unrelated-ca");
  const names = { dns: [dbHost], ips: [dbNet.address] };
  certificates = {
    trusted: issueServerCertificate(ca, tlsDir, "db", names),
    otherCa: issueServerCertificate(otherCa, tlsDir, "db-other-ca", names),
    otherName: issueServerCertificate(ca, tlsDir, "db-other-name", { dns: ["another-db.rds.e2e.test"] }),
  };
  db = await MariaDb.start({
    workDir: join(work, "mariadb"),
    address: dbNet.address,
    port: dbPort,
    netns: dbNet.namespace.name,
    tls: { certificate: certificates.trusted, caFile: ca.certFile },
  });
  teardown.add("mariadb", () => db.killNow());

  // What the setup script leaves (the integration test and the cluster e2e run the script itself).
  dbPassword = randomBytes(24).toString("base64url");
  db.query(`CREATE DATABASE ${DB_NAME} CHARACTER SET ${DB_CHARSET} COLLATE ${DB_COLLATION};
            CREATE USER '${DB_USER}'@'%' IDENTIFIED BY ${sqlString(dbPassword)} REQUIRE SSL;
            GRANT ALL PRIVILEGES ON ${DB_NAME}.* TO '${DB_USER}'@'%';`);
  const secretValues = {
    KC_DB_USERNAME: DB_USER,
    KC_DB_PASSWORD: dbPassword,
    KC_BOOTSTRAP_ADMIN_USERNAME: "admin",
    KC_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(24).toString("base64url"),
  };
  expect(Object.keys(secretValues).sort()).toEqual(container.secrets.map((secret) => secret.name).sort());

  probe = { url: deployed.KC_DB_URL, dist, host: nodeHost, ca, workDir: tlsDir };

  const home = nodeHome(dist, join(work, "node"));
  installDatabaseCa(home, ca);
  node = new KeycloakNode({
    name: "tls-node",
    host: nodeHost,
    home,
    logFile: join(LOG_DIR, "database-tls-node.log"),
    environment: nodeEnvironment(container.environment, secretValues, home, HEAP),
    metadataHost: network.gateway,
    containerName: container.name,
    guard: teardown,
    cgroup: taskCgroupFor("tls-node", container, teardown),
  });
  teardown.add("keycloak node", () => node.killNow());
}, 10 * 60_000);

afterAll(async () => {
  await node?.kill();
  await node?.closeMetadata();
  await db?.stop();
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}, 2 * 60_000);

describe("Keycloak's database connection: TLS required and verified (MariaDB stand-in, test CA)", () => {
  test("the node runs the synthesized URL: the RDS endpoint, sslMode=VERIFY_IDENTITY as MariaDB's verify-full, and the CA where the image puts RDS's bundle", () => {
    expect(DB_SSL_MODE).toBe("VERIFY_IDENTITY");
    expect(container.environment.KC_DB_URL).toBe(`jdbc:mariadb://${DB_ENDPOINT}:3306/keycloak?characterEncoding=UTF-8&sslMode=verify-full`);
    expect(DB_CA_BUNDLE_PATH.startsWith("conf/truststores/")).toBe(true);
  });

  test("plain connections are refused, also with the Keycloak user's right password", () => {
    const login = { user: DB_USER, password: dbPassword, database: DB_NAME };
    expect(db.queryAs(login, "SELECT 1;", "verified-tls").stdout).toBe("1\n");
    // MariaDB 10.11 answers a plain login under require_secure_transport with 1045 (MySQL 8.4: 3159).
    expect(db.queryAs(login, "SELECT 1;", "plain").stderr).toMatch(/^ERROR 1045 /);
  });

  test("with the database's certificate from the trusted CA naming the endpoint, Keycloak starts and its sessions are TLS", async () => {
    await node.start(container.command);
    await node.waitReady(START_TIMEOUT_MS);
    expect(node.currentLog()).toMatch(/Found the following truststore files in the truststore paths \[\S*\/conf\/truststores\/database-ca-bundle\.pem\]/);
    const sessions = db.query(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'keycloak' AND HOST LIKE '${node.address}:%';`);
    expect(Number(sessions)).toBeGreaterThan(0);
    // Every TCP session the server accepted since its start used TLS: it refuses any other.
    expect(db.query("SELECT @@require_secure_transport;")).toBe("1\n");
    await node.stop();
  });

  test("a database certificate from another CA: Keycloak does not start, and says the certificate path is not trusted", async () => {
    // MariaDB Connector/J's words for an untrusted chain (MySQL Connector/J's are checked below).
    const reason = /Self signed certificates\. Either set sslMode=trust|PKIX path building failed|unable to find valid certification path/;
    const log = await db.whileServing(certificates.otherCa, () => startExpectingFailure(reason));
    expect(log).toMatch(reason);
    expect(log).not.toMatch(STARTED);
  });

  test("a certificate from the trusted CA that does not name the endpoint: Keycloak does not start, and says the host name does not match", async () => {
    const reason = new RegExp(`${DB_ENDPOINT.replace(/\./g, "\\.")}.*(does not|doesn't) (correspond|match)|hostname verification failed`, "i");
    const log = await db.whileServing(certificates.otherName, () => startExpectingFailure(reason));
    expect(log).toMatch(reason);
    expect(log).not.toMatch(STARTED);
  });
});

describe("MySQL Connector/J, the driver Keycloak uses on RDS, with the synthesized URL and the CA as the JVM default truststore", () => {
  const connect = () =>
    probeMysqlConnectorJ({
      keycloakHome: probe.dist.home,
      namespace: probe.host.namespace,
      url: probe.url,
      user: DB_USER,
      password: dbPassword,
      ca: probe.ca,
      workDir: probe.workDir,
    });
  const status = (name: string) => Number(db.query(`SHOW GLOBAL STATUS LIKE '${name}';`).split("\t")[1]);
  /** Handshakes the server completed (Ssl_accepts counts attempts, a refused one included). */
  const finishedHandshakes = () => status("Ssl_finished_accepts");
  /** Connections that failed before they were logged in: a refused password or handshake counts. */
  const abortedConnects = () => status("Aborted_connects");

  test("the synthesized URL is MySQL Connector/J's, with sslMode=VERIFY_IDENTITY", () => {
    expect(probe.url).toBe(`jdbc:mysql://${DB_ENDPOINT}:3306/keycloak?characterEncoding=UTF-8&sslMode=VERIFY_IDENTITY`);
  });

  test("a certificate of the trusted CA naming the endpoint: the verified handshake and the login succeed", async () => {
    const before = { finished: finishedHandshakes(), aborted: abortedConnects() };
    const result = await connect();
    // MariaDB is not MySQL: after logging in, the driver may stop at a MySQL-only detail; that is past TLS.
    expect(result.stdout).not.toMatch(/SSL|PKIX|[Cc]ertificate|Access denied|identity/);
    // The server completed the handshake, and the login after it was not refused.
    // (At least one: the running node's pool may open a connection meanwhile; it neither fails a handshake nor a login.)
    expect({ handshakeCompleted: finishedHandshakes() > before.finished, abortedConnects: abortedConnects() - before.aborted }).toEqual({ handshakeCompleted: true, abortedConnects: 0 });
  });

  test("a certificate from another CA: the handshake fails, PKIX path building failed", async () => {
    const result = await db.whileServing(certificates.otherCa, connect);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/SSLHandshakeException.*(Path does not chain with any of the trust anchors|PKIX path building failed)/);
  });

  test("a certificate of the trusted CA for another name: the handshake fails, the server identity does not match", async () => {
    const result = await db.whileServing(certificates.otherName, connect);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Server identity verification failed|does not match|None of the certificate's DNS or IP Subject Alternative Name/);
  });
});
