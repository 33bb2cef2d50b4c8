import { randomBytes } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DB_NAME, DB_USER, PORTS } from "../../modules/shared/constants";
import { REMOTE_SCRIPT_PATH, SETUP_SCRIPT_PATH, setupCommands } from "../../modules/database/setup/commands";
import { startBastionStand } from "../support/bastion-stand";
import { caBundleUrl, type TestCa } from "../support/database-tls";
import { runDbBackup, type BackupTarget } from "../support/db-backup";
import { optionValue, type MariaDb } from "../support/mariadb";
import { NamespaceRegistry } from "../support/netns";
import type { SecretsManagerStub } from "../support/secrets-manager-stub";
import type { SshServer } from "../support/sshd";
import { waitFor } from "../support/waiting";

/**
 * tools/db-backup.sh's own behaviour, without Keycloak: a real OpenSSH bastion, a real MariaDB
 * that requires TLS (the RDS stand-in), the stand-in Secrets Manager, and a small schema shaped
 * like Keycloak's (a discovery table with rows). The e2e (__tests__/e2e/backup-restore.test.ts)
 * proves the same dump restores a real Keycloak; this file covers the refusals and the secrecy.
 * The tests run in file order.
 */

jest.setTimeout(120_000);

const REGION = "eu-west-1";
const DB_HOSTNAME = "keycloak-db.rds.integration.test";
const MASTER_USER = "kcadmin";
const MASTER_PASSWORD = `Ma'st"er\\ $HOME %s #1 \`id\``;
const MASTER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:rds!db-backup-${randomBytes(3).toString("hex")}`;
const USER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:keycloak/db-user-${randomBytes(3).toString("hex")}`;

const cleanups: (() => void | Promise<void>)[] = [];
const namespaces = new NamespaceRegistry();
let work: string;
let db: MariaDb;
let target: BackupTarget;
let secrets: SecretsManagerStub;
let caFile: string;

function dumpFile(name: string): string {
  return join(work, name);
}

function rows(sql: string): string {
  return db.query(`SET NAMES utf8mb4; ${sql}`);
}

beforeAll(async () => {
  let bastion: SshServer;
  let ca: TestCa;
  ({ work, db, bastion, secrets, ca } = await startBastionStand({
    prefix: "kc-db-backup",
    namespace: "kcbak",
    namespaces,
    cleanups,
    dbHostname: DB_HOSTNAME,
    master: { username: MASTER_USER, password: MASTER_PASSWORD, secretArn: MASTER_SECRET_ARN },
  }));
  caFile = ca.certFile;
  secrets.createSecret(USER_SECRET_ARN);

  // The deploy's database setup: database and user as Keycloak gets them.
  await bastion.upload(SETUP_SCRIPT_PATH, REMOTE_SCRIPT_PATH);
  const setup = await bastion.remoteExecInline(
    setupCommands({ dbHost: DB_HOSTNAME, dbPort: PORTS.mysql, caBundleUrl: caBundleUrl(ca), masterSecretArn: MASTER_SECRET_ARN, userSecretArn: USER_SECRET_ARN, region: REGION }),
    { timeoutMs: 120_000 },
  );
  if (setup.code !== 0) throw new Error(`database setup failed: ${setup.stdout}\n${setup.stderr}`);
  // A schema shaped like Keycloak's: data with non-ASCII text, and the discovery table with a row.
  db.query(`SET NAMES utf8mb4; USE ${DB_NAME};
    CREATE TABLE USER_ENTITY (ID VARCHAR(36) PRIMARY KEY, USERNAME VARCHAR(255), FIRST_NAME VARCHAR(255)) ENGINE=InnoDB;
    INSERT INTO USER_ENTITY VALUES ('u1', 'alice', 'Åsa 😀'), ('u2', 'bob', 'Bob');
    CREATE TABLE JGROUPS_PING (address VARCHAR(200) PRIMARY KEY, name VARCHAR(200), cluster_name VARCHAR(200), ip VARCHAR(200), coord BOOLEAN) ENGINE=InnoDB;
    INSERT INTO JGROUPS_PING VALUES ('uuid-1', 'node-a', 'ISPN', '10.0.1.17:7800', 1);`);
  target = { bastion, dbHost: DB_HOSTNAME, masterSecretArn: MASTER_SECRET_ARN, userSecretArn: USER_SECRET_ARN, region: REGION, caBundleUrl: caBundleUrl(ca) };
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe("tools/db-backup.sh through a real SSH bastion to a TLS-only MariaDB", () => {
  let dumpOutput = "";

  test("dump writes a complete gzip file, mode 0600, and reports each table and the size", async () => {
    const result = await runDbBackup("dump", dumpFile("keycloak.sql.gz"), target);
    dumpOutput = result.stdout + result.stderr;
    expect({ code: result.code, stdout: result.stdout, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stdout: "", failure: "" });
    expect(result.stderr).toMatch(/^db-backup: dumping database keycloak from keycloak-db\.rds\.integration\.test:3306: 2 tables, /m);
    expect(result.stderr).toMatch(/^db-backup: dumping table 1\/2 JGROUPS_PING$/m);
    expect(result.stderr).toMatch(/^db-backup: dumping table 2\/2 USER_ENTITY$/m);
    expect(result.stderr).toMatch(/^db-backup: wrote .*keycloak\.sql\.gz: \d+ bytes \(gzip\) in \d+ s$/m);
    expect(statSync(dumpFile("keycloak.sql.gz")).mode & 0o777).toBe(0o600);
    const sql = execFileSync("gzip", ["-dc", dumpFile("keycloak.sql.gz")], { encoding: "utf8" });
    expect(sql).toContain("Åsa 😀");
    expect(sql).toMatch(/CREATE TABLE `JGROUPS_PING`/);
    // The discovery table's rows name the nodes of the dumped installation: they stay behind.
    expect(sql).not.toContain("10.0.1.17:7800");
  });

  test("restore into a non-empty database is refused with a clear error, and changes nothing", async () => {
    const before = rows("SELECT * FROM keycloak.USER_ENTITY ORDER BY ID;");
    const result = await runDbBackup("restore", dumpFile("keycloak.sql.gz"), target);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /db-backup: error: database keycloak on keycloak-db\.rds\.integration\.test is not empty \(2 tables\): restore only writes into an empty database\. .*nothing was changed/,
    );
    expect(rows("SELECT * FROM keycloak.USER_ENTITY ORDER BY ID;")).toBe(before);
  });

  test("drop and restore are both refused while the Keycloak user is connected: a running Keycloak must be stopped first", async () => {
    const config = join(work, "keycloak-client.cnf");
    writeFileSync(config, `[client]\nuser=${DB_USER}\npassword=${optionValue(secrets.credentials(USER_SECRET_ARN).password)}\n`, { mode: 0o600 });
    // A Keycloak that is still running: one open session of its user.
    const session = spawn(
      "mariadb",
      [`--defaults-file=${config}`, "--protocol=TCP", `--host=${db.address}`, `--port=${db.port}`, `--ssl-ca=${caFile}`, "--ssl-verify-server-cert", "-e", "SELECT SLEEP(60);"],
      { stdio: "ignore" },
    );
    const refusal = /db-backup: error: user keycloak has 1 connections to keycloak-db\.rds\.integration\.test: a Keycloak is running against it; scale the service to 0 first\. Nothing was changed/;
    try {
      await waitFor("the keycloak session to show", 10_000, async () => rows(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${DB_USER}';`) === "1\n" || undefined);
      const drop = await runDbBackup("drop", DB_NAME, target);
      expect(drop.code).not.toBe(0);
      expect(drop.stderr).toMatch(refusal);
      expect(rows(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB_NAME}';`)).toBe("2\n");
      // The database emptied by hand: the restore still refuses while Keycloak is connected.
      db.query(`DROP DATABASE ${DB_NAME};`);
      const restore = await runDbBackup("restore", dumpFile("keycloak.sql.gz"), target);
      expect(restore.code).not.toBe(0);
      expect(restore.stderr).toMatch(refusal);
      expect(rows(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB_NAME}';`)).toBe("0\n");
    } finally {
      session.kill("SIGKILL");
      db.query(`KILL USER ${DB_USER};`);
    }
  });

  test("drop needs --confirm keycloak, and then drops the database once Keycloak is gone", async () => {
    const unconfirmed = await runDbBackup("drop", "yes", target);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toMatch(/db-backup: error: drop needs --confirm keycloak: it deletes every realm, user and session/);
    db.query(`CREATE DATABASE IF NOT EXISTS ${DB_NAME}; CREATE TABLE ${DB_NAME}.LEFTOVER (ID INT);`);
    await waitFor("the killed keycloak session to be gone", 10_000, async () => rows(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${DB_USER}';`) === "0\n" || undefined);
    const dropped = await runDbBackup("drop", DB_NAME, target);
    expect({ code: dropped.code, failure: dropped.code === 0 ? "" : dropped.stderr }).toEqual({ code: 0, failure: "" });
    expect(dropped.stderr).toMatch(/^db-backup: dropping database keycloak on keycloak-db\.rds\.integration\.test \(1 tables\)$/m);
    expect(rows(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB_NAME}';`)).toBe("0\n");
  });

  test("a truncated dump is refused before anything reaches the bastion", async () => {
    const whole = readFileSync(dumpFile("keycloak.sql.gz"));
    const cut = execFileSync("gzip", ["-c"], { input: execFileSync("gzip", ["-dc"], { input: whole }).subarray(0, 400) });
    writeFileSync(dumpFile("cut.sql.gz"), cut);
    const result = await runDbBackup("restore", dumpFile("cut.sql.gz"), target);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/db-backup: error: .*cut\.sql\.gz does not end with '-- Dump completed': the dump was cut short/);
    expect(result.stderr).not.toMatch(/uploading/);
  });

  test("a tampered dump runs with the keycloak user's rights only: a statement beyond its database is refused and nothing of it happens", async () => {
    const sql = execFileSync("gzip", ["-dc", dumpFile("keycloak.sql.gz")], { encoding: "utf8" });
    // What a dump altered in storage could carry: an account of the attacker's on the whole server.
    const tampered = sql.replace(/^(CREATE TABLE `USER_ENTITY`)/m, "CREATE USER 'intruder'@'%' IDENTIFIED BY 'x';\nGRANT ALL PRIVILEGES ON *.* TO 'intruder'@'%';\n$1");
    expect(tampered).not.toBe(sql);
    writeFileSync(dumpFile("tampered.sql.gz"), execFileSync("gzip", ["-c"], { input: tampered }));
    const result = await runDbBackup("restore", dumpFile("tampered.sql.gz"), target);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^db-backup: restoring into the empty database keycloak on .* as user keycloak$/m);
    expect(result.stderr).toMatch(/db-backup: error: restore failed \(exit 1\): .*ERROR 1227 .*Access denied; you need .*CREATE USER privilege.*; database keycloak is now partly restored: drop it before trying again/);
    expect(rows("SELECT COUNT(*) FROM mysql.user WHERE User = 'intruder';")).toBe("0\n");
    const dropped = await runDbBackup("drop", DB_NAME, target);
    expect({ code: dropped.code, failure: dropped.code === 0 ? "" : dropped.stderr }).toEqual({ code: 0, failure: "" });
  });

  test("restore into a dropped database creates it (utf8mb4) and brings back every row; the discovery table comes back empty", async () => {
    const result = await runDbBackup("restore", dumpFile("keycloak.sql.gz"), target);
    expect({ code: result.code, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, failure: "" });
    expect(result.stderr).toMatch(/^db-backup: restoring table 2 USER_ENTITY$/m);
    expect(result.stderr).toMatch(/^db-backup: restored keycloak: 2 tables$/m);
    expect(rows("SELECT ID, USERNAME, FIRST_NAME FROM keycloak.USER_ENTITY ORDER BY ID;")).toBe("u1\talice\tÅsa 😀\nu2\tbob\tBob\n");
    expect(rows("SELECT COUNT(*) FROM keycloak.JGROUPS_PING;")).toBe("0\n");
    expect(rows(`SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB_NAME}';`)).toBe(
      "utf8mb4\tutf8mb4_unicode_ci\n",
    );
    expect(dumpOutput + result.stdout + result.stderr).not.toContain(MASTER_PASSWORD);
  });
});
