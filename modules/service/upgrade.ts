/**
 * How a new Keycloak image reaches a running service: a rolling update or a recreate, decided by
 * Keycloak's own `kc.sh update-compatibility check` (Keycloak's "Checking if rolling updates are
 * possible" guide) run by the NEW image against the metadata the RUNNING version wrote with
 * `kc.sh update-compatibility metadata`. Nothing else decides: no version arithmetic of ours, and
 * any answer the check does not document stops the upgrade instead of guessing.
 *
 * Rolling: ECS replaces one task at a time (the service's deployment percentages), the cluster
 * mixes the two versions for the length of the deploy, users see nothing.
 * Recreate: every old task is stopped before the first new one starts, so two incompatible
 * versions never share the cluster or the database; the new version then starts alone (it
 * migrates the schema), and the rest follow once it is up. Downtime: from the last old task
 * gone until the first new one is ready.
 */
import { constant } from "../shared/constant";

export type UpgradeStrategy = "rolling" | "recreate";

/** `kc.sh update-compatibility check` exit codes, as the guide documents them. */
export const CHECK_EXIT_CODES = constant({
  /** A rolling update is possible. */
  rolling: 0,
  /** Unexpected error, e.g. a missing or corrupt metadata file. */
  error: 1,
  /** Invalid CLI options. */
  invalidOptions: 2,
  /** A rolling update is not possible: shut the deployment down before applying the new one. */
  recreate: 3,
  /** A rolling update is not possible because the `rolling-updates` feature is disabled. */
  rollingUpdatesDisabled: 4,
});

/** The line the check prints when it allows a rolling update. */
export const ROLLING_OK_LINE = "[OK] Rolling Update is available.";

export interface CheckRun {
  exitCode: number;
  /** stdout and stderr of the check. */
  output: string;
}

export interface UpgradeDecision {
  strategy: UpgradeStrategy;
  /** Why, in the check's own words. */
  reason: string;
}

/** The check answered something this project does not know how to act on. */
export class UnknownCheckResult extends Error {}

/** The check's lines that say what is incompatible, e.g. `[keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> 26.7.3`. */
function incompatibilities(output: string): string[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /Rolling Update is not available|is incompatible|feature .*disabled/i.test(line));
}

/** The strategy for a check's result; throws UnknownCheckResult for anything the guide does not document. */
export function decideUpgrade(run: CheckRun): UpgradeDecision {
  const tail = run.output.trim().split("\n").slice(-15).join("\n");
  switch (run.exitCode) {
    case CHECK_EXIT_CODES.rolling:
      // Exit 0 alone is not trusted: a wrapper that swallowed the real exit code also returns 0.
      if (!run.output.includes(ROLLING_OK_LINE)) {
        throw new UnknownCheckResult(`the compatibility check exited 0 without printing "${ROLLING_OK_LINE}"; refusing to roll. Output:\n${tail}`);
      }
      return { strategy: "rolling", reason: ROLLING_OK_LINE };
    case CHECK_EXIT_CODES.recreate: {
      const found = incompatibilities(run.output);
      return { strategy: "recreate", reason: found.length > 0 ? found.join("; ") : "the check requires a recreate (exit 3)" };
    }
    case CHECK_EXIT_CODES.rollingUpdatesDisabled:
      return { strategy: "recreate", reason: "the rolling-updates feature is disabled (exit 4)" };
    default:
      throw new UnknownCheckResult(
        `the compatibility check exited ${run.exitCode} (1: error such as missing or corrupt metadata, 2: invalid options); ` +
          `no upgrade strategy chosen, nothing deployed. Output:\n${tail}`,
      );
  }
}

/**
 * What the deploy pipeline does when the check asks for a recreate: run it unattended
 * (`npm run upgrade -- stop`, deploy, `start`: downtime) or stop before anything changes and
 * leave the choice to a person. A rolling verdict always deploys rolling.
 */
export type OnRecreate = "recreate" | "stop";
export const ON_RECREATE: readonly OnRecreate[] = ["recreate", "stop"];

export interface GateResult {
  /** rolling: deploy as usual; recreate: stop, deploy, start; stop: deploy nothing. */
  action: UpgradeStrategy | "stop";
  message: string;
}

/**
 * The deploy pipeline's gate: the check's verdict on the last deploy's metadata, or no verdict
 * on a first deploy (nothing runs yet, so nothing can mix), and the setting for a recreate.
 */
export function gateUpgrade(decision: UpgradeDecision | undefined, onRecreate: OnRecreate): GateResult {
  if (decision === undefined) return { action: "rolling", message: "no metadata of a previous deploy: first deploy, nothing runs yet" };
  if (decision.strategy === "rolling") return { action: "rolling", message: decision.reason };
  if (onRecreate === "recreate") return { action: "recreate", message: `recreate: ${decision.reason}` };
  return {
    action: "stop",
    message: `the compatibility check requires a recreate (${decision.reason}); the pipeline's on-recreate setting is "stop", so nothing was deployed. ` +
      "Run the recreate by hand (README: Upgrade Keycloak) or deploy with on-recreate=recreate.",
  };
}

/** One step of an upgrade, carried out by tools/upgrade.ts on ECS or by the e2e harness on its stand. */
export type UpgradeStep =
  /** Point the service at the new task definition; ECS replaces the tasks one at a time. */
  | { kind: "deploy-rolling" }
  /** Set the desired count (scaling policies are suspended for the whole recreate). */
  | { kind: "scale"; desiredCount: number }
  /** Until the service has no task left in any state but STOPPED. */
  | { kind: "wait-all-stopped" }
  /** Point the service at the new task definition while it runs no task. */
  | { kind: "switch-task-definition" }
  /** Until the running count equals the desired count and the deployment is complete. */
  | { kind: "wait-stable" }
  | { kind: "suspend-autoscaling" }
  | { kind: "resume-autoscaling" };

/**
 * The steps of a strategy for a service that should end with `desiredCount` tasks. A recreate
 * brings the new version up with one task first: it migrates the schema alone, and the others
 * join a cluster that already has a coordinator instead of racing to become one.
 */
export function upgradePlan(strategy: UpgradeStrategy, desiredCount: number): UpgradeStep[] {
  if (!Number.isInteger(desiredCount) || desiredCount < 1) throw new Error(`desiredCount must be a positive integer, got ${desiredCount}`);
  if (strategy === "rolling") return [{ kind: "deploy-rolling" }, { kind: "wait-stable" }];
  const steps: UpgradeStep[] = [
    { kind: "suspend-autoscaling" },
    { kind: "scale", desiredCount: 0 },
    { kind: "wait-all-stopped" },
    { kind: "switch-task-definition" },
    { kind: "scale", desiredCount: 1 },
    { kind: "wait-stable" },
  ];
  if (desiredCount > 1) steps.push({ kind: "scale", desiredCount }, { kind: "wait-stable" });
  steps.push({ kind: "resume-autoscaling" });
  return steps;
}

/**
 * Whether old and new tasks can ever run at the same time under `steps`: true when a task
 * definition switch happens while tasks may still be running. Used by the tests to show that
 * a recreate never mixes versions, whatever the plan's order.
 */
export function mixesVersions(steps: UpgradeStep[]): boolean {
  let possiblyRunning = true;
  for (const step of steps) {
    if (step.kind === "deploy-rolling") return true;
    if (step.kind === "scale" && step.desiredCount > 0) possiblyRunning = true;
    if (step.kind === "wait-all-stopped") possiblyRunning = false;
    if (step.kind === "switch-task-definition" && possiblyRunning) return true;
  }
  return false;
}
