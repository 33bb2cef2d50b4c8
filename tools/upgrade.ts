// Keycloak upgrades: records the running version's update-compatibility metadata, asks the new
// version's `kc.sh update-compatibility check` whether a rolling update is possible, and carries
// out the ECS side of a recreate around `cdktf deploy`. See README "Upgrading Keycloak".
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { KEYCLOAK_VERSION } from "../modules/shared/constants";
import { decideUpgrade, gateUpgrade, ON_RECREATE, upgradePlan, type CheckRun, type GateResult, type OnRecreate, type UpgradeDecision, type UpgradeStep } from "../modules/service/upgrade";
import { JAVA_HOME, keycloakDist, REPO_ROOT } from "./keycloak-dist";
import { ecsCommands, splitAroundDeploy, synthesizedService, type EcsService } from "./upgrade-ecs";

const USAGE = `usage: npm run upgrade -- <command> --stack STACK [options]

  metadata --version V --out FILE      the running version's metadata (commit FILE after each deploy)
  check    --version V --metadata FILE the new version's verdict: rolling or recreate (JSON on stdout)
  plan     --version V --metadata FILE the verdict and every step, with the AWS CLI calls
  stop     --version V --metadata FILE recreate only, before 'cdktf deploy': all tasks stopped
  start    --version V --metadata FILE recreate only, after 'cdktf deploy': one task, then all
  gate     --metadata FILE|--first-deploy --on-recreate stop|recreate
                                       the deploy pipeline's decision: prints strategy=rolling or
                                       strategy=recreate; exits 1 with the check's reason for stop

  --stack STACK      synthesized stack to read (cdktf.out/stacks/STACK; run 'npx cdktf synth')
  --version V        Keycloak version of the running (metadata) or the new image (others), run
                     from Maven Central's distribution built with docker/keycloak-build.env
                     (default: this checkout's KEYCLOAK_VERSION)
  --image IMAGE      instead of --version: run kc.sh from this image with docker
  --execute          stop/start: make the AWS calls (default: print them)
Exit: 0 done; 1 refused (unknown check result, wrong phase) or failed; 2 bad usage.`;

interface Options {
  command: string;
  stack?: string;
  version?: string;
  image?: string;
  metadata?: string;
  out?: string;
  onRecreate?: string;
  execute: boolean;
  firstDeploy: boolean;
}

function parse(argv: string[]): Options {
  const options: Options = { command: argv[0] ?? "", execute: false, firstDeploy: false };
  const valued: Record<string, keyof Options> = { "--stack": "stack", "--version": "version", "--image": "image", "--metadata": "metadata", "--out": "out", "--on-recreate": "onRecreate" };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--execute") options.execute = true;
    else if (flag === "--first-deploy") options.firstDeploy = true;
    else if (valued[flag] !== undefined && argv[i + 1] !== undefined) {
      (options as unknown as Record<string, string>)[valued[flag]] = argv[++i];
    } else usage(`unknown or incomplete option '${flag}'`);
  }
  if (!["metadata", "check", "plan", "stop", "start", "gate"].includes(options.command)) usage(`unknown command '${options.command}'`);
  if (options.stack === undefined) usage("missing --stack");
  if (options.version !== undefined && options.image !== undefined) usage("give at most one of --version and --image");
  if (options.image === undefined) options.version ??= KEYCLOAK_VERSION;
  if (options.command === "metadata" && options.out === undefined) usage("metadata needs --out");
  if (options.command === "gate") {
    if ((options.metadata === undefined) === !options.firstDeploy) usage("gate needs exactly one of --metadata and --first-deploy");
    if (!(ON_RECREATE as readonly string[]).includes(options.onRecreate ?? "")) usage(`gate needs --on-recreate ${ON_RECREATE.join(" or ")}, got '${options.onRecreate ?? ""}'`);
  } else if (options.command !== "metadata" && options.metadata === undefined) usage(`${options.command} needs --metadata`);
  return options;
}

function usage(problem: string): never {
  process.stderr.write(`upgrade: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

/**
 * Runs `kc.sh update-compatibility <sub> --optimized --file FILE` of a Keycloak with the task's
 * environment (the check must see the configuration the tasks run with).
 */
export function runCompatibility(sub: "metadata" | "check", file: string, environment: Record<string, string>, source: { home?: string; image?: string }): CheckRun {
  const args = ["update-compatibility", sub, "--optimized"];
  const result =
    source.home !== undefined
      ? spawnSync(join(source.home, "bin", "kc.sh"), [...args, "--file", file], {
          env: { PATH: "/usr/bin:/bin", JAVA_HOME, HOME: tmpdir(), ...environment },
          encoding: "utf8",
          timeout: 300_000,
        })
      : spawnSync(
          "docker",
          ["run", "--rm", "-v", `${dirname(resolve(file))}:/upgrade`, ...Object.entries(environment).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
            "--entrypoint", "/opt/keycloak/bin/kc.sh", source.image!, ...args, "--file", `/upgrade/${basename(file)}`],
          { encoding: "utf8", timeout: 300_000 },
        );
  if (result.error !== undefined) throw result.error;
  return { exitCode: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

function keycloakSource(options: Options): { home?: string; image?: string } {
  return options.image !== undefined ? { image: options.image } : { home: keycloakDist({}, options.version).home };
}

/** The verdict of the new version on the stored metadata. */
export function check(metadataFile: string, environment: Record<string, string>, source: { home?: string; image?: string }): UpgradeDecision {
  // A copy: the check must not be able to change the stored metadata.
  const dir = mkdtempSync(join(tmpdir(), "kc-upgrade-"));
  try {
    const copy = join(dir, "metadata.json");
    writeFileSync(copy, readFileSync(metadataFile));
    return decideUpgrade(runCompatibility("check", copy, environment, source));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The deploy pipeline's gate: the new version's check on the last deploy's metadata (none on a
 * first deploy) and the on-recreate setting. An answer the check does not document throws.
 */
export function gate(metadataFile: string | undefined, environment: Record<string, string>, source: { home?: string; image?: string }, onRecreate: OnRecreate): GateResult {
  return gateUpgrade(metadataFile === undefined ? undefined : check(metadataFile, environment, source), onRecreate);
}

function describe(steps: UpgradeStep[], target: EcsService): string[] {
  return steps.flatMap((step) => {
    const calls = ecsCommands(step, target);
    if (calls.length === 0) return [`# ${step.kind}: npx cdktf deploy --auto-approve ${"<stack>"}`];
    return calls.map((c) => ("argv" in c ? c.argv.join(" ") : `# wait until ${c.service} has no task that is not STOPPED`));
  });
}

function aws(argv: string[]): string {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 15 * 60_000 });
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

function waitNoTasksLeft(cluster: string, service: string): void {
  for (let attempt = 0; attempt < 180; attempt++) {
    const arns = ["RUNNING", "STOPPED"].flatMap((status) =>
      aws(["aws", "ecs", "list-tasks", "--cluster", cluster, "--service-name", service, "--desired-status", status, "--query", "taskArns", "--output", "text"])
        .split(/\s+/)
        .filter((arn) => arn.startsWith("arn:")),
    );
    const alive =
      arns.length === 0
        ? []
        : aws(["aws", "ecs", "describe-tasks", "--cluster", cluster, "--tasks", ...arns, "--query", "tasks[?lastStatus!='STOPPED'].taskArn", "--output", "text"])
            .split(/\s+/)
            .filter((arn) => arn.startsWith("arn:"));
    if (alive.length === 0) return;
    process.stderr.write(`waiting for ${alive.length} task(s) of ${service} to stop\n`);
    spawnSync("sleep", ["10"]);
  }
  throw new Error(`${service} still has tasks after 30 minutes; not starting the new version`);
}

function execute(steps: UpgradeStep[], target: EcsService): void {
  for (const step of steps) {
    for (const call of ecsCommands(step, target)) {
      if ("argv" in call) {
        process.stderr.write(`$ ${call.argv.join(" ")}\n`);
        aws(call.argv);
      } else waitNoTasksLeft(call.cluster, call.service);
    }
  }
}

function main(): void {
  const options = parse(process.argv.slice(2));
  const synth = synthesizedService(join(REPO_ROOT, "cdktf.out"), options.stack!);
  if (options.command === "gate") {
    // A first deploy has nothing to check: no distribution to fetch.
    const result = gate(options.metadata, synth.environment, options.firstDeploy ? {} : keycloakSource(options), options.onRecreate as OnRecreate);
    process.stderr.write(`upgrade gate: ${result.message}\n`);
    if (result.action === "stop") process.exitCode = 1;
    else process.stdout.write(`strategy=${result.action}\n`);
    return;
  }
  const source = keycloakSource(options);
  if (options.command === "metadata") {
    const run = runCompatibility("metadata", resolve(options.out!), synth.environment, source);
    if (run.exitCode !== 0) throw new Error(`kc.sh update-compatibility metadata exited ${run.exitCode}:\n${run.output}`);
    process.stdout.write(`metadata of the running version written to ${options.out}\n`);
    return;
  }
  const decision = check(options.metadata!, synth.environment, source);
  const steps = upgradePlan(decision.strategy, synth.desiredCount);
  if (options.command === "check") {
    process.stdout.write(`${JSON.stringify(decision)}\n`);
    return;
  }
  const phases = splitAroundDeploy(steps);
  if (options.command === "plan") {
    process.stdout.write(`${decision.strategy}: ${decision.reason}\n${describe(steps, synth).join("\n")}\n`);
    return;
  }
  if (decision.strategy !== "recreate") {
    throw new Error(`the check allows a rolling update (${decision.reason}): run 'npx cdktf deploy' alone; '${options.command}' is for a recreate`);
  }
  const phase = options.command === "stop" ? phases.before : phases.after;
  if (!options.execute) {
    process.stdout.write(`${describe(phase, synth).join("\n")}\n(dry run: add --execute to make these calls)\n`);
    return;
  }
  execute(phase, synth);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`upgrade: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
