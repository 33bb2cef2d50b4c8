import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DB_NAME, DB_USER, DB_USER_ALTERNATE, PORTS } from "../../modules/shared/constants";
import { REMOTE_SCRIPT_PATH, SETUP_SCRIPT_PATH, setupCommands, type SetupArguments } from "../../modules/database/setup/commands";
import { projectPath } from "../../modules/shared/paths";
import { BinDir, resolveCommand } from "../support/command-stubs";
import { startBastionStand } from "../support/bastion-stand";
import { caBundleUrl, type TestCa } from "../support/database-tls";
import { backupArguments, type BackupTarget } from "../support/db-backup";
import { optionValue, type MariaDb } from "../support/mariadb";
import { NamespaceRegistry } from "../support/netns";
import { runProcess } from "../support/run-process";
import type { SecretsManagerStub } from "../support/secrets-manager-stub";
import type { SshServer } from "../support/sshd";
import { waitFor } from "../support/waiting";

/**
 * tools/rotate-db-credentials.sh as an operator runs it, through a real OpenSSH bastion to a real
 * MariaDB that requires TLS (the RDS stand-in), with the stand-in Secrets Manager on the bastion
 * and a stand-in `aws ecs` here whose deployment is COMPLETED at once (the ECS side and its order
 * are __tests__/tools/rotate-db-credentials-script.test.ts; under load with a real rolling deploy,
 * __tests__/e2e/faults-rotation.opt-in.test.ts). A "task" is a client session held open as a user.
 * The tests run in file order, each on the state the previous left.
 */

jest.setTimeout(120_000);

const REGION = "eu-west-1";
const DB_HOSTNAME = "keycloak-db.rds.integration.test";
const MASTER_USER = "kcadmin";
const MASTER_PASSWORD = randomBytes(24).toString("base64url");
const MASTER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:rds!db-rotate-${randomBytes(3).toString("hex")}`;
const USER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:keycloak/db-user-${randomBytes(3).toString("hex")}`;

const cleanups: (() => void | Promise<void>)[] = [];
const namespaces = new NamespaceRegistry();
let work: string;
let db: MariaDb;
let bastion: SshServer;
let secrets: SecretsManagerStub;
let caFile: string;
let target: BackupTarget;
let setup: SetupArguments;
/** The operator's PATH: a stand-in `aws` for ECS first. */
let operatorPath: string;

type Credentials = { username: string; password: string };

const logsIn = (login: Credentials) => db.queryAs({ user: login.username, password: login.password, database: DB_NAME }, "SELECT 1;").ok;
const locked = (user: string) => / ACCOUNT LOCK/.test(db.query(`SHOW CREATE USER '${user}'@'%';`));
const grants = (user: string) =>
  db
    .query(`SHOW GRANTS FOR '${user}'@'%';`)
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("GRANT USAGE"))
    .map((line) => line.replace(`TO \`${user}\`@`, "TO `<user>`@"));
const connections = (user: string) => db.query(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${user}';`).trim();

function rotate() {
  return runProcess(resolveCommand("bash"), [projectPath("tools", "rotate-db-credentials.sh"), ...backupArguments(target), "--cluster", "kc", "--service", "kc-svc", "--poll-seconds", "1"], {
    env: { PATH: operatorPath, HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
}

/** A task's open pool connection as `login`, until killed. */
async function openSession(login: Credentials): Promise<ChildProcess> {
  const config = join(work, `session-${login.username}.cnf`);
  writeFileSync(config, `[client]\nuser=${login.username}\npassword=${optionValue(login.password)}\n`, { mode: 0o600 });
  const session = spawn(
    "mariadb",
    [`--defaults-file=${config}`, "--protocol=TCP", `--host=${db.address}`, `--port=${db.port}`, `--ssl-ca=${caFile}`, "--ssl-verify-server-cert", "-e", "SELECT SLEEP(60);"],
    { stdio: "ignore" },
  );
  await waitFor(`a session of ${login.username}`, 10_000, async () => connections(login.username) === "1" || undefined);
  return session;
}

async function closeSession(session: ChildProcess, user: string): Promise<void> {
  session.kill("SIGKILL");
  db.query(`KILL USER ${user};`);
  await waitFor(`the session of ${user} to be gone`, 10_000, async () => connections(user) === "0" || undefined);
}

beforeAll(async () => {
  let ca: TestCa;
  ({ work, db, bastion, secrets, ca } = await startBastionStand({
    prefix: "kc-db-rotate",
    namespace: "kcrot",
    namespaces,
    cleanups,
    dbHostname: DB_HOSTNAME,
    master: { username: MASTER_USER, password: MASTER_PASSWORD, secretArn: MASTER_SECRET_ARN },
  }));
  caFile = ca.certFile;
  secrets.createSecret(USER_SECRET_ARN);
  await bastion.upload(SETUP_SCRIPT_PATH, REMOTE_SCRIPT_PATH);
  setup = { dbHost: DB_HOSTNAME, dbPort: PORTS.mysql, caBundleUrl: caBundleUrl(ca), masterSecretArn: MASTER_SECRET_ARN, userSecretArn: USER_SECRET_ARN, region: REGION };
  target = { bastion, dbHost: DB_HOSTNAME, masterSecretArn: MASTER_SECRET_ARN, userSecretArn: USER_SECRET_ARN, region: REGION, caBundleUrl: caBundleUrl(ca) };
  const ecs = new BinDir(join(work, "ecs-bin")).script(
    "aws",
    `case "$1 $2" in
  "ecs update-service") echo ecs-svc/1 ;;
  "ecs describe-services") printf 'COMPLETED\\t1\\n' ;;
  *) exit 98 ;;
esac`,
  );
  operatorPath = `${ecs.path}:/usr/local/bin:/usr/bin:/bin`;
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe("the alternating users: the setup makes both, the rotation switches between them", () => {
  let first: Credentials;
  let second: Credentials;

  test("the setup creates both users with the same grants, TLS only; the secret names keycloak, whose password works, and keycloak_b is locked", async () => {
    const result = await bastion.remoteExecInline(setupCommands(setup), { timeoutMs: 120_000 });
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(new RegExp(`^created user '${DB_USER_ALTERNATE}'@'%', locked \\(the credential rotation's alternate\\)$`, "m"));
    first = secrets.credentials(USER_SECRET_ARN);
    expect(first.username).toBe(DB_USER);
    expect(logsIn(first)).toBe(true);
    expect({ keycloak: locked(DB_USER), keycloak_b: locked(DB_USER_ALTERNATE) }).toEqual({ keycloak: false, keycloak_b: true });
    expect(grants(DB_USER_ALTERNATE)).toEqual(grants(DB_USER));
    expect(grants(DB_USER)).toEqual([`GRANT ALL PRIVILEGES ON \`${DB_NAME}\`.* TO \`<user>\`@\`%\``]);
    expect(db.query(`SELECT User, ssl_type FROM mysql.user WHERE User IN ('${DB_USER}', '${DB_USER_ALTERNATE}') ORDER BY User;`)).toBe(`${DB_USER}\tANY\n${DB_USER_ALTERNATE}\tANY\n`);
  });

  test("a rotation switches the secret to keycloak_b with a fresh password that works, then locks keycloak: its old password no longer logs in; no password in the output", async () => {
    const result = await rotate();
    expect({ code: result.code, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, failure: "" });
    second = secrets.credentials(USER_SECRET_ARN);
    expect(second.username).toBe(DB_USER_ALTERNATE);
    expect(second.password).not.toBe(first.password);
    expect({ newLogsIn: logsIn(second), oldLogsIn: logsIn(first), oldLocked: locked(DB_USER), newLocked: locked(DB_USER_ALTERNATE) }).toEqual({ newLogsIn: true, oldLogsIn: false, oldLocked: true, newLocked: false });
    for (const password of [first.password, second.password, MASTER_PASSWORD]) expect(result.stdout + result.stderr).not.toContain(password);
    expect(result.stderr).toMatch(/^rotate-db-credentials: rotated to keycloak_b in \d+ s; the old user is locked$/m);
    // The bastion's side needs only what its role has (README: Rotating the database credentials): it reads
    // the master secret, and reads and writes the DB-user secret, with a value from a 0600 file.
    const calls = secrets.calls();
    expect([...new Set(calls.map((c) => `${c.operation} ${c.secretId === MASTER_SECRET_ARN ? "master" : c.secretId === USER_SECRET_ARN ? "db-user" : c.secretId}`))].sort()).toEqual(
      expect.arrayContaining(["get-secret-value db-user", "get-secret-value master", "put-secret-value db-user"]),
    );
    expect(calls.filter((c) => c.operation === "put-secret-value").every((c) => c.secretId === USER_SECRET_ARN && c.secretStringSource === "file" && c.secretFileMode === "0o600")).toBe(true);
    expect(calls.every((c) => ["get-secret-value", "describe-secret", "put-secret-value"].includes(c.operation))).toBe(true);
  });

  test("the next rotation goes back to keycloak with another fresh password, and locks keycloak_b", async () => {
    const result = await rotate();
    expect({ code: result.code, failure: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, failure: "" });
    const third = secrets.credentials(USER_SECRET_ARN);
    expect(third.username).toBe(DB_USER);
    expect([first.password, second.password]).not.toContain(third.password);
    expect({ newLogsIn: logsIn(third), previousLogsIn: logsIn(second), firstLogsIn: logsIn(first), locked: locked(DB_USER_ALTERNATE) }).toEqual({ newLogsIn: true, previousLogsIn: false, firstLogsIn: false, locked: true });
    first = third;
  });

  test("the retire refuses while a task still holds a connection as the old user (the deploy has not replaced it): the old user keeps working", async () => {
    const session = await openSession(first);
    try {
      const result = await rotate();
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/db-rotate: error: user keycloak has 1 connections to keycloak-db\.rds\.integration\.test: a task started with the old credential still runs \(has the deploy finished\?\)\. Nothing was changed/);
      second = secrets.credentials(USER_SECRET_ARN);
      expect(second.username).toBe(DB_USER_ALTERNATE);
      expect({ oldLogsIn: logsIn(first), newLogsIn: logsIn(second), oldLocked: locked(DB_USER) }).toEqual({ oldLogsIn: true, newLogsIn: true, oldLocked: false });

      // A next rotation would give the still-used user a new password: refused, nothing changed.
      const again = await rotate();
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/db-rotate: error: user keycloak has 1 connections to .*: tasks of an earlier rotation still use it; let that deploy finish and run 'retire' first\. Nothing was changed/);
      expect(secrets.credentials(USER_SECRET_ARN)).toEqual(second);
      expect(logsIn(first)).toBe(true);
    } finally {
      await closeSession(session, DB_USER);
    }
  });

  test("a setup re-run after a rotation keeps the secret's user and password and leaves the retired user's lock alone", async () => {
    const rotated = await rotate();
    expect({ code: rotated.code, failure: rotated.code === 0 ? "" : rotated.stderr }).toEqual({ code: 0, failure: "" });
    const current = secrets.credentials(USER_SECRET_ARN);
    expect(current.username).toBe(DB_USER);
    const versions = secrets.versions(USER_SECRET_ARN).length;
    const result = await bastion.remoteExecInline(setupCommands(setup), { timeoutMs: 120_000 });
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(new RegExp(`^user '${DB_USER}'@'%' exists and has the password from secret `, "m"));
    expect(result.stdout).toMatch(new RegExp(`^user '${DB_USER_ALTERNATE}'@'%' has all privileges on ${DB_NAME}\\.\\*, locked$`, "m"));
    expect({ versions: secrets.versions(USER_SECRET_ARN).length, logsIn: logsIn(current), alternateLocked: locked(DB_USER_ALTERNATE), alternateOldLogsIn: logsIn(second) }).toEqual({
      versions,
      logsIn: true,
      alternateLocked: true,
      alternateOldLogsIn: false,
    });
  });
});
