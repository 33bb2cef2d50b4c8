import { PORTS } from "../shared/constants";
import { constant } from "../shared/constant";

/**
 * The Keycloak cluster's size as a CloudWatch metric, for the cluster-split alarm (fewer cluster
 * members than running tasks).
 *
 * Why this mechanism: Keycloak (metrics-enabled, a build option in docker/keycloak-build.env)
 * exposes Infinispan's `vendor_cluster_size{cache_manager="keycloak"}` on the management port's
 * /metrics: the number of members in the view the node is in now, a gauge. A small sidecar in each
 * task (the Keycloak image itself; bash only, over /dev/tcp) reads it once a minute over the
 * task's loopback and prints it as one CloudWatch embedded-metric-format (EMF) JSON line. The
 * awslogs driver ships that line with PutLogEvents, and CloudWatch Logs turns EMF lines into
 * metrics on ingestion (the `x-amzn-logs-format` header is optional). So: no new server, no task
 * role (the container still holds no AWS credentials), no image from outside ECR (egress mode
 * `endpoints` keeps working), and only the execution role's existing log permissions, extended to
 * one more log group.
 *
 * Rejected: a CloudWatch Logs metric filter on the ISPN000094 "Received new cluster view" line.
 * The view size sits inside the message text (`... [node|3] (2) [a, b]`); a JSON filter can only
 * take a metric value from a numeric JSON field, and a space-delimited filter would need a fixed
 * word position in a message whose member list varies. Worse, a view line is an event, written
 * once per change: a cluster that split an hour ago prints nothing any more, so the alarm would
 * see no data exactly while the split lasts. The CloudWatch agent as a sidecar would scrape the
 * same gauge, but it needs a task role with log-write rights (credentials in every container of
 * the task) and its image comes from the public ECR registry, which has no VPC endpoint.
 */

/** Where the sidecar publishes; the alarm (alarm-definitions.ts) reads exactly this. */
export const CLUSTER_METRIC = constant({
  namespace: "Keycloak",
  metricName: "ClusterMembers",
  /** The same dimension names as Container Insights' RunningTaskCount, which the alarm compares with. */
  dimensionNames: ["ClusterName", "ServiceName"],
});

/** What the sidecar reads from Keycloak's /metrics: Infinispan's view size of Keycloak's cache manager. */
export const PROMETHEUS_SERIES = constant({ name: "vendor_cluster_size", label: 'cache_manager="keycloak"' });

/** One scrape a minute: the alarm's period. */
export const SCRAPE_INTERVAL_SECONDS = 60;

export const SIDECAR_NAME = "cluster-metrics";

/**
 * JSON string literal content for a value the stack controls (names of the cluster and service),
 * also safe as printf format text: nothing to escape, no `%`.
 */
function jsonText(value: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`'${value}' is not a plain ECS name`);
  return value;
}

/** Seconds the sidecar waits for each line of Keycloak's answer before giving up on that scrape. */
export const SCRAPE_READ_TIMEOUT_SECONDS = 10;

/**
 * The sidecar's bash program. It prints one EMF line per scrape to stdout, and a reason to stderr
 * when the series is missing (Keycloak starting, metrics off, not answering); it never exits on
 * its own.
 *
 * Bash only: the Keycloak image has no HTTP client (no curl, wget or nc: modules/image/base-image.ts
 * lists what it has). The request goes over bash's /dev/tcp, as the container health check's does,
 * and `read -t` bounds each wait: a frozen JVM still completes the TCP handshake (the kernel
 * accepts into its backlog) but never answers. The connect itself needs no bound on loopback: a
 * closed port refuses at once. HTTP/1.0, so Keycloak closes the connection after its answer and
 * never chunks the body. The only program it starts is `sleep`.
 */
export function clusterMetricsScript(dimensions: { clusterName: string; serviceName: string }): string {
  const [clusterKey, serviceKey] = CLUSTER_METRIC.dimensionNames;
  const declaration = JSON.stringify({
    Namespace: CLUSTER_METRIC.namespace,
    Dimensions: [[clusterKey, serviceKey]],
    Metrics: [{ Name: CLUSTER_METRIC.metricName, Unit: "Count" }],
  });
  const fixed = `"${clusterKey}":"${jsonText(dimensions.clusterName)}","${serviceKey}":"${jsonText(dimensions.serviceName)}"`;
  return [
    "set -u",
    // Reads the answer on fd 3: a 200 status line, then the series' line; prints its value.
    "scrape() {",
    "  local status line rest value",
    "  printf 'GET /metrics HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 || return 1",
    `  IFS= read -r -t ${SCRAPE_READ_TIMEOUT_SECONDS} status <&3 || return 1`,
    "  [[ $status == 'HTTP/1.'?' 200 '* ]] || return 1",
    `  while IFS= read -r -t ${SCRAPE_READ_TIMEOUT_SECONDS} line <&3; do`,
    "    case $line in",
    // The value follows the label set's closing brace; split with read, not \${...}: Terraform
    // would take that for an interpolation inside the task definition. No here-strings: older
    // bash writes them to /tmp, which is read-only in this container.
    `      '${PROMETHEUS_SERIES.name}{'*'${PROMETHEUS_SERIES.label}'*'} '*) IFS='}' read -r _ rest < <(printf '%s\\n' "$line"); read -r value _ < <(printf '%s\\n' "$rest"); printf '%s' "$value"; return 0 ;;`,
    "    esac",
    "  done",
    "  return 1",
    "}",
    "while :; do",
    // stderr first: a refused connect's message goes nowhere, the reason below says it instead.
    `  size=$(scrape 2>/dev/null 3<>/dev/tcp/127.0.0.1/${PORTS.management})`,
    `  if [[ $size =~ ^[0-9]+(\\.[0-9]+)?$ ]]; then`,
    `    printf '{"_aws":{"Timestamp":%s000,"CloudWatchMetrics":[%s]},${fixed},"${CLUSTER_METRIC.metricName}":%s}\\n' "$(printf '%(%s)T' -1)" '${declaration}' "$size"`,
    "  else",
    `    echo "${SIDECAR_NAME}: no ${PROMETHEUS_SERIES.name}{${PROMETHEUS_SERIES.label.replace(/"/g, '\\"')}} on :${PORTS.management}/metrics yet" >&2`,
    "  fi",
    `  sleep ${SCRAPE_INTERVAL_SECONDS}`,
    "done",
  ].join("\n");
}
