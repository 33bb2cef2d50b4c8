import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack, testConfig } from "../../modules/synth";
import { SCALE_IN_COOLDOWN_SECONDS, SCALE_IN_LOAD_RATIO, SCALE_IN_MINUTES } from "../../modules/service/autoscaling";

type Policy = Record<string, unknown> & {
  policy_type: string;
  target_tracking_scaling_policy_configuration?: { disable_scale_in: boolean; target_value: number; predefined_metric_specification: { predefined_metric_type: string; resource_label?: string } };
  step_scaling_policy_configuration?: { adjustment_type: string; cooldown: number; step_adjustment: { scaling_adjustment: number; metric_interval_upper_bound?: string }[] };
};
interface Query {
  id: string;
  expression?: string;
  label?: string;
  return_data?: boolean;
  metric?: { namespace: string; metric_name: string; dimensions: Record<string, string>; stat: string; period: number };
}

/**
 * The stack, synthesized inside each test rather than once in the describe block: the mutation
 * run (stryker/areas.cjs, ignoreStatic) runs a mutant only with the tests during which its code
 * ran, so a stack built while the file loads would leave every autoscaling mutant to other files.
 */
const SETTINGS = { desiredCount: 3, maxCount: 6, dbPoolMaxSize: 15, cpuTargetPercent: 70, requestsPerTarget: 800 };

function synthesized() {
  const json = synthStack(SETTINGS);
  const policies = Object.values(resourcesOf(json, "aws_appautoscaling_policy")) as Policy[];
  const alarm = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => String(a.alarm_name).endsWith("-low-load")) as Record<
    string,
    unknown
  > & { metric_query: Query[]; alarm_actions: string[]; alarm_description: string };
  return {
    json,
    tracking: policies.filter((p) => p.policy_type === "TargetTrackingScaling"),
    steps: policies.filter((p) => p.policy_type === "StepScaling"),
    alarm,
  };
}

describe("ServiceAutoscaling", () => {

  test("the scalable target is the service's desired count, from desiredCount up to maxCount", () => {
    const { json } = synthesized();
    const target = onlyResource(json, "aws_appautoscaling_target");
    expect(target).toMatchObject({ min_capacity: 3, max_capacity: 6, service_namespace: "ecs", scalable_dimension: "ecs:service:DesiredCount" });
    expect(target.resource_id).toBe(
      `service/${ref("aws_ecs_cluster", onlyResourceName(json, "aws_ecs_cluster"), "name")}/${ref("aws_ecs_service", onlyResourceName(json, "aws_ecs_service"), "name")}`,
    );
  });

  test("target tracking on CPU and on this ALB's requests per target only scales out", () => {
    const { json, tracking } = synthesized();
    const byMetric = Object.fromEntries(tracking.map((p) => [p.target_tracking_scaling_policy_configuration!.predefined_metric_specification.predefined_metric_type, p]));
    expect(Object.keys(byMetric).sort()).toEqual(["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]);
    expect(byMetric.ECSServiceAverageCPUUtilization.target_tracking_scaling_policy_configuration!.target_value).toBe(70);
    const requests = byMetric.ALBRequestCountPerTarget.target_tracking_scaling_policy_configuration!;
    expect(requests.target_value).toBe(800);
    expect(requests.predefined_metric_specification.resource_label).toBe(
      `${ref("aws_lb", onlyResourceName(json, "aws_lb"), "arn_suffix")}/${ref("aws_lb_target_group", onlyResourceName(json, "aws_lb_target_group"), "arn_suffix")}`,
    );
    for (const p of tracking) expect(p.target_tracking_scaling_policy_configuration!.disable_scale_in).toBe(true);
  });

  test("each policy is named after the stack's prefix and what it does, so the three stay apart in the console", () => {
    const { json } = synthesized();
    const prefix = testConfig(SETTINGS).namePrefix;
    const names = Object.values(resourcesOf(json, "aws_appautoscaling_policy")).map((p) => p.name);
    expect(names.sort()).toEqual([`${prefix}-cpu`, `${prefix}-requests`, `${prefix}-scale-in-one`].sort());
  });

  test("scale-in removes exactly one task per step, with a cooldown, and only on the low-load alarm", () => {
    const { json, steps, alarm } = synthesized();
    expect(steps).toHaveLength(1);
    const config = steps[0].step_scaling_policy_configuration!;
    expect(config).toMatchObject({ adjustment_type: "ChangeInCapacity", cooldown: SCALE_IN_COOLDOWN_SECONDS, metric_aggregation_type: "Maximum" });
    expect(config.step_adjustment).toEqual([{ metric_interval_upper_bound: "0", scaling_adjustment: -1 }]);
    const stepName = Object.entries(resourcesOf(json, "aws_appautoscaling_policy")).find(([, p]) => p.policy_type === "StepScaling")![0];
    expect(alarm.alarm_actions).toEqual([ref("aws_appautoscaling_policy", stepName, "arn")]);
  });

  test("the low-load alarm watches this service's CPU and this target group's requests against both targets for 15 minutes", () => {
    const { json, alarm } = synthesized();
    expect(alarm).toMatchObject({
      comparison_operator: "LessThanThreshold",
      threshold: SCALE_IN_LOAD_RATIO,
      evaluation_periods: SCALE_IN_MINUTES,
      datapoints_to_alarm: SCALE_IN_MINUTES,
      treat_missing_data: "notBreaching",
    });
    const byId = Object.fromEntries(alarm.metric_query.map((q) => [q.id, q]));
    expect(byId.cpu.metric).toMatchObject({
      namespace: "AWS/ECS",
      metric_name: "CPUUtilization",
      dimensions: {
        ClusterName: ref("aws_ecs_cluster", onlyResourceName(json, "aws_ecs_cluster"), "name"),
        ServiceName: ref("aws_ecs_service", onlyResourceName(json, "aws_ecs_service"), "name"),
      },
    });
    expect(byId.requests.metric).toMatchObject({
      namespace: "AWS/ApplicationELB",
      metric_name: "RequestCountPerTarget",
      dimensions: { TargetGroup: ref("aws_lb_target_group", onlyResourceName(json, "aws_lb_target_group"), "arn_suffix") },
    });
    expect(byId.cpuload.expression).toBe("cpu / 70");
    expect(byId.requestload.expression).toBe("FILL(requests, 0) / 800");
    expect(alarm.metric_query.filter((q) => q.return_data).map((q) => q.id)).toEqual(["load"]);
    // A minute's average CPU, a minute's sum of requests: each comparable to its target.
    expect([byId.cpu.metric, byId.requests.metric]).toMatchObject([{ stat: "Average", period: 60 }, { stat: "Sum", period: 60 }]);
    expect([byId.cpuload.label, byId.requestload.label, byId.load.label]).toEqual(["CPU relative to its target", "Requests relative to their target", "Load relative to the busier target"]);
    expect(alarm.alarm_description).toBe(`Load below ${SCALE_IN_LOAD_RATIO * 100} % of both scaling targets for ${SCALE_IN_MINUTES} minutes: remove one Keycloak task`);
    expect(byId.load.expression).toBe("MAX([cpuload, requestload])");
  });
});
