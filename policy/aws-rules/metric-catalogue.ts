/**
 * The CloudWatch metrics our alarms name, as AWS documents them: namespace, metric name, the
 * dimension sets the metric is published with and, where the page restricts them, the statistics
 * that mean something. CloudWatch treats each combination of dimensions as a metric of its own,
 * and PutMetricAlarm accepts any name: a misspelt metric, a dropped dimension or the wrong
 * namespace gives an alarm on a metric that never has data (with notBreaching it stays OK
 * forever), and `terraform plan` cannot tell. Only the metrics this stack uses are listed.
 *
 * Read from AWS's pages (DOCS in kit.ts; fetched from the awsdocs sources of those pages):
 * - ALB: the metric tables name each metric's namespace and statistics; the dimension section
 *   names LoadBalancer, TargetGroup and AvailabilityZone and groups them as "Per AppELB",
 *   "Per AppELB, per TG", "Per AppELB, per AZ", "Per AppELB, per AZ, per TG". Which grouping a
 *   metric is published in is not stated per metric in the fetched copy: load balancer metrics
 *   take the load balancer groupings, target metrics the target group groupings; confirmed for
 *   UnHealthyHostCount by the page's own CLI example (LoadBalancer + TargetGroup).
 * - ECS: CPUUtilization and MemoryUtilization, valid dimensions ClusterName (cluster) and
 *   ClusterName + ServiceName (service), valid statistics listed.
 * - Container Insights: RunningTaskCount with ServiceName, ClusterName.
 * - RDS: the four instance metrics in AWS/RDS; any one dimension of the dimensions page.
 * - ACM: DaysToExpiry with CertificateArn.
 */
import { CLUSTER_METRIC } from "../../modules/service/cluster-metrics";

export interface DocumentedMetric {
  /** The dimension sets (by name) the metric is published with: an alarm names exactly one. */
  readonly dimensionSets: readonly (readonly string[])[];
  /** Where the page restricts them: the only statistics with a meaningful value. */
  readonly statistics?: readonly string[];
}

const LOAD_BALANCER = [["LoadBalancer"], ["AvailabilityZone", "LoadBalancer"]] as const;
const TARGET_GROUP = [["LoadBalancer", "TargetGroup"], ["AvailabilityZone", "LoadBalancer", "TargetGroup"]] as const;
/** HTTPCode_* counts: "Minimum, Maximum, and Average all return 1". */
const COUNT_ONLY_SUM = ["Sum"] as const;
/** AWS/ECS: "Valid statistics: Average, Minimum, Maximum, Sum, Sample Count". */
const ECS_STATISTICS = ["Average", "Minimum", "Maximum", "Sum", "SampleCount"] as const;
const ECS_SERVICE = [["ClusterName"], ["ClusterName", "ServiceName"]] as const;
/** "You can filter Amazon RDS metrics data by using any dimension in the following table". */
const RDS_INSTANCE = [["DBInstanceIdentifier"], ["DatabaseClass"], ["EngineName"], ["SourceRegion"]] as const;

export const METRIC_CATALOGUE: Readonly<Record<string, Readonly<Record<string, DocumentedMetric>>>> = {
  "AWS/ApplicationELB": {
    HTTPCode_ELB_5XX_Count: { dimensionSets: LOAD_BALANCER, statistics: COUNT_ONLY_SUM },
    HTTPCode_Target_5XX_Count: { dimensionSets: TARGET_GROUP, statistics: COUNT_ONLY_SUM },
    UnHealthyHostCount: { dimensionSets: TARGET_GROUP },
    HealthyHostCount: { dimensionSets: TARGET_GROUP },
    TargetResponseTime: { dimensionSets: TARGET_GROUP },
    // "You must specify the target group using the TargetGroup dimension"; "The only valid
    // statistic is Sum". TargetGroup alone (what target tracking's ALBRequestCountPerTarget
    // uses) is UNCONFIRMED by the fetched page, which gives no per-metric dimension sets.
    RequestCountPerTarget: { dimensionSets: [["TargetGroup"], ...TARGET_GROUP], statistics: ["Sum"] },
  },
  "AWS/ECS": {
    CPUUtilization: { dimensionSets: ECS_SERVICE, statistics: ECS_STATISTICS },
    MemoryUtilization: { dimensionSets: ECS_SERVICE, statistics: ECS_STATISTICS },
  },
  "ECS/ContainerInsights": {
    RunningTaskCount: { dimensionSets: [["ClusterName", "ServiceName"]] },
  },
  "AWS/RDS": {
    CPUUtilization: { dimensionSets: RDS_INSTANCE },
    FreeStorageSpace: { dimensionSets: RDS_INSTANCE },
    FreeableMemory: { dimensionSets: RDS_INSTANCE },
    DatabaseConnections: { dimensionSets: RDS_INSTANCE },
  },
  "AWS/CertificateManager": {
    DaysToExpiry: { dimensionSets: [["CertificateArn"]] },
  },
  // Ours: what the cluster-metrics sidecar publishes (cluster-metrics.ts).
  [CLUSTER_METRIC.namespace]: {
    [CLUSTER_METRIC.metricName]: { dimensionSets: [CLUSTER_METRIC.dimensionNames] },
  },
};

/** One metric as an alarm (or a metric_query's metric) names it. */
export interface NamedMetric {
  readonly namespace: unknown;
  readonly metricName: unknown;
  readonly dimensions: unknown;
  readonly statistic: unknown;
}

const setKey = (names: readonly string[]) => [...names].sort().join(",");

/** What is wrong with `m` against the catalogue, or undefined. */
export function metricProblem(m: NamedMetric): string | undefined {
  const metrics = METRIC_CATALOGUE[String(m.namespace)];
  if (!metrics) return `namespace ${String(m.namespace)} is not documented`;
  const entry = Object.hasOwn(metrics, String(m.metricName)) ? metrics[String(m.metricName)] : undefined;
  if (!entry) return `${String(m.namespace)} has no metric ${String(m.metricName)}`;
  const given = setKey(Object.keys((m.dimensions as Record<string, unknown> | undefined) ?? {}));
  if (!entry.dimensionSets.some((set) => setKey(set) === given)) {
    return `${String(m.metricName)} is not published with dimensions [${given}] (documented: ${entry.dimensionSets.map((s) => `[${setKey(s)}]`).join(" ")})`;
  }
  return entry.statistics && !entry.statistics.includes(String(m.statistic)) ? `${String(m.metricName)} with statistic ${String(m.statistic)} (documented: ${entry.statistics.join(", ")})` : undefined;
}
