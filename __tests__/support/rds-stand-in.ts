import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { caBundleUrl, type TestCa } from "./database-tls";
import { MariaDb, sqlString, type MariaDbTls } from "./mariadb";
import type { SecretsManagerStub } from "./secrets-manager-stub";
import { parseSecretReference, resolveSecrets, type TaskContainer } from "./task-definition";
import type { Teardown } from "./teardown";
import { runDatabaseSetup, type Host } from "./test-network";

/**
 * What RDS leaves behind for the database setup: a database server in its own namespace and a
 * master user whose credentials only the RDS-managed secret holds.
 */
export interface RdsStandIn {
  db: MariaDb;
  masterSecretArn: string;
}

export async function startRdsStandIn(options: {
  dir: string;
  host: Host;
  port: number;
  region: string;
  secrets: SecretsManagerStub;
  teardown: Teardown;
  /** TLS only, as the stack's parameter group has it (require_secure_transport). */
  tls: MariaDbTls;
}): Promise<RdsStandIn> {
  const { dir, host, port, region, secrets, teardown, tls } = options;
  teardown.add("mariadb", () => {
    try {
      process.kill(Number(readFileSync(join(dir, "mariadb.pid"), "utf8")), "SIGKILL");
    } catch {
      // Not started or already stopped.
    }
  });
  const db = await MariaDb.start({ workDir: dir, address: host.address, port, netns: host.namespace.name, tls });
  const masterPassword = randomBytes(24).toString("base64url");
  db.query(`CREATE USER 'kcadmin'@'%' IDENTIFIED BY ${sqlString(masterPassword)};
            GRANT ALL PRIVILEGES ON *.* TO 'kcadmin'@'%' WITH GRANT OPTION;`);
  const masterSecretArn = `arn:aws:secretsmanager:${region}:123456789012:secret:rds!db-e2e-${randomBytes(3).toString("hex")}`;
  secrets.createSecret(masterSecretArn, { username: "kcadmin", password: masterPassword });
  return { db, masterSecretArn };
}

/**
 * What Terraform and the deploy's database setup leave for the task: the task definition's
 * secrets created empty (named after the Terraform reference they come from), then the bastion's
 * setup script run against the stand-in, which fills them. Returns the task's secrets as ECS
 * resolves them at start, and the ARN each reference stands for.
 */
export async function setUpTaskSecrets(options: {
  container: TaskContainer;
  secrets: SecretsManagerStub;
  bastion: Host;
  dbHost: string;
  dbPort: number;
  ca: TestCa;
  region: string;
  masterSecretArn: string;
}): Promise<{ secretValues: Record<string, string>; arnFor: (reference: string) => string; userSecretArn: string }> {
  const { container, secrets, region } = options;
  const arns = new Map<string, string>();
  const arnFor = (reference: string): string => {
    if (!arns.has(reference)) {
      const name = /\.([^.]+)\.arn\}$/.exec(reference)?.[1] ?? `secret-${arns.size}`;
      arns.set(reference, `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-${randomBytes(3).toString("hex")}`);
      secrets.createSecret(arns.get(reference)!);
    }
    return arns.get(reference)!;
  };
  const secretOf = (name: string) => {
    const secret = container.secrets.find((s) => s.name === name);
    if (secret === undefined) throw new Error(`the task definition has no secret ${name}`);
    return arnFor(parseSecretReference(secret.valueFrom).arn);
  };
  const userSecretArn = secretOf("KC_DB_USERNAME");
  await runDatabaseSetup({
    bastion: options.bastion,
    secrets,
    dbHost: options.dbHost,
    dbPort: options.dbPort,
    caBundleUrl: caBundleUrl(options.ca),
    region,
    masterSecretArn: options.masterSecretArn,
    userSecretArn,
    adminSecretArn: secretOf("KC_BOOTSTRAP_ADMIN_USERNAME"),
  });
  return { secretValues: resolveSecrets(container, arnFor, secrets), arnFor, userSecretArn };
}
