import { readFileSync } from "node:fs";
import { projectPath } from "../../shared/paths";

/** The setup script in this project; uploaded to the bastion by the provisioner. */
export const SETUP_SCRIPT_PATH = projectPath("modules", "database", "setup", "keycloak-db-setup.sh");

/** Where the provisioner puts the script on the bastion. */
export const REMOTE_SCRIPT_PATH = "/tmp/keycloak-db-setup.sh";

/** Everything the script needs to know; none of it is secret. */
export interface SetupArguments {
  /** The RDS endpoint: the name its TLS certificate holds, which the client verifies. */
  readonly dbHost: string;
  readonly dbPort: number;
  /** https:// (or file://) URL of the CA bundle the database certificate must chain to; the stack passes DB_CA_BUNDLE_URL. */
  readonly caBundleUrl: string;
  readonly masterSecretArn: string;
  readonly userSecretArn: string;
  /** Absent once the bootstrap admin is gone (setting bootstrapAdmin off). */
  readonly adminSecretArn?: string;
  readonly region: string;
}

/** Single-quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commands the remote-exec provisioner runs on the bastion, in order. The integration
 * test runs exactly these over SSH, so what is tested is what is deployed.
 */
export function setupCommands(args: SetupArguments): string[] {
  const flags = [
    ["--db-host", args.dbHost],
    ["--db-port", String(args.dbPort)],
    ["--ca-bundle-url", args.caBundleUrl],
    ["--master-secret-arn", args.masterSecretArn],
    ["--user-secret-arn", args.userSecretArn],
    ...(args.adminSecretArn === undefined ? [] : [["--admin-secret-arn", args.adminSecretArn]]),
    ["--region", args.region],
  ]
    .map(([flag, value]) => `${flag} ${shellQuote(value)}`)
    .join(" ");
  return [
    // cloud-init may still be installing packages when SSH first answers.
    "if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi",
    `bash ${REMOTE_SCRIPT_PATH} ${flags}`,
  ];
}

/** Content of the setup script: a change of it re-runs the provisioner. */
export function setupScript(): string {
  return readFileSync(SETUP_SCRIPT_PATH, "utf8");
}
