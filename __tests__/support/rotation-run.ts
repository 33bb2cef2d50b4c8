import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import type { DatabaseAccess } from "./test-network";
import { BinDir, resolveCommand } from "./command-stubs";
import { runProcess, type RunResult } from "./run-process";
import { waitFor } from "./waiting";

/**
 * tools/rotate-db-credentials.sh as an operator runs it, on the cluster stand: its `ssh` runs the
 * remote command in the bastion's namespace (with the stand-in `aws` for Secrets Manager first on
 * the PATH, as the setup runs there), and its `aws ecs` is the ECS stand-in's API: update-service
 * asks the test for a deployment, describe-services answers what the test last reported of it.
 * So the script's own order (switch, deploy, wait for COMPLETED, retire) is what runs under load.
 */

/** A step of the rotation turned off on purpose (E2E_ROTATION_BREAK). */
export type RotationBreak = "no-deploy-wait";

export function rotationBreak(env: NodeJS.ProcessEnv = process.env): RotationBreak | undefined {
  const raw = env.E2E_ROTATION_BREAK;
  if (raw === undefined || raw === "") return undefined;
  if (raw !== "no-deploy-wait") throw new Error(`E2E_ROTATION_BREAK '${raw}' is not one of no-deploy-wait`);
  return raw;
}

export interface RotationOutcome {
  result: RunResult;
  /** When the script asked for the deployment, and when the deployment (the test's) ended. */
  deployRequestedAt: number;
  deployDoneAt: number;
}

export class RotationRun {
  private readonly requested: string;
  private readonly state: string;
  private readonly bin: BinDir;

  /** `no-deploy-wait`: describe-services says COMPLETED from the start, as if the script did not wait. */
  constructor(
    dir: string,
    private readonly database: DatabaseAccess,
    private readonly breaks?: RotationBreak,
  ) {
    this.requested = join(dir, "deploy-requested");
    this.state = join(dir, "deployment");
    const bastionPath = `${database.secrets.binDir}:/usr/local/bin:/usr/bin:/bin`;
    this.bin = new BinDir(join(dir, "operator-bin")).script(
      "ssh",
      `exec ${database.bastion.namespace.command([resolveCommand("env"), "-i", `PATH=${bastionPath}`, "HOME=/root", "LANG=C.UTF-8", resolveCommand("bash"), "-c"]).join(" ")} "\${!#}"`,
    ).script(
      "aws",
      `case "$1 $2" in
  "ecs update-service") date +%s%3N >'${this.requested}'; echo ecs-svc/e2e-rotation ;;
  "ecs describe-services") cat '${this.state}' ;;
  *) echo "stand-in aws: unexpected: $*" >&2; exit 98 ;;
esac`,
    );
    writeFileSync(join(dir, "identity"), "stand-in: ssh runs in the bastion's namespace\n", { mode: 0o600 });
  }

  /** Runs the rotation; `deploy` is the ECS stand-in's rolling deploy, started when the script asks for it. */
  async rotate(deploy: () => Promise<void>): Promise<RotationOutcome> {
    writeFileSync(this.state, this.breaks === "no-deploy-wait" ? "COMPLETED\t1\n" : "IN_PROGRESS\t2\n");
    const db = this.database;
    const script = runProcess(
      resolveCommand("bash"),
      [
        projectPath("tools", "rotate-db-credentials.sh"),
        "--bastion", "ec2-user@bastion", "--identity", join(this.bin.path, "..", "identity"),
        "--db-host", db.dbHost, "--master-secret-id", db.masterSecretArn, "--user-secret-id", db.userSecretArn,
        "--region", db.region, "--ca-bundle-url", db.caBundleUrl,
        "--cluster", "keycloak-prod", "--service", "keycloak-prod", "--poll-seconds", "2",
      ],
      { env: { PATH: `${this.bin.path}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root", LANG: "C.UTF-8" }, timeoutMs: 20 * 60_000 },
    );
    let exited: RunResult | undefined;
    void script.then((result) => (exited = result));
    await waitFor("the rotation to ask for a deployment", 120_000, async () => {
      if (existsSync(this.requested)) return true;
      if (exited !== undefined) throw new Error(`rotate-db-credentials.sh exited ${exited.code} before it asked for a deployment:\n${exited.stderr}`);
      return undefined;
    });
    const deployRequestedAt = Date.now();
    await deploy();
    const deployDoneAt = Date.now();
    writeFileSync(this.state, "COMPLETED\t1\n");
    return { result: await script, deployRequestedAt, deployDoneAt };
  }
}
