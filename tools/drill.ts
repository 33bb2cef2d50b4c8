/**
 * `npm run drill -- <stack> [--yes] [--username NAME] [--cacert FILE]`: the original failover
 * scenario against a deployed stack (README: Verify). Logs in as a master-realm admin through
 * the load balancer, stops the ECS task the session is pinned to, keeps checking the session,
 * waits for ECS to replace the task and Keycloak to log a cluster view of all tasks again, then
 * the other task; prints a verdict with timings. Before and around the stops it checks what the
 * stand-ins assume (tools/drill-checks.ts), each a PASS or FAIL with evidence. The password comes
 * from a file or stdin, never from the command line.
 */
import { readFileSync } from "node:fs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { alarmName } from "../modules/monitoring/monitoring";
import { AwsDrillTarget } from "./drill-aws";
import { checksBeforeStops, cloudWatchApi, deregistrationCheck, DRILL_ALARM_ID, formatChecks, type CloudWatchApi, type CloudWatchSdk } from "./drill-checks";
import { formatVerdict, runDrill } from "./drill-scenario";
import { HttpDrillSession } from "./drill-session";
import { stackConfig, stackOutputs } from "./stack";

/** The stack outputs the drill reads (modules/stack.ts), each on its own from the deployed state (tools/stack.ts). */
export const DRILL_OUTPUTS = ["keycloak_url", "ecs_cluster_name", "ecs_service_name", "keycloak_log_group", "alarm_topic_arn"] as const;

/** Loaded when the drill runs (a devDependency, pinned): without it the two CloudWatch checks say so and fail. */
export const CLOUDWATCH_PACKAGE = "@aws-sdk/client-cloudwatch";

async function loadCloudWatch(region: string): Promise<CloudWatchApi | string> {
  try {
    return cloudWatchApi((await import(CLOUDWATCH_PACKAGE)) as CloudWatchSdk, region);
  } catch (error) {
    return `${CLOUDWATCH_PACKAGE} cannot be loaded (${(error as Error).message.split("\n")[0]}); add it to devDependencies`;
  }
}

export const USAGE = `usage: npm run drill -- <stack> [--yes] [--username NAME] [--password-file FILE] [--cacert FILE]
  <stack>               a stack of cdktf.json, e.g. keycloak-dev; synthesized and deployed (cdktf.out/stacks/<stack>)
  --yes                 needed for a stack whose profile is prod: the drill stops its tasks one at a time
  --username NAME       master-realm admin to log in as (default: admin)
  --password-file FILE  a file holding its password; without it, the password is read from stdin
  --cacert FILE         PEM to trust for the load balancer's certificate (the default self-signed one)`;

export interface DrillArgs {
  stack: string;
  yes: boolean;
  username: string;
  passwordFile?: string;
  cacert?: string;
}

export function parseArgs(argv: string[]): DrillArgs {
  const args: Partial<DrillArgs> & { yes: boolean; username: string } = { yes: false, username: "admin" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--yes") args.yes = true;
    else if (arg === "--username" || arg === "--cacert" || arg === "--password-file") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      if (arg === "--username") args.username = value;
      else if (arg === "--cacert") args.cacert = value;
      else args.passwordFile = value;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else if (args.stack === undefined) args.stack = arg;
    else throw new Error(`one stack only, got ${args.stack} and ${arg}\n${USAGE}`);
  }
  if (args.stack === undefined) throw new Error(USAGE);
  return args as DrillArgs;
}

/** Refuses a prod stack without --yes; returns the reason, or undefined when the drill may run. */
export function refusal(args: DrillArgs, profile: string): string | undefined {
  if (profile === "prod" && !args.yes) {
    return `${args.stack} has the prod profile: the drill stops its tasks (one at a time) and users may see a few failed requests. Run again with --yes to proceed.`;
  }
  return undefined;
}

/**
 * The password of --username: from --password-file, or from stdin when it is not a terminal
 * (piped from Secrets Manager). Never from the command line or the environment, which end up in
 * shell history and in /proc.
 */
export function readPassword(args: DrillArgs, stdin: { isTTY?: boolean; read: () => string } = { isTTY: process.stdin.isTTY, read: () => readFileSync(0, "utf8") }): string {
  if (args.passwordFile === undefined && stdin.isTTY) {
    throw new Error(`give the password of ${args.username} on stdin (piped) or with --password-file FILE\n${USAGE}`);
  }
  const text = args.passwordFile === undefined ? stdin.read() : readFileSync(args.passwordFile, "utf8");
  // One line: the trailing line break of a file or of `echo` is not part of the password.
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new Error(`the password of ${args.username} is empty (${args.passwordFile ?? "stdin"})`);
  return password;
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
  const password = readPassword(args);
  const outputs = stackOutputs(args.stack, DRILL_OUTPUTS);
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
  log("checking what the stand-ins assume: the serving JVM, ClusterMembers, the alarm topic (sets one alarm to ALARM)");
  const before = await checksBeforeStops({
    target,
    session,
    cloudwatch: await loadCloudWatch(config.region),
    cluster: outputs.ecs_cluster_name,
    service: outputs.ecs_service_name,
    alarmName: alarmName(config.namePrefix, DRILL_ALARM_ID),
    topicArn: outputs.alarm_topic_arn,
  });
  const verdict = await runDrill(target, session, { checkIntervalMs: 5_000, log });
  const checks = [...before, deregistrationCheck(target.deregistrations)];
  process.stdout.write(`${formatVerdict(verdict)}\n${formatChecks(checks)}\n`);
  return verdict.passed && checks.every((c) => c.passed) ? 0 : 1;
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
