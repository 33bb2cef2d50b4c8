/**
 * `npm run backup -- <stack> dump FILE | restore FILE | drop --confirm keycloak`: tools/db-backup.sh
 * with the bastion, its key, the database endpoint and the secrets' ARNs taken from the deployed
 * stack's outputs and the region from its configuration (README: Backup and restore). The
 * bastion's private key goes from terraform straight into a 0600 file that is removed afterwards.
 */
import { BASTION_USER } from "../modules/access/bastion";
import { outputToFile, runCommand, runScript, stackConfig, stackOutputs } from "./stack";

export const USAGE = `usage: npm run backup -- <stack> dump FILE | restore FILE | drop --confirm keycloak  [--ssh-option OPTION]...
  <stack>              a deployed stack of cdktf.json, e.g. keycloak-prod
  dump FILE            writes a gzip-compressed dump of the Keycloak database to FILE (new, mode 0600)
  restore FILE         loads FILE into the empty Keycloak database, as the database's keycloak user
  drop --confirm keycloak
                       drops the Keycloak database (the step before a restore over it)
  --ssh-option OPTION  passed to ssh as -o OPTION (repeatable)
Everything else comes from the stack's outputs; tools/db-backup.sh --help says what each step checks.`;

/** The outputs each command reads; only the restore needs the keycloak user's secret. */
const OUTPUTS = {
  dump: ["bastion_public_ip", "db_endpoint", "db_master_secret_arn"],
  drop: ["bastion_public_ip", "db_endpoint", "db_master_secret_arn"],
  restore: ["bastion_public_ip", "db_endpoint", "db_master_secret_arn", "keycloak_db_secret_arn"],
} as const;

type Command = keyof typeof OUTPUTS;

export interface BackupArgs {
  stack: string;
  command: Command;
  /** The dump's file, or the drop's confirmation. */
  value: string;
  sshOptions: string[];
}

export function parseArgs(argv: string[]): BackupArgs {
  const [stack, command, ...rest] = argv;
  if (stack === undefined || stack.startsWith("-")) throw new Error(USAGE);
  if (command !== "dump" && command !== "restore" && command !== "drop") throw new Error(`unknown command '${command ?? ""}': dump, restore or drop\n${USAGE}`);
  const words = command === "drop" ? rest.slice(0, 2) : rest.slice(0, 1);
  if (command === "drop" ? words[0] !== "--confirm" || words[1] === undefined : words[0] === undefined || words[0].startsWith("-")) {
    throw new Error(`${command} needs ${command === "drop" ? "--confirm keycloak" : "a FILE"}\n${USAGE}`);
  }
  const sshOptions: string[] = [];
  const options = rest.slice(words.length);
  for (let i = 0; i < options.length; i += 2) {
    if (options[i] !== "--ssh-option") throw new Error(`unknown argument '${options[i]}'\n${USAGE}`);
    if (options[i + 1] === undefined) throw new Error(`--ssh-option needs a value\n${USAGE}`);
    sshOptions.push("--ssh-option", options[i + 1]);
  }
  return { stack, command, value: words[words.length - 1], sshOptions };
}

export function main(argv: string[]): number {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  const { region } = stackConfig(args.stack);
  const outputs: Partial<Record<(typeof OUTPUTS.restore)[number], string>> = stackOutputs(args.stack, OUTPUTS[args.command]);
  const key = outputToFile(args.stack, "bastion_private_key");
  try {
    const flag = { dump: "--output", restore: "--input", drop: "--confirm" }[args.command];
    return runScript("db-backup.sh", [
      args.command, flag, args.value,
      "--bastion", `${BASTION_USER}@${outputs.bastion_public_ip}`,
      "--identity", key.file,
      "--db-host", outputs.db_endpoint!,
      "--master-secret-id", outputs.db_master_secret_arn!,
      ...(outputs.keycloak_db_secret_arn === undefined ? [] : ["--user-secret-id", outputs.keycloak_db_secret_arn]),
      "--region", region,
      ...args.sshOptions,
    ]);
  } finally {
    key.remove();
  }
}

if (require.main === module) runCommand("backup", main);
