/**
 * `npm run permanent-admin -- <stack> --username NAME [--cacert FILE]`: tools/permanent-admin.sh
 * with Keycloak's URL and the two admin secrets' ARNs taken from the deployed stack's outputs and
 * the region from its configuration (README: Permanent admin).
 */
import { declaredOutputs, runCommand, runScript, stackConfig, stackOutputs } from "./stack";

export const USAGE = `usage: npm run permanent-admin -- <stack> --username NAME [--cacert FILE]
  <stack>          a deployed stack of cdktf.json whose bootstrapAdmin is still true, e.g. keycloak-prod
  --username NAME  the permanent admin's user name (lower case); not the bootstrap admin's
  --cacert FILE    CA certificate(s) to trust for Keycloak's URL (the self-signed certificate)
Everything else comes from the stack's outputs; tools/permanent-admin.sh --help says what it does.`;

const OUTPUTS = ["keycloak_url", "keycloak_admin_secret_arn", "keycloak_permanent_admin_secret_arn"] as const;
const PASSED_ON = ["--username", "--cacert"];

export function parseArgs(argv: string[]): { stack: string; options: string[] } {
  const [stack, ...rest] = argv;
  if (stack === undefined || stack.startsWith("-")) throw new Error(USAGE);
  for (let i = 0; i < rest.length; i += 2) {
    if (!PASSED_ON.includes(rest[i])) throw new Error(`unknown argument '${rest[i]}'\n${USAGE}`);
    if (rest[i + 1] === undefined) throw new Error(`${rest[i]} needs a value\n${USAGE}`);
  }
  if (!rest.includes("--username")) throw new Error(`missing --username\n${USAGE}`);
  return { stack, options: rest };
}

export function main(argv: string[]): number {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { stack, options } = parseArgs(argv);
  const { region } = stackConfig(stack);
  if (!declaredOutputs(stack).includes("keycloak_admin_secret_arn")) {
    throw new Error(`${stack} is synthesized with bootstrapAdmin false: there is no bootstrap admin to replace (README: Permanent admin)`);
  }
  const outputs = stackOutputs(stack, OUTPUTS);
  return runScript("permanent-admin.sh", [
    "--url", outputs.keycloak_url,
    "--bootstrap-secret-id", outputs.keycloak_admin_secret_arn,
    "--admin-secret-id", outputs.keycloak_permanent_admin_secret_arn,
    "--region", region,
    ...options,
  ]);
}

if (require.main === module) runCommand("permanent-admin", main);
