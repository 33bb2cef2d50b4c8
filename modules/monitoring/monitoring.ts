import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Fn, TerraformLocal, type ITerraformDependable } from "cdktf";
import {
  alarmDefinitions,
  COUNT_ALARMS,
  isMathAlarm,
  type AlarmDefinition,
  type AlarmThresholds,
  type MathAlarmDefinition,
  type MetricAlarmDefinition,
  type WatchedResources,
} from "./alarm-definitions";
import { IAM_POLICY_VERSION } from "../access/iam";

export interface MonitoringProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly resources: WatchedResources;
  readonly thresholds: AlarmThresholds;
  /** Addresses subscribed to the alarm topic (each confirms by mail). @default [] */
  readonly alarmEmails: readonly string[];
  /**
   * Any ARN of this stack's account (the VPC's): the key policy takes the account and partition
   * from it. aws_caller_identity would cost an STS call at every plan and break offline plans.
   */
  readonly accountResourceArn: string;
  /**
   * What holds the service at its desired count (the autoscaling target). The first deploy runs one
   * task until it exists, so the count alarms are created after it. @default []
   */
  readonly countHeldBy?: readonly ITerraformDependable[];
}

/**
 * Key policy of the alarm topic's key. CloudWatch cannot publish to a topic encrypted with the
 * AWS-managed `alias/aws/sns` (its policy cannot be changed to let cloudwatch.amazonaws.com in),
 * so alarm actions would fail silently; our own key lets CloudWatch use it for this account only.
 */
export function alarmKeyPolicy(partition: string, accountId: string): string {
  return JSON.stringify({
    Version: IAM_POLICY_VERSION,
    Statement: [
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublishToTheTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
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
/** The name of alarm `id` (alarm-definitions.ts) of the stack whose names start with `namePrefix`. */
export const alarmName = (namePrefix: string, id: string) => `${namePrefix}-${id}`;

export class Monitoring extends Construct {
  readonly topicArn: string;
  readonly dashboardName: string;
  readonly definitions: readonly AlarmDefinition[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    // arn:<partition>:ec2:<region>:<account>:vpc/<id>; locals keep the policy text plain JSON.
    const arnPart = (i: number) => new TerraformLocal(this, `key-policy-arn-part-${i}`, Fn.element(Fn.split(":", props.accountResourceArn), i)).asString;
    const key = new KmsKey(this, "topic-key", {
      description: `${prefix}: encrypts the alarm topic; CloudWatch alarms may use it to publish`,
      enableKeyRotation: true,
      policy: alarmKeyPolicy(arnPart(1), arnPart(4)),
    });
    const topic = new SnsTopic(this, "topic", {
      name: `${prefix}-alarms`,
      // Alarm texts name resources: encrypted at rest with a key CloudWatch may use (alarmKeyPolicy).
      kmsMasterKeyId: key.arn,
    });
    this.topicArn = topic.arn;
    props.alarmEmails.forEach((email, i) => {
      new SnsTopicSubscription(this, `email-${i}`, { topicArn: topic.arn, protocol: "email", endpoint: email });
    });

    this.definitions = alarmDefinitions(props.resources, props.thresholds);
    const alarms = this.definitions.map(
      (d) =>
        new CloudwatchMetricAlarm(this, d.id, {
          alarmName: alarmName(prefix, d.id),
          alarmDescription: d.description,
          ...(isMathAlarm(d) ? mathQuery(d) : singleMetric(d)),
          evaluationPeriods: d.evaluationPeriods,
          comparisonOperator: d.comparison,
          threshold: d.threshold,
          treatMissingData: d.missingData,
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          ...((COUNT_ALARMS as readonly string[]).includes(d.id) && props.countHeldBy ? { dependsOn: [...props.countHeldBy] } : {}),
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
