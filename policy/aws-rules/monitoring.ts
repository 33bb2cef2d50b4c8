/** Alarm delivery (SNS, KMS), CloudWatch alarms and dashboards, log retention, secrets' deletion. */
import { change, DOCS, each, forEach, isRef, REMOVED, type AwsRule, type Res } from "./kit";
import { LOG_RETENTION_DAYS } from "../../modules/config/values";
import { CLUSTER_METRIC } from "../../modules/service/cluster-metrics";
import { metricProblem, type NamedMetric } from "./metric-catalogue";
import type { TerraformJson } from "../../modules/synth";

interface KeyStatement { Effect: string; Principal?: { Service?: string | string[] }; Action: string | string[] }

/** Topics that alarms notify. */
const alarmTopics = (json: TerraformJson) =>
  each(json, "aws_sns_topic").filter(([resource]) =>
    each(json, "aws_cloudwatch_metric_alarm").some(([, a]) => [a.alarm_actions, a.ok_actions].flat().includes(`\${${resource}.arn}`)),
  );

const queries = (a: Res) => (a.metric_query as Res[] | undefined) ?? [];
/** Every metric an alarm names: its own, or each of its metric_query's metrics. */
const metricsOf = (a: Res): NamedMetric[] => [
  ...(a.metric_name !== undefined ? [{ namespace: a.namespace, metricName: a.metric_name, dimensions: a.dimensions, statistic: a.statistic ?? a.extended_statistic }] : []),
  ...queries(a).flatMap((q) => {
    const m = q.metric as Res | undefined;
    return m ? [{ namespace: m.namespace, metricName: m.metric_name, dimensions: m.dimensions, statistic: m.stat }] : [];
  }),
];
const watches = (metricName: string) => (r: Res) => metricsOf(r).some((m) => m.metricName === metricName);
const periods = (a: Res) => (a.period !== undefined ? [Number(a.period)] : queries(a).flatMap((q) => (q.metric ? [Number((q.metric as Res).period)] : [])));

export const MONITORING_RULES: readonly AwsRule[] = [
  {
    id: "sns-alarm-topic-key",
    resource: "aws_sns_topic.kms_master_key_id of a topic alarms notify, aws_kms_key.policy",
    rule: "CloudWatch alarms publish to an encrypted topic only under a customer managed key whose policy lets cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*; with alias/aws/sns every alarm action fails silently",
    source: DOCS.snsKeys,
    adjustable: false,
    check: (json) =>
      alarmTopics(json).flatMap(([resource, topic]) => {
        const key = topic.kms_master_key_id;
        if (key === undefined) return [];
        const found = each(json, "aws_kms_key").find(([k]) => key === `\${${k}.arn}` || key === `\${${k}.id}` || key === `\${${k}.key_id}`);
        if (!found) return [{ resource, message: `key ${String(key)} is not a customer managed key of this stack: CloudWatch cannot use it` }];
        const grants = (JSON.parse(String(found[1].policy)) as { Statement: KeyStatement[] }).Statement.filter(
          (s) => s.Effect === "Allow" && [s.Principal?.Service].flat().includes("cloudwatch.amazonaws.com"),
        ).flatMap((s) => [s.Action].flat());
        const missing = ["kms:Decrypt", "kms:GenerateDataKey*"].filter((a) => !grants.includes(a) && !grants.includes("kms:*"));
        return missing.length > 0 ? [{ resource: found[0], message: `cloudwatch.amazonaws.com lacks ${missing.join(", ")}` }] : [];
      }),
    bad: [
      change("aws_sns_topic", ["kms_master_key_id"], "alias/aws/sns", "the AWS managed SNS key"),
      change("aws_kms_key", ["policy", "Statement", 1, "Action"], ["kms:Decrypt"], "no GenerateDataKey* for CloudWatch"),
      change("aws_kms_key", ["policy", "Statement", 1, "Principal", "Service"], "sns.amazonaws.com", "the grant to SNS instead of CloudWatch"),
    ],
  },
  {
    id: "cloudwatch-alarm-period",
    resource: "aws_cloudwatch_metric_alarm.period, metric_query.metric.period",
    rule: "10, 20, 30 or a multiple of 60 seconds, at most 86400",
    source: `${DOCS.cwAlarm}; ${DOCS.cwQuotas}`,
    adjustable: false,
    check: forEach("aws_cloudwatch_metric_alarm", (a) => {
      const bad = periods(a).find((p) => !([10, 20, 30].includes(p) || (p % 60 === 0 && p > 0 && p <= 86_400)));
      return bad !== undefined && `period ${bad}`;
    }),
    bad: [change("aws_cloudwatch_metric_alarm", ["period"], 90, "90 s"), change("aws_cloudwatch_metric_alarm", ["period"], 172_800, "two days", { pick: (r) => r.period !== undefined })],
  },
  {
    id: "cloudwatch-alarm-evaluation",
    resource: "aws_cloudwatch_metric_alarm.evaluation_periods, datapoints_to_alarm",
    rule: "period x evaluation periods at most 86400 s for periods under an hour, 604800 s otherwise; datapoints_to_alarm at most evaluation_periods",
    source: `${DOCS.cwAlarm}; ${DOCS.cwAlarmsGuide}`,
    adjustable: false,
    check: forEach("aws_cloudwatch_metric_alarm", (a) => {
      const n = Number(a.evaluation_periods);
      const long = periods(a).find((p) => p * n > (p < 3600 ? 86_400 : 604_800));
      if (long !== undefined) return `${n} periods of ${long} s`;
      return a.datapoints_to_alarm !== undefined && Number(a.datapoints_to_alarm) > n && `${String(a.datapoints_to_alarm)} of ${n} datapoints`;
    }),
    bad: [
      change("aws_cloudwatch_metric_alarm", ["evaluation_periods"], 1441, "1441 one-minute periods", { pick: (r) => r.period === 60 }),
      change("aws_cloudwatch_metric_alarm", ["datapoints_to_alarm"], 16, "16 of 15 datapoints", { pick: (r) => r.datapoints_to_alarm !== undefined }),
    ],
  },
  {
    id: "cloudwatch-alarm-fields",
    resource: "aws_cloudwatch_metric_alarm",
    rule: "at most 5 actions per state; description at most 1024 characters; treat_missing_data one of breaching, notBreaching, ignore, missing",
    source: `${DOCS.cwAlarm}; ${DOCS.cwQuotas}`,
    adjustable: false,
    check: forEach("aws_cloudwatch_metric_alarm", (a) => {
      const lists = ["alarm_actions", "ok_actions", "insufficient_data_actions"].find((k) => ((a[k] as unknown[] | undefined) ?? []).length > 5);
      if (lists) return `more than 5 ${lists}`;
      if (String(a.alarm_description ?? "").length > 1024) return "description over 1024 characters";
      return a.treat_missing_data !== undefined && !["breaching", "notBreaching", "ignore", "missing"].includes(String(a.treat_missing_data)) && `treat_missing_data ${String(a.treat_missing_data)}`;
    }),
    bad: [
      change("aws_cloudwatch_metric_alarm", ["alarm_actions"], ["a", "b", "c", "d", "e", "f"], "6 alarm actions"),
      change("aws_cloudwatch_metric_alarm", ["alarm_description"], "x".repeat(1025), "1025-character description"),
      change("aws_cloudwatch_metric_alarm", ["treat_missing_data"], "notbreaching", "notbreaching in lowercase"),
    ],
  },
  {
    id: "cloudwatch-alarm-metric-math",
    resource: "aws_cloudwatch_metric_alarm.metric_query",
    rule: "exactly one query returns data; each query an expression or a metric, not both; at most 10 metrics, all with the same period; ids start with a lowercase letter, then letters, digits, _",
    source: `${DOCS.cwAlarm}; ${DOCS.cwMetricQuery}`,
    adjustable: false,
    check: forEach("aws_cloudwatch_metric_alarm", (a) => {
      const q = queries(a);
      if (q.length === 0) return undefined;
      if (q.filter((x) => x.return_data === true).length !== 1) return "not exactly one query returns data";
      if (q.some((x) => (x.expression === undefined) === (x.metric === undefined))) return "a query with both or neither of expression and metric";
      if (q.some((x) => !/^[a-z][A-Za-z0-9_]{0,254}$/.test(String(x.id)))) return "an id that does not start with a lowercase letter";
      const p = periods(a);
      return (p.length > 10 ? `${p.length} metrics` : new Set(p).size > 1) && "metrics with different periods";
    }),
    bad: [
      change("aws_cloudwatch_metric_alarm", ["metric_query", 0, "return_data"], true, "two queries return data", { pick: (r) => queries(r).length > 0 && queries(r)[0].return_data !== true }),
      change("aws_cloudwatch_metric_alarm", ["metric_query", 0, "id"], "Cpu", "an id starting with a capital", { pick: (r) => queries(r).length > 0 }),
      change("aws_cloudwatch_metric_alarm", ["metric_query", 0, "metric", "period"], 300, "metrics of 300 and 60 s", { pick: (r) => queries(r).filter((x) => x.metric).length > 1 }),
    ],
  },
  {
    id: "cloudwatch-alarm-metric-documented",
    resource: "aws_cloudwatch_metric_alarm.namespace, metric_name, dimensions, statistic (and each metric_query.metric)",
    rule: "every metric an alarm names exists as documented: its namespace, its metric name, exactly one of its documented dimension sets (by name) and, where the page restricts them, a meaningful statistic; any other metric never has data, so the alarm never fires (policy/aws-rules/metric-catalogue.ts)",
    source: `${DOCS.cwAlbMetrics}; ${DOCS.cwEcsMetrics}; ${DOCS.cwContainerInsightsEcs}; ${DOCS.cwRdsMetrics}; ${DOCS.cwRdsDimensions}; ${DOCS.cwAcmMetrics}`,
    adjustable: false,
    check: forEach("aws_cloudwatch_metric_alarm", (a) => metricsOf(a).map(metricProblem).find((p) => p !== undefined)),
    bad: [
      change("aws_cloudwatch_metric_alarm", ["metric_name"], "HealthyHostsCount", "a misspelt metric name", { pick: watches("HealthyHostCount") }),
      change("aws_cloudwatch_metric_alarm", ["dimensions", "TargetGroup"], REMOVED, "the TargetGroup dimension dropped", { pick: watches("UnHealthyHostCount") }),
      change("aws_cloudwatch_metric_alarm", ["namespace"], "AWS/ECS", "RunningTaskCount under AWS/ECS, not ECS/ContainerInsights", { pick: (r) => r.metric_name === "RunningTaskCount" }),
      change("aws_cloudwatch_metric_alarm", ["statistic"], "Average", "an averaged 5xx count (always 1)", { pick: watches("HTTPCode_ELB_5XX_Count") }),
      change("aws_cloudwatch_metric_alarm", ["metric_query", 2, "metric", "dimensions"], { ClusterName: "k" }, "the cluster members without the ServiceName dimension", { pick: watches(CLUSTER_METRIC.metricName) }),
    ],
  },
  {
    id: "cloudwatch-dashboard-body",
    resource: "aws_cloudwatch_dashboard.dashboard_body",
    rule: "JSON with a widgets array of at most 500 widgets",
    source: DOCS.cwDashboardBody,
    adjustable: false,
    check: forEach("aws_cloudwatch_dashboard", (d) => {
      let body: { widgets?: unknown };
      try {
        body = JSON.parse(String(d.dashboard_body));
      } catch {
        return "the body is no JSON";
      }
      return !Array.isArray(body.widgets) ? "no widgets array" : body.widgets.length > 500 && `${body.widgets.length} widgets`;
    }),
    bad: [change("aws_cloudwatch_dashboard", ["dashboard_body", "widgets"], Array.from({ length: 501 }, () => ({ type: "text", properties: { markdown: "x" } })), "501 widgets")],
  },
  {
    id: "logs-retention",
    resource: "aws_cloudwatch_log_group.retention_in_days",
    rule: `one of ${LOG_RETENTION_DAYS.join(", ")} days (every group of ours has one: nothing is kept forever by accident)`,
    source: DOCS.logsRetention,
    adjustable: false,
    check: forEach("aws_cloudwatch_log_group", (g) => !(LOG_RETENTION_DAYS as readonly number[]).includes(Number(g.retention_in_days)) && `retention ${String(g.retention_in_days)}`),
    bad: [change("aws_cloudwatch_log_group", ["retention_in_days"], 45, "45 days")],
  },
  {
    id: "secretsmanager-recovery-window",
    resource: "aws_secretsmanager_secret.recovery_window_in_days",
    rule: "7 to 30 days, or 0 (Terraform: delete without recovery)",
    source: DOCS.smDelete,
    adjustable: false,
    check: forEach("aws_secretsmanager_secret", (s) => {
      const days = s.recovery_window_in_days;
      return days !== undefined && !isRef(days) && Number(days) !== 0 && (Number(days) < 7 || Number(days) > 30) && `recovery window ${String(days)}`;
    }),
    bad: [change("aws_secretsmanager_secret", ["recovery_window_in_days"], 3, "3 days")],
  },
];
