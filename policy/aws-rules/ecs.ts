/** ECS on Fargate and its autoscaling: sizes, container settings and deployment arithmetic AWS enforces. */
import { change, CONTAINER, DOCS, each, forEach, outside, sidecar, type AwsRule, type Res, type Violation } from "./kit";
import { containers } from "../rule-kit";
import type { TerraformJson } from "../../modules/synth";

/** Fargate's CPU and memory pairs (MiB), from the AWS page, not from the stack's own table. */
const FARGATE: Readonly<Record<string, (m: number) => boolean>> = {
  "256": (m) => [512, 1024, 2048].includes(m),
  "512": (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  "1024": (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  "2048": (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  "4096": (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  "8192": (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  "16384": (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

/** Violations for every container of every task definition. */
const perContainer = (bad: (c: Res, task: Res) => string | undefined) => (json: TerraformJson): Violation[] =>
  each(json, "aws_ecs_task_definition").flatMap(([resource, task]) =>
    containers(task, resource).flatMap((c) => {
      const message = bad(c, task);
      return message ? [{ resource, message: `container ${String(c.name)}: ${message}` }] : [];
    }),
  );

const HEALTH_RANGES = [
  ["interval", 5, 300],
  ["timeout", 2, 60],
  ["retries", 1, 10],
  ["startPeriod", 0, 300],
] as const;

const LOG_DRIVERS = ["awslogs", "splunk", "awsfirelens"];

export const ECS_RULES: readonly AwsRule[] = [
  {
    id: "fargate-cpu-memory",
    resource: "aws_ecs_task_definition.cpu, .memory",
    rule: "a pair Fargate runs: 256 with 512/1024/2048; 512 with 1-4 GB; 1024 with 2-8 GB; 2048 with 4-16 GB; 4096 with 8-30 GB (1 GB steps); 8192 with 16-60 GB in 4 GB steps; 16384 with 32-120 GB in 8 GB steps",
    source: `${DOCS.ecsRegister}; ${DOCS.fargateSizes}`,
    adjustable: false,
    check: forEach("aws_ecs_task_definition", (r) => {
      const fits = FARGATE[String(r.cpu)];
      return !fits ? `cpu ${String(r.cpu)} is no Fargate size` : !fits(Number(r.memory)) && `memory ${String(r.memory)} does not go with cpu ${String(r.cpu)}`;
    }),
    bad: [
      change("aws_ecs_task_definition", ["memory"], "4096", "256 CPU with 4 GB", { shape: "smallest task" }),
      change("aws_ecs_task_definition", ["cpu"], "3072", "a CPU value Fargate does not have"),
      change("aws_ecs_task_definition", ["memory"], "20480", "16 vCPU with 20 GB", { shape: "largest task" }),
    ],
  },
  {
    id: "ecs-platform-for-large-tasks",
    resource: "aws_ecs_service.platform_version",
    rule: "8 and 16 vCPU tasks need Linux platform version 1.4.0 or LATEST",
    source: DOCS.fargateSizes,
    adjustable: false,
    check: (json, shape) => {
      const large = each(json, "aws_ecs_task_definition").some(([, t]) => Number(t.cpu) >= 8192);
      return large ? forEach("aws_ecs_service", (s) => !["1.4.0", "LATEST", undefined].includes(s.platform_version as string) && `platform ${String(s.platform_version)} runs no 8 or 16 vCPU task`)(json, shape) : [];
    },
    bad: [change("aws_ecs_service", ["platform_version"], "1.3.0", "platform 1.3.0 with 16 vCPU", { shape: "largest task" })],
  },
  {
    id: "ecs-container-health-check",
    resource: "container definitions: healthCheck",
    rule: "interval 5-300 s, timeout 2-60 s, retries 1-10, startPeriod 0-300 s",
    source: DOCS.ecsHealthCheck,
    adjustable: false,
    check: perContainer((c) => {
      const h = c.healthCheck as Res | undefined;
      if (!h) return undefined;
      const broken = HEALTH_RANGES.find(([field, min, max]) => outside(h[field], min, max));
      return broken && `healthCheck.${broken[0]} ${String(h[broken[0]])} outside ${broken[1]}-${broken[2]}`;
    }),
    bad: HEALTH_RANGES.flatMap(([field, min, max]) => [
      change("aws_ecs_task_definition", [...CONTAINER, "healthCheck", field], max + 1, `healthCheck.${field} ${max + 1}`),
      ...(min > 0 ? [change("aws_ecs_task_definition", [...CONTAINER, "healthCheck", field], min - 1, `healthCheck.${field} ${min - 1}`)] : []),
    ]),
  },
  {
    id: "ecs-fargate-stop-timeout",
    resource: "container definitions: stopTimeout, startTimeout",
    rule: "on Fargate 2-120 s",
    source: DOCS.ecsContainer,
    adjustable: false,
    check: perContainer((c) => {
      const field = (["stopTimeout", "startTimeout"] as const).find((f) => outside(c[f], 2, 120));
      return field && `${field} ${String(c[field])} outside 2-120`;
    }),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "stopTimeout"], 121, "stopTimeout 121"),
      sidecar("startTimeout", 1, "a sidecar's startTimeout 1"),
    ],
  },
  {
    id: "ecs-container-memory",
    resource: "container definitions: memory, memoryReservation",
    rule: "a container's memory is at least 6 MiB; the containers' hard limits together stay below the task's memory",
    source: DOCS.ecsContainer,
    adjustable: false,
    check: (json, shape) => [
      ...perContainer((c) => (["memory", "memoryReservation"] as const).filter((f) => c[f] !== undefined && Number(c[f]) < 6).map((f) => `${f} ${String(c[f])} below 6 MiB`)[0])(json),
      ...forEach("aws_ecs_task_definition", (t, _s, resource) => {
        const sum = containers(t, resource).reduce((n, c) => n + Number(c.memory ?? 0), 0);
        return sum >= Number(t.memory) && `container memory limits add up to ${sum} of the task's ${String(t.memory)}`;
      })(json, shape),
    ],
    bad: [
      sidecar("memory", 4, "a sidecar with 4 MiB"),
      change("aws_ecs_task_definition", [...CONTAINER, "memory"], 4096, "the main container's limit above the task's memory"),
    ],
  },
  {
    id: "ecs-fargate-log-driver",
    resource: "container definitions: logConfiguration.logDriver",
    rule: "Fargate supports awslogs, splunk and awsfirelens",
    source: DOCS.ecsLogConfiguration,
    adjustable: false,
    check: perContainer((c) => {
      const driver = (c.logConfiguration as Res | undefined)?.logDriver;
      return driver !== undefined && !LOG_DRIVERS.includes(String(driver)) ? `log driver ${String(driver)} does not run on Fargate` : undefined;
    }),
    bad: [change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration", "logDriver"], "json-file", "json-file")],
  },
  {
    id: "ecs-essential-container",
    resource: "container definitions: essential",
    rule: "every task definition has at least one essential container",
    source: DOCS.ecsContainer,
    adjustable: false,
    check: forEach("aws_ecs_task_definition", (t, _s, resource) => !containers(t, resource).some((c) => c.essential !== false) && "no essential container"),
    bad: [change("aws_ecs_task_definition", [...CONTAINER, "essential"], false, "the only essential container made non-essential")],
  },
  {
    id: "ecs-awsvpc-limits",
    resource: "aws_ecs_service.network_configuration",
    rule: "at most 16 subnets and 5 security groups",
    source: DOCS.ecsAwsVpc,
    adjustable: false,
    check: forEach("aws_ecs_service", (s) => {
      const n = s.network_configuration as Res;
      const subnets = (n.subnets as unknown[]).length;
      const groups = (n.security_groups as unknown[]).length;
      return subnets > 16 ? `${subnets} subnets` : groups > 5 && `${groups} security groups`;
    }),
    bad: [change("aws_ecs_service", ["network_configuration", "security_groups"], ["a", "b", "c", "d", "e", "f"], "6 security groups")],
  },
  {
    id: "ecs-rolling-deploy-progresses",
    resource: "aws_ecs_service.deployment_maximum_percent, deployment_minimum_healthy_percent",
    rule: "with minimumHealthyPercent 100 a rolling deploy starts a task only if floor(desired x maximumPercent / 100) >= desired + 1 (derived from ECS's rounding: maximum rounds down, minimum up)",
    source: DOCS.ecsDeployment,
    adjustable: false,
    check: (json, shape) =>
      forEach("aws_ecs_service", (s) => {
        const max = Number(s.deployment_maximum_percent ?? 200);
        // Every count autoscaling may hold (the first boot's single task is a creation, not a deploy).
        const targets = each(json, "aws_appautoscaling_target").map(([, t]) => [Number(t.min_capacity), Number(t.max_capacity)]);
        const counts = targets.length === 0 ? [Number(s.desired_count)] : targets.flatMap(([min, max]) => Array.from({ length: max - min + 1 }, (_, i) => min + i));
        const stuck = counts.find((d) => Math.ceil((d * Number(s.deployment_minimum_healthy_percent ?? 100)) / 100) >= d && Math.floor((d * max) / 100) < d + 1);
        return stuck !== undefined && `at ${stuck} tasks a deploy cannot start a new task (maximumPercent ${max})`;
      })(json, shape),
    bad: [change("aws_ecs_service", ["deployment_maximum_percent"], 100, "maximumPercent 100")],
  },
  {
    id: "ecs-grace-period",
    resource: "aws_ecs_service.health_check_grace_period_seconds",
    rule: "0 to 2147483647 s",
    source: DOCS.ecsService,
    adjustable: false,
    check: forEach("aws_ecs_service", (s) => outside(s.health_check_grace_period_seconds, 0, 2_147_483_647) && "grace period out of range"),
    bad: [change("aws_ecs_service", ["health_check_grace_period_seconds"], -1, "negative grace period")],
  },
  {
    id: "aas-capacity",
    resource: "aws_appautoscaling_target.min_capacity, max_capacity",
    rule: "0 <= min_capacity <= max_capacity",
    source: DOCS.aasTarget,
    adjustable: false,
    check: forEach("aws_appautoscaling_target", (t) => (Number(t.min_capacity) < 0 || Number(t.min_capacity) > Number(t.max_capacity)) && `min ${String(t.min_capacity)} max ${String(t.max_capacity)}`),
    bad: [change("aws_appautoscaling_target", ["min_capacity"], 5, "min above max")],
  },
  {
    id: "aas-alb-resource-label",
    resource: "aws_appautoscaling_policy ALBRequestCountPerTarget resource_label",
    rule: "app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>: the load balancer's ARN suffix, a slash, the target group's ARN suffix",
    source: DOCS.aasPolicy,
    adjustable: false,
    check: forEach("aws_appautoscaling_policy", (p) => {
      const spec = ((p.target_tracking_scaling_policy_configuration as Res | undefined)?.predefined_metric_specification as Res | undefined) ?? {};
      if (spec.predefined_metric_type !== "ALBRequestCountPerTarget") return undefined;
      return !/^\$\{aws_lb\.[^}]+\.arn_suffix\}\/\$\{aws_lb_target_group\.[^}]+\.arn_suffix\}$/.test(String(spec.resource_label)) && `resource_label ${String(spec.resource_label)}`;
    }),
    bad: [
      change("aws_appautoscaling_policy", ["target_tracking_scaling_policy_configuration", "predefined_metric_specification", "resource_label"],
        (r: Res) => String(((r.target_tracking_scaling_policy_configuration as Res).predefined_metric_specification as Res).resource_label).split("/").reverse().join("/"),
        "target group first", { pick: (_r, name) => name.includes("requests") }),
    ],
  },
];
