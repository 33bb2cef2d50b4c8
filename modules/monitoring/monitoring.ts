import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import {
  alarmDefinitions,
  isMathAlarm,
  type AlarmDefinition,
  type AlarmThresholds,
  type MathAlarmDefinition,
  type MetricAlarmDefinition,
  type WatchedResources,
} from "./alarm-definitions";

export interface MonitoringProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly resources: WatchedResources;
  readonly thresholds: AlarmThresholds;
  /** Addresses subscribed to the alarm topic (each confirms by mail). @default [] */
  readonly alarmEmails: readonly string[];
}

/** Dashboard grid: two widgets side by side. */
const WIDGET = { width: 12, height: 6 } as const;

function singleMetric(d: MetricAlarmDefinition) {
  const percentile = d.statistic.startsWith("p");
  return {
    namespace: d.namespace,
    metricName: d.metricName,
    dimensions: { ...d.dimensions },
    ...(percentile ? { extendedStatistic: d.statistic } : { statistic: d.statistic }),
    period: d.periodSeconds,
  };
}

/** The expression is the alarm's value; each named metric is a query the expression refers to. */
function mathQuery(d: MathAlarmDefinition) {
  return {
    metricQuery: [
      { id: "e", expression: d.expression, label: d.label, returnData: true },
      ...Object.entries(d.metrics).map(([id, m]) => ({
        id,
        returnData: false,
        metric: { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, stat: m.statistic, period: d.periodSeconds },
      })),
    ],
  };
}

/** The alarm topic, one CloudWatch alarm per definition, and a dashboard of exactly those alarms. */
export class Monitoring extends Construct {
  readonly topicArn: string;
  readonly dashboardName: string;
  readonly definitions: readonly AlarmDefinition[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const topic = new SnsTopic(this, "topic", {
      name: `${prefix}-alarms`,
      // Alarm texts name resources; the AWS-managed key encrypts them at rest at no cost.
      kmsMasterKeyId: "alias/aws/sns",
    });
    this.topicArn = topic.arn;
    props.alarmEmails.forEach((email, i) => {
      new SnsTopicSubscription(this, `email-${i}`, { topicArn: topic.arn, protocol: "email", endpoint: email });
    });

    this.definitions = alarmDefinitions(props.resources, props.thresholds);
    const alarms = this.definitions.map(
      (d) =>
        new CloudwatchMetricAlarm(this, d.id, {
          alarmName: `${prefix}-${d.id}`,
          alarmDescription: d.description,
          ...(isMathAlarm(d) ? mathQuery(d) : singleMetric(d)),
          evaluationPeriods: d.evaluationPeriods,
          comparisonOperator: d.comparison,
          threshold: d.threshold,
          treatMissingData: d.missingData,
          alarmActions: [topic.arn],
          okActions: [topic.arn],
        }),
    );

    const dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: `${prefix}-keycloak`,
      // Each widget shows an alarm's own metric and threshold: the dashboard cannot disagree with the alarms.
      dashboardBody: JSON.stringify({
        widgets: alarms.map((alarm, i) => ({
          type: "metric",
          x: (i % 2) * WIDGET.width,
          y: Math.floor(i / 2) * WIDGET.height,
          ...WIDGET,
          properties: { title: this.definitions[i].id, region: props.region, annotations: { alarms: [alarm.arn] }, view: "timeSeries" },
        })),
      }),
    });
    this.dashboardName = dashboard.dashboardName;
  }
}
