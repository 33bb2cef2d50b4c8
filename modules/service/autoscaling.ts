import { Construct } from "constructs";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";

export interface ServiceAutoscalingProps {
  readonly namePrefix: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** ALB and target group ARN suffixes, for the requests-per-target metric. */
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  /** Autoscaling minimum (the service's desired count). @default 2 */
  readonly minCount: number;
  /** @default 4 */
  readonly maxCount: number;
  /** Average CPU the service is scaled out to keep. @default 60 */
  readonly cpuTargetPercent: number;
  /** ALB requests per task per minute the service is scaled out to keep. @default 1000 */
  readonly requestsPerTarget: number;
}

/** Below this share of both targets for SCALE_IN_MINUTES the service loses one task. */
export const SCALE_IN_LOAD_RATIO = 0.5;
export const SCALE_IN_MINUTES = 15;
/** Time between two scale-ins: the departed node's cache entries have moved long before. */
export const SCALE_IN_COOLDOWN_SECONDS = 300;

/**
 * Scales out on CPU or on requests per task (target tracking, quick), and scales in one task at a
 * time (a step policy of -1 on a low-load alarm, slow): target tracking would remove several
 * tasks at once, and every departing Keycloak node must hand its cache entries over first.
 */
export class ServiceAutoscaling extends Construct {
  readonly scaleInAlarmName: string;
  /** The scalable target: once it exists, autoscaling holds the service at minCount or more. */
  readonly target: AppautoscalingTarget;

  constructor(scope: Construct, id: string, props: ServiceAutoscalingProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "ecs",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      scalableDimension: "ecs:service:DesiredCount",
      minCapacity: props.minCount,
      maxCapacity: props.maxCount,
    });
    this.target = target;
    const scalable = {
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
    };

    const requestsLabel = `${props.loadBalancerArnSuffix}/${props.targetGroupArnSuffix}`;
    const tracking = (name: string, targetValue: number, metric: { predefinedMetricType: string; resourceLabel?: string }) =>
      new AppautoscalingPolicy(this, `scale-out-on-${name}`, {
        name: `${prefix}-${name}`,
        policyType: "TargetTrackingScaling",
        ...scalable,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: metric,
          disableScaleIn: true,
          scaleOutCooldown: 60,
        },
      });
    tracking("cpu", props.cpuTargetPercent, { predefinedMetricType: "ECSServiceAverageCPUUtilization" });
    tracking("requests", props.requestsPerTarget, { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: requestsLabel });

    const scaleIn = new AppautoscalingPolicy(this, "scale-in", {
      name: `${prefix}-scale-in-one`,
      policyType: "StepScaling",
      ...scalable,
      stepScalingPolicyConfiguration: {
        adjustmentType: "ChangeInCapacity",
        cooldown: SCALE_IN_COOLDOWN_SECONDS,
        metricAggregationType: "Maximum",
        stepAdjustment: [{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }],
      },
    });

    const minute = 60;
    const alarm = new CloudwatchMetricAlarm(this, "low-load", {
      alarmName: `${prefix}-low-load`,
      alarmDescription: `Load below ${SCALE_IN_LOAD_RATIO * 100} % of both scaling targets for ${SCALE_IN_MINUTES} minutes: remove one Keycloak task`,
      comparisonOperator: "LessThanThreshold",
      threshold: SCALE_IN_LOAD_RATIO,
      evaluationPeriods: SCALE_IN_MINUTES,
      datapointsToAlarm: SCALE_IN_MINUTES,
      // No data means no tasks reporting: never a reason to remove one.
      treatMissingData: "notBreaching",
      alarmActions: [scaleIn.arn],
      metricQuery: [
        {
          id: "cpu",
          metric: {
            namespace: "AWS/ECS",
            metricName: "CPUUtilization",
            dimensions: { ClusterName: props.clusterName, ServiceName: props.serviceName },
            stat: "Average",
            period: minute,
          },
        },
        {
          id: "requests",
          metric: {
            namespace: "AWS/ApplicationELB",
            metricName: "RequestCountPerTarget",
            dimensions: { TargetGroup: props.targetGroupArnSuffix },
            stat: "Sum",
            period: minute,
          },
        },
        { id: "cpuload", expression: `cpu / ${props.cpuTargetPercent}`, label: "CPU relative to its target" },
        // A minute without requests has no data point: that is no load, not unknown load.
        { id: "requestload", expression: `FILL(requests, 0) / ${props.requestsPerTarget}`, label: "Requests relative to their target" },
        { id: "load", expression: "MAX([cpuload, requestload])", label: "Load relative to the busier target", returnData: true },
      ],
    });
    this.scaleInAlarmName = alarm.alarmName;
  }
}
