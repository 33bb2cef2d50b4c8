import { join } from "node:path";
import { resolveCommand } from "./command-stubs";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { runProcess, type RunResult } from "./run-process";
import type { SshServer } from "./sshd";

/**
 * tools/db-backup.sh as an operator runs it: from this machine (the host namespace, which reaches
 * the test network through its bridge) to the sshd bastion stand-in, whose sessions find the
 * stand-in `aws` first on their PATH.
 */

export const DB_BACKUP_SCRIPT = join(REPO_ROOT, "tools", "db-backup.sh");

/** What the operator passes: `terraform output` values, the CA bundle URL where the test's CA stands in for RDS's. */
export interface BackupTarget {
  bastion: SshServer;
  dbHost: string;
  masterSecretArn: string;
  /** The keycloak database user's secret: the restore runs as that user. */
  userSecretArn: string;
  region: string;
  caBundleUrl: string;
}

export function backupArguments(target: BackupTarget): string[] {
  return [
    "--bastion", `${target.bastion.user}@${target.bastion.address}`,
    "--identity", target.bastion.keyPath,
    "--db-host", target.dbHost,
    "--master-secret-id", target.masterSecretArn,
    "--user-secret-id", target.userSecretArn,
    "--region", target.region,
    "--ca-bundle-url", target.caBundleUrl,
    // The stand-in bastion gets a new host key every run.
    "--ssh-option", "StrictHostKeyChecking=no",
    "--ssh-option", "UserKnownHostsFile=/dev/null",
  ];
}

const COMMAND_ARGUMENT = { dump: "--output", restore: "--input", drop: "--confirm" } as const;

/** `db-backup.sh dump --output FILE`, `restore --input FILE` or `drop --confirm NAME`. */
export function runDbBackup(command: keyof typeof COMMAND_ARGUMENT, value: string, target: BackupTarget, timeoutMs = 180_000): Promise<RunResult> {
  return runProcess(
    resolveCommand("bash"),
    [DB_BACKUP_SCRIPT, command, COMMAND_ARGUMENT[command], value, ...backupArguments(target)],
    { env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" }, timeoutMs },
  );
}
