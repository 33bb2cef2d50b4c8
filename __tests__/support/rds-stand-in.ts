import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Host, Teardown } from "./cluster";
import { MariaDb, sqlString, type MariaDbTls } from "./mariadb";
import type { SecretsManagerStub } from "./secrets-manager-stub";

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
