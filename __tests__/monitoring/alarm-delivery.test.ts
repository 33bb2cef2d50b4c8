import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack } from "../../modules/synth";

/**
 * Issue 21, items 2 and 7: CloudWatch can publish to the alarm topic only when its key is a
 * customer-managed one whose policy lets cloudwatch.amazonaws.com use it; the "below desired"
 * alarms do not fire on the first deploy while autoscaling raises the count from one task.
 */
describe("alarm delivery", () => {
  const json = synthStack();

  test("the alarm topic is encrypted with our own KMS key, rotated, whose policy lets CloudWatch use it", () => {
    const topic = onlyResource(json, "aws_sns_topic");
    const keyName = onlyResourceName(json, "aws_kms_key");
    expect(topic.kms_master_key_id).toBe(ref("aws_kms_key", keyName, "arn"));
    const key = onlyResource(json, "aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    const policy = JSON.parse(String(key.policy)) as { Statement: { Principal: { Service?: string; AWS?: string }; Action: string[] | string }[] };
    const cloudwatch = policy.Statement.find((s) => s.Principal.Service === "cloudwatch.amazonaws.com");
    expect(cloudwatch?.Action).toEqual(expect.arrayContaining(["kms:Decrypt", "kms:GenerateDataKey*"]));
    // The account keeps control of its key (without it the key could never be changed again).
    expect(policy.Statement.some((s) => String(s.Principal.AWS).endsWith(":root") && [s.Action].flat().includes("kms:*"))).toBe(true);
  });

  test("the below-desired alarms start after autoscaling holds the count and give a raised task its grace period", () => {
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
    const target = `aws_appautoscaling_target.${onlyResourceName(json, "aws_appautoscaling_target")}`;
    for (const id of ["healthy-below-desired", "running-below-desired"]) {
      const alarm = alarms.find((a) => a.alarm_name === `keycloak-test-${id}`)!;
      expect(alarm.depends_on).toContain(target);
      // 300 s default grace period: a task raised by autoscaling has that long (plus a minute to be pulled) to become healthy.
      expect(Number(alarm.evaluation_periods) * Number(alarm.period)).toBeGreaterThanOrEqual(300 + 60);
    }
    const longer = Object.values(resourcesOf(synthStack({ healthCheckGracePeriodSeconds: 900 }), "aws_cloudwatch_metric_alarm"))
      .find((a) => a.alarm_name === "keycloak-test-healthy-below-desired")!;
    expect(Number(longer.evaluation_periods) * Number(longer.period)).toBeGreaterThanOrEqual(900 + 60);
  });
});
