import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UpgradeStep } from "../modules/service/upgrade";

/** The ECS side of an upgrade: which service, and the AWS CLI calls each step of a plan makes. */

export interface EcsService {
  cluster: string;
  service: string;
  /** What the service should run when the upgrade is done (the autoscaling minimum). */
  desiredCount: number;
}

/** The Keycloak container's non-secret environment and the service, read from a synthesized stack. */
export interface SynthesizedService extends EcsService {
  environment: Record<string, string>;
}

type TerraformJson = { resource?: Record<string, Record<string, Record<string, unknown>>> };

function only(json: TerraformJson, type: string, stack: string): Record<string, unknown> {
  const found = Object.values(json.resource?.[type] ?? {});
  if (found.length !== 1) throw new Error(`${stack}: expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Reads `cdktf.out/stacks/<stack>/cdk.tf.json` (run `npx cdktf synth` first). */
export function synthesizedService(outDir: string, stack: string): SynthesizedService {
  const file = join(outDir, "stacks", stack, "cdk.tf.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as TerraformJson;
  const task = only(json, "aws_ecs_task_definition", stack);
  const [container] = JSON.parse(task.container_definitions as string) as { environment?: { name: string; value: string }[] }[];
  return {
    cluster: String(only(json, "aws_ecs_cluster", stack).name),
    service: String(only(json, "aws_ecs_service", stack).name),
    // Not the service's desired_count: that is the first boot's one task; autoscaling keeps the minimum.
    desiredCount: Number(only(json, "aws_appautoscaling_target", stack).min_capacity),
    environment: Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value])),
  };
}

/**
 * One AWS CLI call, or a wait the executor polls: `no-tasks-left` lists the service's tasks of
 * both desired states and describes them until none is in any state but STOPPED (a task that
 * drains or stops still runs Keycloak).
 */
export type EcsCommand = { argv: string[] } | { poll: "no-tasks-left"; cluster: string; service: string };

const SUSPENDED = (on: boolean) => `DynamicScalingInSuspended=${on},DynamicScalingOutSuspended=${on},ScheduledScalingSuspended=${on}`;

/**
 * The AWS CLI calls of one step. `switch-task-definition` and `deploy-rolling` are `cdktf deploy`
 * (it builds the image and registers the task definition Terraform tracks), so they map to no
 * AWS call here: the operator runs the deploy between the tool's `stop` and `start` phases.
 */
export function ecsCommands(step: UpgradeStep, target: EcsService): EcsCommand[] {
  const service = ["--cluster", target.cluster, "--service", target.service];
  const scalable = [
    "--service-namespace", "ecs",
    "--scalable-dimension", "ecs:service:DesiredCount",
    "--resource-id", `service/${target.cluster}/${target.service}`,
  ];
  switch (step.kind) {
    case "suspend-autoscaling":
    case "resume-autoscaling":
      return [{ argv: ["aws", "application-autoscaling", "register-scalable-target", ...scalable, "--suspended-state", SUSPENDED(step.kind === "suspend-autoscaling")] }];
    case "scale":
      return [{ argv: ["aws", "ecs", "update-service", ...service, "--desired-count", String(step.desiredCount)] }];
    case "wait-all-stopped":
      return [{ poll: "no-tasks-left", cluster: target.cluster, service: target.service }];
    case "wait-stable":
      return [{ argv: ["aws", "ecs", "wait", "services-stable", "--cluster", target.cluster, "--services", target.service] }];
    case "switch-task-definition":
    case "deploy-rolling":
      return [];
  }
}

/** The phases of a plan around `cdktf deploy`: what runs before it and what after it. */
export function splitAroundDeploy(steps: UpgradeStep[]): { before: UpgradeStep[]; after: UpgradeStep[] } {
  const at = steps.findIndex((s) => s.kind === "switch-task-definition" || s.kind === "deploy-rolling");
  if (at < 0) throw new Error("the plan has no deploy step");
  return { before: steps.slice(0, at), after: steps.slice(at + 1) };
}
