import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack, type TerraformJson } from "../../modules/synth";
import { METRIC_CATALOGUE } from "../../policy/aws-rules/metric-catalogue";
import { SIDECAR_NAME } from "../../modules/service/cluster-metrics";
import { PORTS } from "../../modules/shared/constants";

type Alarm = Record<string, unknown> & {
  alarm_name: string;
  alarm_description: string;
  namespace?: string;
  metric_name?: string;
  statistic?: string;
  extended_statistic?: string;
  dimensions?: Record<string, string>;
  metric_query?: { label?: string; metric?: { namespace: string; metric_name: string; dimensions: Record<string, string>; stat: string } }[];
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

  test("every metric an alarm names, the autoscaling alarm's too, is one AWS documents: namespace, name, one dimension set, a meaningful statistic", () => {
    const named = Object.values(alarmsOf(json)).flatMap((a) => [
      ...(a.metric_name ? [{ alarm: a.alarm_name, namespace: a.namespace!, name: a.metric_name, dimensions: a.dimensions ?? {}, statistic: a.statistic ?? a.extended_statistic }] : []),
      ...(a.metric_query ?? []).flatMap((q) => (q.metric ? [{ alarm: a.alarm_name, namespace: q.metric.namespace, name: q.metric.metric_name, dimensions: q.metric.dimensions, statistic: q.metric.stat }] : [])),
    ]);
    expect(new Set(named.map((m) => m.alarm)).size).toBe(Object.keys(alarmsOf(json)).length);
    for (const m of named) {
      const documented = METRIC_CATALOGUE[m.namespace]?.[m.name];
      expect([m.alarm, m.namespace, m.name, documented !== undefined]).toEqual([m.alarm, m.namespace, m.name, true]);
      const sets = documented.dimensionSets.map((set) => [...set].sort().join(","));
      expect([m.alarm, sets]).toEqual([m.alarm, expect.arrayContaining([Object.keys(m.dimensions).sort().join(",")])]);
      if (documented.statistics) expect([m.alarm, documented.statistics]).toEqual([m.alarm, expect.arrayContaining([m.statistic])]);
    }
  });

  test("each alarm's description, which the notification carries, states the threshold that fired and what to check first", () => {
    const custom = synthStack({
      desiredCount: 3, maxCount: 3, alarmResponseTimeP99Seconds: 5, alarmUtilizationPercent: 70, cpuTargetPercent: 60,
      alarmDbFreeStorageGb: 10, alarmDbFreeMemoryMb: 256, alarmDbConnectionsPercent: 90,
    });
    const says = (suffix: string, ...promises: string[]) => {
      const alarm = byName(custom, suffix);
      for (const promise of promises) expect([suffix, alarm.alarm_description]).toEqual([suffix, expect.stringContaining(promise)]);
      return alarm;
    };
    says("-alb-5xx", "load balancer itself answers 5xx", "targets' health");
    says("-target-5xx", "Keycloak answers 5xx", "Keycloak log group");
    says("-unhealthy-targets", "readiness check", "aws elbv2 describe-target-health");
    says("-healthy-below-desired", "Fewer than 3 healthy");
    says("-response-time-p99", "longer than 5 s");
    says("-running-below-desired", "fewer than 3", "aws ecs describe-services");
    says("-task-cpu", `over ${byName(custom, "-task-cpu").threshold} % CPU`, "60 % scaling target", "at maxCount", "npm run capacity");
    says("-task-memory", "over 70 %", "taskMemory");
    says("-db-cpu", "over 70 %", "dbInstanceClass");
    says("-db-free-storage", "10 GB", "dbMaxAllocatedStorageGb");
    says("-db-freeable-memory", "256 MB", "dbInstanceClass");
    says("-db-connections", "90 % of max_connections (153)");
    says("-certificate-expiry", "less than 30 days", "DNS validation");
    const split = says("-cluster-split", "cluster is split", "ISPN000094", `${PORTS.jgroups}/${PORTS.jgroupsFailureDetection} self-rules`, `the ${SIDECAR_NAME} sidecar reports nothing`);
    // On the dashboard, the graph of the expression carries its label, not the id "e".
    expect(split.metric_query![0].label).toContain("running tasks minus");
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
