/**
 * `npm run rotate-db-credentials -- <stack> [--ssh-option OPTION]...`: tools/rotate-db-credentials.sh
 * with the bastion, its key, the database endpoint, the two secrets' ARNs and the ECS service taken
 * from the deployed stack's outputs and the region from its configuration (README: Rotating the
 * database credentials). The bastion's private key goes from terraform straight into a 0600 file
 * that is removed afterwards.
 */
import { BASTION_USER } from "../modules/access/bastion";
import { outputToFile, runCommand, runScript, stackConfig, stackOutputs } from "./stack";

export const USAGE = `usage: npm run rotate-db-credentials -- <stack> [--ssh-option OPTION]...
  <stack>              a deployed stack of cdktf.json, e.g. keycloak-prod
  --ssh-option OPTION  passed to ssh as -o OPTION (repeatable)
Switches the database secret to the other database user with a fresh password, rolls the service,
waits for the deployment to complete, then locks the old user; tools/rotate-db-credentials.sh --help.`;

const OUTPUTS = ["bastion_public_ip", "db_endpoint", "db_master_secret_arn", "keycloak_db_secret_arn", "ecs_cluster_name", "ecs_service_name"] as const;

export function parseArgs(argv: string[]): { stack: string; sshOptions: string[] } {
  const [stack, ...rest] = argv;
  if (stack === undefined || stack.startsWith("-")) throw new Error(USAGE);
  const sshOptions: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] !== "--ssh-option") throw new Error(`unknown argument '${rest[i]}'\n${USAGE}`);
    if (rest[i + 1] === undefined) throw new Error(`--ssh-option needs a value\n${USAGE}`);
    sshOptions.push("--ssh-option", rest[i + 1]);
  }
  return { stack, sshOptions };
}

export function main(argv: string[]): number {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { stack, sshOptions } = parseArgs(argv);
  const { region } = stackConfig(stack);
  const outputs = stackOutputs(stack, OUTPUTS);
  const key = outputToFile(stack, "bastion_private_key");
  try {
    return runScript("rotate-db-credentials.sh", [
      "--bastion", `${BASTION_USER}@${outputs.bastion_public_ip}`,
      "--identity", key.file,
      "--db-host", outputs.db_endpoint,
      "--master-secret-id", outputs.db_master_secret_arn,
      "--user-secret-id", outputs.keycloak_db_secret_arn,
      "--region", region,
      "--cluster", outputs.ecs_cluster_name,
      "--service", outputs.ecs_service_name,
      ...sshOptions,
    ]);
  } finally {
    key.remove();
  }
}

if (require.main === module) runCommand("rotate-db-credentials", main);
