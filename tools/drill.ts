/**
 * `npm run drill -- <stack> [--yes] [--username NAME] [--cacert FILE]`: the original failover
 * scenario against a deployed stack (README: Verify). Logs in as a master-realm admin through
 * the load balancer, stops the ECS task the session is pinned to, keeps checking the session,
 * waits for ECS to replace the task and Keycloak to log a cluster view of all tasks again, then
 * the other task; prints a verdict with timings. The password comes from the environment
 * (KEYCLOAK_DRILL_PASSWORD), never from the command line.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { loadConfig, type RawSettings } from "../modules/config";
import { projectPath } from "../modules/shared/paths";
import { AwsDrillTarget } from "./drill-aws";
import { formatVerdict, runDrill } from "./drill-scenario";
import { HttpDrillSession } from "./drill-session";

/** The stack outputs the drill reads (modules/stack.ts), from `terraform output -json` in the synthesized stack's folder. */
export const DRILL_OUTPUTS = ["keycloak_url", "ecs_cluster_name", "ecs_service_name", "keycloak_log_group"] as const;
type Outputs = Record<(typeof DRILL_OUTPUTS)[number], string>;

export const USAGE = `usage: npm run drill -- <stack> [--yes] [--username NAME] [--cacert FILE]
  <stack>            a stack of cdktf.json, e.g. keycloak-dev; synthesized and deployed (cdktf.out/stacks/<stack>)
  --yes              needed for a stack whose profile is prod: the drill stops its tasks one at a time
  --username NAME    master-realm admin to log in as (default: admin); password in KEYCLOAK_DRILL_PASSWORD
  --cacert FILE      PEM to trust for the load balancer's certificate (the default self-signed one)`;

export interface DrillArgs {
  stack: string;
  yes: boolean;
  username: string;
  cacert?: string;
}

export function parseArgs(argv: string[]): DrillArgs {
  const args: Partial<DrillArgs> & { yes: boolean; username: string } = { yes: false, username: "admin" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--yes") args.yes = true;
    else if (arg === "--username" || arg === "--cacert") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      if (arg === "--username") args.username = value;
      else args.cacert = value;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else if (args.stack === undefined) args.stack = arg;
    else throw new Error(`one stack only, got ${args.stack} and ${arg}\n${USAGE}`);
  }
  if (args.stack === undefined) throw new Error(USAGE);
  return args as DrillArgs;
}

/** The stack's profile and region, from cdktf.json and KEYCLOAK_* exactly as synth reads them. */
export function stackConfig(stack: string, env: NodeJS.ProcessEnv = process.env) {
  const context = JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context as { keycloak?: RawSettings; environments?: Record<string, RawSettings> };
  const environment = stack.replace(/^keycloak-/, "");
  const perEnvironment = context.environments?.[environment];
  if (!stack.startsWith("keycloak-") || perEnvironment === undefined) {
    throw new Error(`unknown stack ${stack}: cdktf.json defines ${Object.keys(context.environments ?? {}).map((e) => `keycloak-${e}`).join(", ")}`);
  }
  return loadConfig({ environment, shared: context.keycloak, perEnvironment, env, warn: () => {} });
}

/** Refuses a prod stack without --yes; returns the reason, or undefined when the drill may run. */
export function refusal(args: DrillArgs, profile: string): string | undefined {
  if (profile === "prod" && !args.yes) {
    return `${args.stack} has the prod profile: the drill stops its tasks (one at a time) and users may see a few failed requests. Run again with --yes to proceed.`;
  }
  return undefined;
}

/** The outputs the drill needs, from the deployed state of the synthesized stack. */
function stackOutputs(stack: string): Outputs {
  const dir = projectPath("cdktf.out", "stacks", stack);
  const synthesized = `${dir}/cdk.tf.json`;
  if (!existsSync(synthesized)) throw new Error(`${synthesized} is missing: run 'npx cdktf synth' first`);
  const declared = Object.keys((JSON.parse(readFileSync(synthesized, "utf8")) as { output?: Record<string, unknown> }).output ?? {});
  const missing = DRILL_OUTPUTS.filter((name) => !declared.includes(name));
  if (missing.length > 0) throw new Error(`the synthesized ${stack} has no output ${missing.join(", ")}`);
  const values = JSON.parse(execFileSync("terraform", ["output", "-json"], { cwd: dir, encoding: "utf8" })) as Record<string, { value: unknown }>;
  return Object.fromEntries(
    DRILL_OUTPUTS.map((name) => {
      const value = values[name]?.value;
      if (typeof value !== "string") throw new Error(`terraform output ${name} of ${stack} is not set: is the stack deployed?`);
      return [name, value];
    }),
  ) as Outputs;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  const config = stackConfig(args.stack);
  const refused = refusal(args, config.profile);
  if (refused !== undefined) {
    process.stderr.write(`${refused}\n`);
    return 2;
  }
  const password = process.env.KEYCLOAK_DRILL_PASSWORD;
  if (password === undefined || password === "") throw new Error("set KEYCLOAK_DRILL_PASSWORD to the password of --username");
  const outputs = stackOutputs(args.stack);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const target = new AwsDrillTarget({
    cluster: outputs.ecs_cluster_name,
    service: outputs.ecs_service_name,
    logGroup: outputs.keycloak_log_group,
    ecs: new ECSClient({ region: config.region }),
    elbv2: new ElasticLoadBalancingV2Client({ region: config.region }),
    logs: new CloudWatchLogsClient({ region: config.region }),
    log,
  });
  const session = new HttpDrillSession(
    {
      issuer: `${outputs.keycloak_url}/realms/master`,
      accountUrl: `${outputs.keycloak_url}/realms/master/account/`,
      admin: { username: args.username, password },
    },
    { ca: args.cacert === undefined ? undefined : readFileSync(args.cacert, "utf8") },
  );
  log(`logging in to ${outputs.keycloak_url} as ${args.username}`);
  await session.logIn();
  const verdict = await runDrill(target, session, { checkIntervalMs: 5_000, log });
  process.stdout.write(`${formatVerdict(verdict)}\n`);
  return verdict.passed ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`drill: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
