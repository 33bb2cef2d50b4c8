/**
 * What the stack watches, as data: each alarm's metric, statistic, threshold and what an
 * operator should do about it. The alarms and the dashboard are both generated from this list,
 * so what is on the dashboard is exactly what pages someone.
 */

import { CLUSTER_METRIC, SIDECAR_NAME } from "../service/cluster-metrics";
import { taskCpuAlarmPercent } from "../service/capacity-figures";
import { PORTS } from "../shared/constants";
import { constant } from "../shared/constant";

export type Comparison = "GreaterThanOrEqualToThreshold" | "LessThanThreshold";

/** One CloudWatch metric and how it is aggregated over the period. */
export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** A CloudWatch statistic or a percentile such as `p99`. */
  readonly statistic: "Sum" | "Average" | "Minimum" | "Maximum" | "p99";
}

interface AlarmBase {
  /** Short id, unique in the stack: the alarm is `<prefix>-<id>`. */
  readonly id: string;
  /** What it watches and what to check first. */
  readonly description: string;
  readonly periodSeconds: number;
  /** Consecutive periods that must breach. */
  readonly evaluationPeriods: number;
  readonly comparison: Comparison;
  readonly threshold: number;
  /** A missing data point on a "too few" alarm means nothing reported: that is the problem itself. */
  readonly missingData: "notBreaching" | "breaching";
}

/** An alarm on one metric. */
export interface MetricAlarmDefinition extends AlarmBase, MetricSpec {}

/** An alarm on a metric-math expression over named metrics (ids: lower-case letters). */
export interface MathAlarmDefinition extends AlarmBase {
  readonly expression: string;
  /** What the expression's value means, on the dashboard. */
  readonly label: string;
  readonly metrics: Readonly<Record<string, MetricSpec>>;
}

export type AlarmDefinition = MetricAlarmDefinition | MathAlarmDefinition;

export function isMathAlarm(d: AlarmDefinition): d is MathAlarmDefinition {
  return "expression" in d;
}

/** The resources the alarms watch, as the stack's own references. */
export interface WatchedResources {
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly dbInstanceIdentifier: string;
  readonly certificateArn: string;
}

export interface AlarmThresholds {
  /** Tasks the service should run: fewer healthy targets or running tasks alarm. */
  readonly desiredCount: number;
  /** ELB or target 5xx responses per minute. */
  readonly http5xxPerMinute: number;
  readonly responseTimeP99Seconds: number;
  /** Task memory, database CPU. */
  readonly utilizationPercent: number;
  /** The autoscaling CPU target: the task CPU alarm derives from it (capacity-figures.ts). */
  readonly cpuTargetPercent: number;
  readonly dbFreeStorageGb: number;
  readonly dbFreeMemoryMb: number;
  /** Database connections at or above this share of max_connections alarm. */
  readonly dbConnectionsPercent: number;
  /** The instance class's max_connections (database-capacity.ts). */
  readonly dbMaxConnections: number;
  /** Days before the certificate expires. */
  readonly certificateDays: number;
  /** Minutes in a row with fewer cluster members than running tasks before the split alarm fires. */
  readonly clusterSplitMinutes: number;
  /** The service's health check grace period: how long a new task may take to become healthy. */
  readonly taskStartSeconds: number;
}

const MINUTE = 60;
const DAY = 86_400;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Alarms on the task count: they start once autoscaling holds the count (see Monitoring). */
export const COUNT_ALARMS = constant(["healthy-below-desired", "running-below-desired"]);

export function alarmDefinitions(r: WatchedResources, t: AlarmThresholds): AlarmDefinition[] {
  const alb = { LoadBalancer: r.loadBalancerArnSuffix };
  const targets = { LoadBalancer: r.loadBalancerArnSuffix, TargetGroup: r.targetGroupArnSuffix };
  const service = { ClusterName: r.clusterName, ServiceName: r.serviceName };
  const db = { DBInstanceIdentifier: r.dbInstanceIdentifier };
  const often = constant({ periodSeconds: MINUTE, evaluationPeriods: 5 });
  const sustained = constant({ periodSeconds: 5 * MINUTE, evaluationPeriods: 2 });
  // A task ECS (or autoscaling) starts has the grace period, plus a minute for its image pull, to
  // become healthy: only a count still short after that means the redundancy is really gone.
  const countWindow = constant({ periodSeconds: MINUTE, evaluationPeriods: Math.max(3, Math.ceil(t.taskStartSeconds / MINUTE) + 1) });
  return [
    {
      id: "alb-5xx",
      description: "The load balancer itself answers 5xx (no healthy target, target timeouts or resets): check the targets' health and the Keycloak logs.",
      namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: alb, statistic: "Sum", ...often,
      comparison: "GreaterThanOrEqualToThreshold", threshold: t.http5xxPerMinute, missingData: "notBreaching",
    },
    {
      id: "target-5xx",
      description: "Keycloak answers 5xx: look for exceptions in the Keycloak log group (database, cache, out of memory).",
      namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: targets, statistic: "Sum", ...often,
      comparison: "GreaterThanOrEqualToThreshold", threshold: t.http5xxPerMinute, missingData: "notBreaching",
    },
    {
      id: "unhealthy-targets",
      description: "A Keycloak task fails the ALB's readiness check on port 9000: see `aws elbv2 describe-target-health` and the task's log.",
      namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: targets, statistic: "Maximum",
      periodSeconds: MINUTE, evaluationPeriods: 3, comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missingData: "notBreaching",
    },
    {
      id: "healthy-below-desired",
      description: `Fewer than ${t.desiredCount} healthy Keycloak targets: the cluster runs without its redundancy.`,
      namespace: "AWS/ApplicationELB", metricName: "HealthyHostCount", dimensions: targets, statistic: "Minimum",
      ...countWindow, comparison: "LessThanThreshold", threshold: t.desiredCount, missingData: "breaching",
    },
    {
      id: "response-time-p99",
      description: `1 % of requests take longer than ${t.responseTimeP99Seconds} s: CPU, database or connection pool saturation.`,
      namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions: targets, statistic: "p99", ...sustained,
      comparison: "GreaterThanOrEqualToThreshold", threshold: t.responseTimeP99Seconds, missingData: "notBreaching",
    },
    {
      id: "running-below-desired",
      description: `ECS runs fewer than ${t.desiredCount} Keycloak tasks: see the service's events (\`aws ecs describe-services\`).`,
      namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: service, statistic: "Minimum",
      ...countWindow, comparison: "LessThanThreshold", threshold: t.desiredCount, missingData: "breaching",
    },
    {
      id: "cluster-split",
      description:
        "Some Keycloak task sees fewer cluster members than ECS runs tasks: the cluster is split (sessions and caches diverge) or a node cannot join. " +
        `Look for ISPN000094 views and JGroups errors in the Keycloak log group, and at the security group's ${PORTS.jgroups}/${PORTS.jgroupsFailureDetection} self-rules. ` +
        `No data means the ${SIDECAR_NAME} sidecar reports nothing: see its log group.`,
      // running - fewest members any task reports. A starting task counts as running before it
      // has joined, so a deploy or a scale-out shows 1 for a minute or two: hence several minutes.
      expression: "running - members",
      label: "running tasks minus the smallest cluster view",
      metrics: {
        running: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: service, statistic: "Minimum" },
        members: { namespace: CLUSTER_METRIC.namespace, metricName: CLUSTER_METRIC.metricName, dimensions: service, statistic: "Minimum" },
      },
      periodSeconds: MINUTE, evaluationPeriods: t.clusterSplitMinutes, comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missingData: "breaching",
    },
    {
      id: "task-cpu",
      description:
        `Keycloak tasks average over ${taskCpuAlarmPercent(t.cpuTargetPercent)} % CPU (half the headroom above the ${t.cpuTargetPercent} % scaling target gone) ` +
        "although autoscaling should add tasks: at maxCount, raise it or the task size (npm run capacity).",
      namespace: "AWS/ECS", metricName: "CPUUtilization", dimensions: service, statistic: "Average", ...sustained,
      comparison: "GreaterThanOrEqualToThreshold", threshold: taskCpuAlarmPercent(t.cpuTargetPercent), missingData: "notBreaching",
    },
    {
      id: "task-memory",
      description: `Keycloak tasks use over ${t.utilizationPercent} % of their memory: a task past 100 % is killed; raise taskMemory.`,
      namespace: "AWS/ECS", metricName: "MemoryUtilization", dimensions: service, statistic: "Maximum", ...sustained,
      comparison: "GreaterThanOrEqualToThreshold", threshold: t.utilizationPercent, missingData: "notBreaching",
    },
    {
      id: "db-cpu",
      description: `The database runs over ${t.utilizationPercent} % CPU: slow logins follow; consider a larger dbInstanceClass.`,
      namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: db, statistic: "Average", ...sustained,
      comparison: "GreaterThanOrEqualToThreshold", threshold: t.utilizationPercent, missingData: "notBreaching",
    },
    {
      id: "db-free-storage",
      description: `Less than ${t.dbFreeStorageGb} GB of database storage left (storage autoscaling stops at dbMaxAllocatedStorageGb).`,
      namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: db, statistic: "Minimum", ...sustained,
      comparison: "LessThanThreshold", threshold: t.dbFreeStorageGb * GIB, missingData: "notBreaching",
    },
    {
      id: "db-freeable-memory",
      description: `Less than ${t.dbFreeMemoryMb} MB of database memory free: the instance swaps; consider a larger dbInstanceClass.`,
      namespace: "AWS/RDS", metricName: "FreeableMemory", dimensions: db, statistic: "Minimum", ...sustained,
      comparison: "LessThanThreshold", threshold: t.dbFreeMemoryMb * MIB, missingData: "notBreaching",
    },
    {
      id: "db-connections",
      description: `Database connections reach ${t.dbConnectionsPercent} % of max_connections (${t.dbMaxConnections}): logins will fail with "Too many connections".`,
      namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: db, statistic: "Maximum", ...often,
      comparison: "GreaterThanOrEqualToThreshold", threshold: Math.floor((t.dbMaxConnections * t.dbConnectionsPercent) / 100), missingData: "notBreaching",
    },
    {
      id: "certificate-expiry",
      description: `The HTTPS certificate expires in less than ${t.certificateDays} days: a self-signed one is renewed by \`cdktf deploy\` now; an ACM one failed to renew (check its DNS validation record).`,
      namespace: "AWS/CertificateManager", metricName: "DaysToExpiry", dimensions: { CertificateArn: r.certificateArn }, statistic: "Minimum",
      periodSeconds: DAY, evaluationPeriods: 1, comparison: "LessThanThreshold", threshold: t.certificateDays, missingData: "notBreaching",
    },
  ];
}
