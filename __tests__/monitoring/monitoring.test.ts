import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack, type TerraformJson } from "../../modules/synth";

type Alarm = Record<string, unknown> & {
  alarm_name: string;
  dimensions?: Record<string, string>;
  metric_query?: { metric?: { dimensions: Record<string, string> } }[];
  alarm_actions: string[];
  ok_actions?: string[];
  threshold: number;
};

const alarmsOf = (json: TerraformJson) => resourcesOf(json, "aws_cloudwatch_metric_alarm") as Record<string, Alarm>;
const byName = (json: TerraformJson, suffix: string) => Object.values(alarmsOf(json)).find((a) => a.alarm_name.endsWith(suffix))!;

describe("Monitoring", () => {
  const json = synthStack();
  const topic = ref("aws_sns_topic", onlyResourceName(json, "aws_sns_topic"), "arn");
  const own = Object.values(alarmsOf(json)).filter((a) => !a.alarm_name.endsWith("-low-load"));

  test("the alarm topic is encrypted and has no subscriber unless alarmEmails names some", () => {
    expect(onlyResource(json, "aws_sns_topic").kms_master_key_id).toBe(ref("aws_kms_key", onlyResourceName(json, "aws_kms_key"), "arn"));
    expect(resourcesOf(json, "aws_sns_topic_subscription")).toEqual({});
    const subscribed = synthStack({ alarmEmails: ["ops@example.com", "oncall@example.org"] });
    expect(Object.values(resourcesOf(subscribed, "aws_sns_topic_subscription")).map((s) => [s.protocol, s.endpoint])).toEqual([
      ["email", "ops@example.com"],
      ["email", "oncall@example.org"],
    ]);
  });

  test("each watched condition has an alarm that notifies the topic when it fires and when it clears", () => {
    expect(own).toHaveLength(14);
    const names = own.map((a) => a.alarm_name);
    for (const id of [
      "alb-5xx", "target-5xx", "unhealthy-targets", "healthy-below-desired", "response-time-p99", "running-below-desired",
      "task-cpu", "task-memory", "db-cpu", "db-free-storage", "db-freeable-memory", "db-connections", "certificate-expiry",
      "cluster-split",
    ]) {
      expect(names).toContain(`keycloak-test-${id}`);
    }
    for (const alarm of own) {
      expect(alarm.alarm_actions).toEqual([topic]);
      expect(alarm.ok_actions).toEqual([topic]);
    }
  });

  test("every alarm's dimensions, the autoscaling alarm's too, refer to resources of this stack", () => {
    const all = Object.values(alarmsOf(json));
    const dimensions = all.flatMap((a) => [a.dimensions ?? {}, ...(a.metric_query ?? []).flatMap((q) => (q.metric ? [q.metric.dimensions] : []))]);
    const values = dimensions.flatMap((d) => Object.values(d));
    expect(values.length).toBeGreaterThanOrEqual(own.length);
    for (const value of values) {
      const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
      expect([value, m !== null]).toEqual([value, true]);
      expect(resourcesOf(json, m![1])[m![2]]).toBeDefined();
    }
  });

  test("'too few' alarms follow desiredCount and treat silence as the problem", () => {
    const custom = synthStack({ desiredCount: 3, maxCount: 3 });
    for (const id of ["-healthy-below-desired", "-running-below-desired"]) {
      expect(byName(custom, id)).toMatchObject({ threshold: 3, comparison_operator: "LessThanThreshold", treat_missing_data: "breaching" });
    }
  });

  test("the connections alarm is the configured share of the class's max_connections, the same number the pool budget uses", () => {
    expect(byName(json, "-db-connections").threshold).toBe(Math.floor(153 * 0.8));
    expect(byName(synthStack({ profile: "dev" }), "-db-connections").threshold).toBe(Math.floor(76 * 0.8));
    expect(byName(synthStack({ alarmDbConnectionsPercent: 90 }), "-db-connections").threshold).toBe(Math.floor(153 * 0.9));
  });

  test("thresholds come from the settings", () => {
    const custom = synthStack({ alarm5xxPerMinute: 3, alarmResponseTimeP99Seconds: 5, alarmUtilizationPercent: 70, alarmDbFreeStorageGb: 10, alarmDbFreeMemoryMb: 256 });
    expect(byName(custom, "-alb-5xx").threshold).toBe(3);
    expect(byName(custom, "-target-5xx").threshold).toBe(3);
    expect(byName(custom, "-response-time-p99")).toMatchObject({ threshold: 5, extended_statistic: "p99" });
    for (const id of ["-task-memory", "-db-cpu"]) expect(byName(custom, id).threshold).toBe(70);
    expect(byName(custom, "-db-free-storage").threshold).toBe(10 * 1024 ** 3);
    expect(byName(custom, "-db-freeable-memory").threshold).toBe(256 * 1024 ** 2);
  });

  test("the task CPU alarm derives from the autoscaling CPU target (midway to 100 %), not from alarmUtilizationPercent", () => {
    expect(byName(json, "-task-cpu").threshold).toBe(70);
    expect(byName(json, "-task-memory").threshold).toBe(85);
    expect(byName(synthStack({ cpuTargetPercent: 60, alarmUtilizationPercent: 50 }), "-task-cpu").threshold).toBe(80);
  });

  test("the certificate alarm watches the certificate the HTTPS listener serves, 30 days ahead", () => {
    const https = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.port === 443)!;
    expect(byName(json, "-certificate-expiry")).toMatchObject({
      namespace: "AWS/CertificateManager",
      metric_name: "DaysToExpiry",
      dimensions: { CertificateArn: https.certificate_arn },
      threshold: 30,
    });
  });

  test("the dashboard shows exactly the alarms, each by its own ARN, so the two cannot drift", () => {
    const body = JSON.parse(String(onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body)) as {
      widgets: { properties: { annotations: { alarms: string[] } } }[];
    };
    const shown = body.widgets.map((w) => w.properties.annotations.alarms[0]);
    const expected = Object.entries(alarmsOf(json))
      .filter(([, a]) => !a.alarm_name.endsWith("-low-load"))
      .map(([name]) => ref("aws_cloudwatch_metric_alarm", name, "arn"));
    expect([...shown].sort()).toEqual(expected.sort());
  });
});
