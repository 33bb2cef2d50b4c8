import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DB_CHARSET, DB_COLLATION, DB_NAME, DB_USER, PORTS } from "../../modules/shared/constants";
import {
  REMOTE_SCRIPT_PATH,
  SETUP_SCRIPT_PATH,
  setupCommands,
  shellQuote,
  type SetupArguments,
} from "../../modules/database/setup/commands";
import { BinDir, resolveCommand } from "../support/command-stubs";
import { caBundleUrl, issueServerCertificate, makeTestCa, type ServerCertificate } from "../support/database-tls";
import { MariaDb, sqlString } from "../support/mariadb";
import { NamespaceRegistry } from "../support/netns";
import { freeTestSubnet, setNamespaceHosts } from "../support/netns-extras";
import type { RunResult } from "../support/run-process";
import { SecretsManagerStub } from "../support/secrets-manager-stub";
import { SshServer } from "../support/sshd";

/**
 * The database setup as deployed: the script is uploaded to a real OpenSSH bastion and run with
 * exactly setupCommands() the way Terraform's remote-exec runs them, against a real MariaDB (the
 * RDS stand-in), with a stand-in `aws` for Secrets Manager. Bastion and database live in a network
 * namespace of their own; db.keycloak.internal resolves to the database inside it only.
 * The database serves TLS from a test CA with require_secure_transport=ON, as RDS does with the
 * stack's parameter group; the script gets that CA as a file:// URL where the deploy passes
 * RDS's https:// bundle URL (the only difference to the deployed commands).
 *
 * The tests share one stand and run in file order: each builds on the state the previous left.
 */

const run = promisify(execFile);
jest.setTimeout(60_000);

const REGION = "eu-central-1";
const DB_HOSTNAME = "db.keycloak.internal";
const MASTER_USER = "admin";
// Every character the brief names as dangerous: quotes, backslash, dollar, spaces, percent (and #, `).
const MASTER_PASSWORD = `Ma'st"er\\ $HOME %s #1 \`id\``;
const SPECIAL_USER_PASSWORD = `kc 'single' "double" \\back\\slash\\ $PATH 100% #x`;

function secretArn(name: string): string {
  return `arn:aws:secretsmanager:${REGION}:123456789012:secret:${name}-${randomBytes(3).toString("hex")}`;
}

const MASTER_SECRET_ARN = secretArn("rds!db-5f0c8a4e-2b1d-4c6e-9a7f-3d2e1b0c9a8f");
const USER_SECRET_ARN = secretArn("keycloak-dev/db-user");
const ADMIN_SECRET_ARN = secretArn("keycloak-dev/bootstrap-admin");

/** The provisioner's arguments; the CA bundle URL is the test CA's, made in beforeAll. */
let SETUP: SetupArguments;

const cleanups: (() => void | Promise<void>)[] = [];
const namespaces = new NamespaceRegistry();
let db: MariaDb;
let bastion: SshServer;
let secrets: SecretsManagerStub;
let firstRun: SampledRun;
/** Every mysql command line the script ran on the bastion, one per line. */
let mysqlCommandLines: () => string;
/** The database's own certificate, and two it must not be trusted with. */
let certificates: Record<"trusted" | "otherCa" | "otherName", ServerCertificate>;

interface SampledRun {
  result: RunResult;
  /** `ps -ww -eo args` output, sampled about every 50 ms while the run lasted. */
  processLists: string[];
}

/** Runs the provisioner's commands over SSH while sampling the machine's process list. */
async function provision(args: SetupArguments = SETUP): Promise<SampledRun> {
  const processLists: string[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      processLists.push((await run("ps", ["-ww", "-eo", "args"], { maxBuffer: 16 * 1024 * 1024 })).stdout);
      await new Promise((done) => setTimeout(done, 50));
    }
  })();
  try {
    return { result: await bastion.remoteExecInline(setupCommands(args), { timeoutMs: 120_000 }), processLists };
  } finally {
    running = false;
    await sampler;
  }
}

function expectSucceeded(result: RunResult): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  expect(result.stdout).toMatch(/^database keycloak ready$/m);
}

function keycloakLogin(password: string, sql = "SELECT CURRENT_USER();") {
  return db.queryAs({ user: DB_USER, password, database: DB_NAME }, sql);
}

function keycloakAccount(): string {
  return db.query("SELECT Priv FROM mysql.global_priv WHERE User = 'keycloak' AND Host = '%';");
}

function databaseState() {
  return {
    grants: db.query("SHOW GRANTS FOR 'keycloak'@'%';"),
    account: keycloakAccount(),
    databases: db.query("SHOW DATABASES;"),
    schema: schemaDefaults(),
    users: db.query("SELECT User, Host FROM mysql.user ORDER BY User, Host;"),
  };
}

/** mysql.user's ssl_type of the keycloak account: "ANY" is REQUIRE SSL, empty is no requirement. */
function keycloakSslType(): string {
  return db.query("SELECT ssl_type FROM mysql.user WHERE User = 'keycloak' AND Host = '%';").trim();
}

function schemaDefaults(): string {
  return db.query(
    `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB_NAME}';`,
  );
}

/** MariaDB records password changes with one-second resolution: wait so a change would show. */
function nextSecond(): Promise<void> {
  return new Promise((done) => setTimeout(done, 1_100));
}

beforeAll(async () => {
  // Not under /tmp: the bastion gets a /tmp of its own.
  const workDir = mkdtempSync("/var/tmp/kc-db-setup-");
  cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));

  const subnet = freeTestSubnet();
  const bastionAddress = `${subnet}.2`;
  const dbAddress = `${subnet}.3`;
  const vpc = namespaces.create("kcdb");
  cleanups.push(() => namespaces.deleteAll());
  const veth = vpc.addVeth({ hostAddress: `${subnet}.1/24`, namespaceAddress: `${bastionAddress}/24` });
  vpc.addAddress(veth.namespaceInterface, `${dbAddress}/24`);
  cleanups.push(setNamespaceHosts(vpc.name, { [DB_HOSTNAME]: dbAddress }));

  secrets = new SecretsManagerStub(join(workDir, "aws"));
  // Sampling the process list can miss a short-lived process; this wrapper cannot.
  const mysqlLog = join(workDir, "mysql-argv.log");
  const recorder = new BinDir(join(workDir, "recorder")).script(
    "mysql",
    `printf '%s\\n' "$*" >>'${mysqlLog}'\nexec ${resolveCommand("mysql")} "$@"`,
  );
  mysqlCommandLines = () => readFileSync(mysqlLog, "utf8");
  const tlsDir = join(workDir, "tls");
  const ca = makeTestCa(tlsDir, "test-rds-ca");
  const otherCa = makeTestCa(tlsDir, "unrelated-ca");
  // The address too: the tests' own verified connections (MariaDb.queryAs) go to the address.
  const dbNames = { dns: [DB_HOSTNAME], ips: [dbAddress] };
  certificates = {
    trusted: issueServerCertificate(ca, tlsDir, "db", dbNames),
    otherCa: issueServerCertificate(otherCa, tlsDir, "db-other-ca", dbNames),
    otherName: issueServerCertificate(ca, tlsDir, "db-other-name", { dns: ["another-db.keycloak.internal"] }),
  };
  SETUP = {
    dbHost: DB_HOSTNAME,
    dbPort: PORTS.mysql,
    caBundleUrl: caBundleUrl(ca),
    masterSecretArn: MASTER_SECRET_ARN,
    userSecretArn: USER_SECRET_ARN,
    adminSecretArn: ADMIN_SECRET_ARN,
    region: REGION,
  };
  db = await MariaDb.start({
    workDir: join(workDir, "mariadb"),
    netns: vpc.name,
    address: dbAddress,
    port: PORTS.mysql,
    tls: { certificate: certificates.trusted, caFile: ca.certFile },
  });
  cleanups.push(() => db.stop());
  // What RDS sets up: a master user with (nearly) all privileges, its password in a managed secret.
  db.query(
    `CREATE USER '${MASTER_USER}'@'%' IDENTIFIED BY ${sqlString(MASTER_PASSWORD)};
     GRANT ALL PRIVILEGES ON *.* TO '${MASTER_USER}'@'%' WITH GRANT OPTION;`,
  );
  secrets.createSecret(MASTER_SECRET_ARN, { username: MASTER_USER, password: MASTER_PASSWORD });
  // What Terraform creates: the two Keycloak secrets, without a value.
  secrets.createSecret(USER_SECRET_ARN);
  secrets.createSecret(ADMIN_SECRET_ARN);

  bastion = await SshServer.start({
    workDir: join(workDir, "bastion"),
    netns: vpc.name,
    address: bastionAddress,
    port: PORTS.ssh,
    pathPrefix: [secrets.binDir, recorder.path],
  });
  cleanups.push(() => bastion.stop());

  // The file provisioner's step.
  await bastion.upload(SETUP_SCRIPT_PATH, REMOTE_SCRIPT_PATH);
  firstRun = await provision();
}, 180_000);

afterAll(async () => {
  const errors: unknown[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
}, 60_000);

describe("database setup on the bastion (real sshd, real MariaDB, stand-in Secrets Manager)", () => {
  test("the stand-in master user really has the password with quotes, backslash, $, spaces and %", () => {
    expect(db.queryAs({ user: MASTER_USER, password: MASTER_PASSWORD }, "SELECT 1;").stdout).toBe("1\n");
    expect(db.queryAs({ user: MASTER_USER, password: "wrong" }, "SELECT 1;").ok).toBe(false);
  });

  test("the first run, exactly as the provisioner runs it, succeeds and prints progress lines", () => {
    expectSucceeded(firstRun.result);
    expect(firstRun.result.stdout).toMatch(/^waiting for db\.keycloak\.internal:3306 \(attempt 1\/30\)$/m);
    expect(firstRun.result.stdout).toMatch(/^created user 'keycloak'@'%'$/m);
  });

  test("creates database keycloak with utf8mb4 / utf8mb4_unicode_ci (the server default is latin1)", () => {
    expect(db.query("SELECT @@character_set_server;")).toBe("latin1\n");
    expect(schemaDefaults()).toBe(`${DB_CHARSET}\t${DB_COLLATION}\n`);
  });

  test("fills the DB-user and admin secrets with generated url-safe passwords of at least 32 characters", () => {
    const user = secrets.credentials(USER_SECRET_ARN);
    const admin = secrets.credentials(ADMIN_SECRET_ARN);
    expect(user.username).toBe("keycloak");
    expect(admin.username).toBe("admin");
    for (const { password } of [user, admin]) {
      expect(password).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    }
    expect(user.password).not.toBe(admin.password);
    const puts = secrets.calls().filter((call) => call.operation === "put-secret-value");
    expect(puts.map((call) => call.secretId).sort()).toEqual([ADMIN_SECRET_ARN, USER_SECRET_ARN].sort());
    for (const call of puts) {
      expect({ source: call.secretStringSource, mode: call.secretFileMode, region: call.region }).toEqual({
        source: "file",
        mode: "0o600",
        region: REGION,
      });
    }
  });

  test("the database user's password equals the DB-user secret", () => {
    expect(keycloakLogin(secrets.credentials(USER_SECRET_ARN).password).stdout).toBe("keycloak@%\n");
    expect(keycloakLogin("not-the-secret").stderr).toMatch(/ERROR 1045/);
  });

  test("the keycloak user can create a table in keycloak and is denied on any other database", () => {
    const password = secrets.credentials(USER_SECRET_ARN).password;
    db.query("CREATE DATABASE other_app; CREATE TABLE other_app.t (id INT);");
    try {
      const own = keycloakLogin(password, "CREATE TABLE probe (id INT PRIMARY KEY); INSERT INTO probe VALUES (1); SELECT id FROM probe; DROP TABLE probe;");
      expect(own).toEqual({ ok: true, stdout: "1\n", stderr: "" });
      for (const sql of ["SELECT * FROM other_app.t;", "CREATE TABLE other_app.x (id INT);", "CREATE DATABASE keycloak2;"]) {
        const other = keycloakLogin(password, sql);
        expect(other.ok).toBe(false);
        expect(other.stderr).toMatch(/ERROR (1142|1044)/);
      }
      expect(db.query("SHOW GRANTS FOR 'keycloak'@'%';").trim().split("\n")).toEqual([
        expect.stringMatching(/^GRANT USAGE ON \*\.\* TO `keycloak`@`%` IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}' REQUIRE SSL$/),
        "GRANT ALL PRIVILEGES ON `keycloak`.* TO `keycloak`@`%`",
      ]);
    } finally {
      db.query("DROP DATABASE other_app;");
    }
  });

  test("every mysql call of the script verifies the server: --ssl-ca with the downloaded bundle and --ssl-verify-server-cert", () => {
    expect(firstRun.result.stdout).toMatch(/^database CA bundle from file:\/\/.+\/test-rds-ca\.pem: 1 certificates$/m);
    const lines = mysqlCommandLines().trim().split("\n");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(line).toMatch(/ --ssl-ca=\S+\/database-ca-bundle\.pem --ssl-verify-server-cert /);
    }
  });

  test("creates the keycloak user with REQUIRE SSL (mysql.user ssl_type ANY)", () => {
    expect(keycloakSslType()).toBe("ANY");
    expect(db.query("SHOW CREATE USER 'keycloak'@'%';")).toMatch(/ REQUIRE SSL\n$/);
  });

  test("plain TCP is refused for the keycloak user, by the server (require_secure_transport) and, with that off, by REQUIRE SSL", () => {
    const password = secrets.credentials(USER_SECRET_ARN).password;
    const login = { user: DB_USER, password, database: DB_NAME };
    expect(db.queryAs(login, "SELECT 1;", "verified-tls").stdout).toBe("1\n");
    // MariaDB 10.11 answers a plain login under require_secure_transport with 1045 (MySQL 8.4: 3159).
    expect(db.queryAs(login, "SELECT 1;", "plain").stderr).toMatch(/^ERROR 1045 /);
    expect(db.queryAs({ user: MASTER_USER, password: MASTER_PASSWORD }, "SELECT 1;", "plain").stderr).toMatch(/^ERROR 1045 /);
    db.query("SET GLOBAL require_secure_transport = OFF;");
    try {
      expect(db.queryAs({ user: MASTER_USER, password: MASTER_PASSWORD }, "SELECT 1;", "plain").stdout).toBe("1\n");
      expect(db.queryAs(login, "SELECT 1;", "plain").stderr).toMatch(/^ERROR 1045 /);
    } finally {
      db.query("SET GLOBAL require_secure_transport = ON;");
    }
  });

  test("no password appears in the SSH output, in any mysql command line, or in the process list sampled every ~50 ms during the run", () => {
    const passwords = [
      MASTER_PASSWORD,
      secrets.credentials(USER_SECRET_ARN).password,
      secrets.credentials(ADMIN_SECRET_ARN).password,
    ];
    // The sampler did watch the run: the script's own process shows in the samples.
    expect(firstRun.processLists.filter((list) => list.includes(`bash ${REMOTE_SCRIPT_PATH}`)).length).toBeGreaterThan(3);
    const output = firstRun.result.stdout + firstRun.result.stderr;
    expect(mysqlCommandLines()).toContain("--defaults-extra-file=");
    for (const password of passwords) {
      expect(output).not.toContain(password);
      expect(mysqlCommandLines()).not.toContain(password);
      expect(firstRun.processLists.filter((list) => list.includes(password))).toEqual([]);
    }
  });

  test("a second run succeeds and changes nothing: grants, password hash and change time, databases, secret versions", async () => {
    const before = { ...databaseState(), user: secrets.versions(USER_SECRET_ARN), admin: secrets.versions(ADMIN_SECRET_ARN) };
    expect(before.account).toContain("password_last_changed");
    const putsBefore = secrets.calls().filter((call) => call.operation === "put-secret-value").length;
    await nextSecond();

    const { result } = await provision();

    expectSucceeded(result);
    expect(result.stdout).toMatch(/^user 'keycloak'@'%' exists and has the password from secret /m);
    expect({ ...databaseState(), user: secrets.versions(USER_SECRET_ARN), admin: secrets.versions(ADMIN_SECRET_ARN) }).toEqual(before);
    expect(secrets.calls().filter((call) => call.operation === "put-secret-value").length).toBe(putsBefore);
  });

  test("a keycloak user an older setup created without REQUIRE SSL gets it on the next run, password unchanged", async () => {
    db.query("ALTER USER 'keycloak'@'%' REQUIRE NONE;");
    expect(keycloakSslType()).toBe("");
    const password = secrets.credentials(USER_SECRET_ARN).password;

    const { result } = await provision();

    expectSucceeded(result);
    expect(result.stdout).toMatch(/^user 'keycloak'@'%' exists and has the password from secret /m);
    expect(result.stdout).toMatch(/^user 'keycloak'@'%' may now log in over TLS only$/m);
    expect(keycloakSslType()).toBe("ANY");
    expect(keycloakLogin(password).stdout).toBe("keycloak@%\n");
  });

  test("completes a half-finished run: database exists, user missing", async () => {
    db.query("DROP USER 'keycloak'@'%';");

    const { result } = await provision();

    expectSucceeded(result);
    expect(result.stdout).toMatch(/^created user 'keycloak'@'%'$/m);
    expect(keycloakLogin(secrets.credentials(USER_SECRET_ARN).password).ok).toBe(true);
    expect(db.query("SHOW GRANTS FOR 'keycloak'@'%';")).toContain("GRANT ALL PRIVILEGES ON `keycloak`.* TO `keycloak`@`%`");
  });

  test("completes a half-finished run: secrets have values, database and user missing; the secrets stay as they are", async () => {
    const versions = { user: secrets.versions(USER_SECRET_ARN), admin: secrets.versions(ADMIN_SECRET_ARN) };
    db.query("DROP USER 'keycloak'@'%'; DROP DATABASE keycloak;");

    const { result } = await provision();

    expectSucceeded(result);
    expect(schemaDefaults()).toBe(`${DB_CHARSET}\t${DB_COLLATION}\n`);
    expect(keycloakLogin(secrets.credentials(USER_SECRET_ARN).password).ok).toBe(true);
    expect({ user: secrets.versions(USER_SECRET_ARN), admin: secrets.versions(ADMIN_SECRET_ARN) }).toEqual(versions);
  });

  test("converts an empty keycloak database that was created with the server's default character set", async () => {
    db.query("DROP DATABASE keycloak; CREATE DATABASE keycloak;");
    expect(schemaDefaults()).toBe("latin1\tlatin1_swedish_ci\n");

    const { result } = await provision();

    expectSucceeded(result);
    expect(result.stdout).toMatch(/^database keycloak changed from latin1\/latin1_swedish_ci to utf8mb4\/utf8mb4_unicode_ci/m);
    expect(schemaDefaults()).toBe(`${DB_CHARSET}\t${DB_COLLATION}\n`);
  });

  test("refuses, with a clear message, to change the character set of a keycloak database that has tables", async () => {
    db.query("DROP DATABASE keycloak; CREATE DATABASE keycloak CHARACTER SET latin1; CREATE TABLE keycloak.t (id INT);");
    try {
      const { result } = await provision();

      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/database keycloak has 1 tables with default latin1\/latin1_swedish_ci, not utf8mb4\/utf8mb4_unicode_ci/);
      expect(schemaDefaults()).toBe("latin1\tlatin1_swedish_ci\n");
    } finally {
      db.query("DROP DATABASE keycloak;");
    }
    expectSucceeded((await provision()).result);
  });

  test("a DB-user secret with ', \", \\, $, spaces and % in the password works, and it never shows", async () => {
    secrets.putValue(USER_SECRET_ARN, { username: "keycloak", password: SPECIAL_USER_PASSWORD });

    const { result, processLists } = await provision();

    expectSucceeded(result);
    expect(keycloakLogin(SPECIAL_USER_PASSWORD).stdout).toBe("keycloak@%\n");
    for (const password of [SPECIAL_USER_PASSWORD, MASTER_PASSWORD]) {
      expect(result.stdout + result.stderr).not.toContain(password);
      expect(mysqlCommandLines()).not.toContain(password);
      expect(processLists.filter((list) => list.includes(password))).toEqual([]);
    }
  });

  test("passwords with a backslash also work when the server's sql_mode has NO_BACKSLASH_ESCAPES", async () => {
    const password = `no\\escapes\\'here' ${randomBytes(8).toString("hex")}`;
    secrets.putValue(USER_SECRET_ARN, { username: "keycloak", password });
    const sqlMode = db.query("SELECT @@GLOBAL.sql_mode;").trim();
    db.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES');");
    try {
      const { result } = await provision();

      expectSucceeded(result);
    } finally {
      db.query(`SET GLOBAL sql_mode = ${sqlString(sqlMode)};`);
    }
    expect(keycloakLogin(password).stdout).toBe("keycloak@%\n");
  });

  test("rotation: a new value in the DB-user secret and a rerun change the database password", async () => {
    const oldPassword = secrets.credentials(USER_SECRET_ARN).password;
    const newPassword = randomBytes(48).toString("base64url");
    secrets.putValue(USER_SECRET_ARN, { username: "keycloak", password: newPassword });
    const accountBefore = keycloakAccount();
    await nextSecond();

    const { result } = await provision();

    expectSucceeded(result);
    expect(result.stdout).toMatch(/^set the password of 'keycloak'@'%' from secret /m);
    expect(keycloakLogin(newPassword).ok).toBe(true);
    expect(keycloakLogin(oldPassword).stderr).toMatch(/ERROR 1045/);
    expect(keycloakAccount()).not.toEqual(accountBefore);
    expect(keycloakSslType()).toBe("ANY");
  });

  test.each([
    ["issued by another CA", "otherCa", /unable to get local issuer certificate|self-signed certificate in certificate chain/],
    ["of the right CA for another host name", "otherName", /Validation of SSL server certificate failed/],
  ] as const)("a server certificate %s: the script stops at once, saying TLS verification failed and naming the CA bundle", async (_what, which, reason) => {
    const { result } = await db.whileServing(certificates[which], () => provision());

    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("attempt 2/30");
    const caFile = String.raw`/tmp/keycloak-db-setup\.\w+/database-ca-bundle\.pem`;
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`error: TLS verification of db\.keycloak\.internal:3306 failed: its certificate must chain to the CA bundle ${caFile} \(from file://\S+/test-rds-ca\.pem\) and name db\.keycloak\.internal: ERROR 2026 `,
      ),
    );
    expect(result.stderr).toMatch(reason);
    expect(result.stdout).not.toContain("database keycloak ready");
  });

  test("gives up with a clear message and non-zero exit when the database never answers (script run directly over SSH with --attempts 3 --interval-seconds 1, which setupCommands does not pass)", async () => {
    const closedPort = 3307;
    const command = [
      "bash",
      REMOTE_SCRIPT_PATH,
      ...Object.entries({
        "--db-host": DB_HOSTNAME,
        "--db-port": String(closedPort),
        "--ca-bundle-url": SETUP.caBundleUrl,
        "--master-secret-arn": MASTER_SECRET_ARN,
        "--user-secret-arn": USER_SECRET_ARN,
        "--admin-secret-arn": ADMIN_SECRET_ARN,
        "--region": REGION,
        "--attempts": "3",
        "--interval-seconds": "1",
      }).flat(),
    ]
      .map(shellQuote)
      .join(" ");

    const result = await bastion.run(command);

    expect(result.code).toBe(1);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("waiting for"))).toEqual([
      "waiting for db.keycloak.internal:3307 (attempt 1/3)",
      "waiting for db.keycloak.internal:3307 (attempt 2/3)",
      "waiting for db.keycloak.internal:3307 (attempt 3/3)",
    ]);
    expect(result.stderr).toMatch(/error: gave up: db\.keycloak\.internal:3307 did not accept connections after 3 attempts/);
    expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
  });

  test("fails with a clear message naming the ARN when the master secret does not exist", async () => {
    const missing = secretArn("rds!db-does-not-exist");

    const { result } = await provision({ ...SETUP, masterSecretArn: missing });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: secret ${missing} does not exist or is not accessible`);
    expect(result.stderr).toContain("ResourceNotFoundException");
    expect(result.stdout).not.toContain("database keycloak ready");
  });

  test("fails with a clear message naming the ARN when the DB-user secret does not exist", async () => {
    const missing = secretArn("keycloak-dev/deleted");

    const { result } = await provision({ ...SETUP, userSecretArn: missing });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: secret ${missing} does not exist or is not accessible`);
  });

  test("fails at once, without retrying, when the database rejects the master secret's credentials", async () => {
    const stale = secretArn("rds!db-stale");
    secrets.createSecret(stale, { username: MASTER_USER, password: "an-old-password" });

    const { result } = await provision({ ...SETUP, masterSecretArn: stale });

    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("attempt 2/30");
    expect(result.stderr).toContain(`rejected the credentials of master secret ${stale}`);
    expect(result.stderr).not.toContain("an-old-password");
  });
});
