import {
  alarmDeliveryCheck,
  checksBeforeStops,
  cloudWatchApi,
  clusterMembersCheck,
  DRILL_ALARM_ID,
  formatChecks,
  jvmSizingCheck,
  METRIC_LOOKBACK_MINUTES,
  notRun,
  type CloudWatchApi,
  type CloudWatchSdk,
} from "../../tools/drill-checks";
import { CLUSTER_METRIC } from "../../modules/service/cluster-metrics";
import { alarmName } from "../../modules/monitoring/monitoring";
import { synthStack, testConfig } from "../../modules/synth";
import { parseServerInfo } from "../../tools/drill-session";

/**
 * The drill's checks of what the stand-ins assume, against a fake CloudWatch (the three calls of
 * CloudWatchApi; @aws-sdk/client-cloudwatch is not a dependency, so aws-sdk-client-mock has no
 * client to mock) and Keycloak server info as Keycloak 26 reports it. The ECS deregistration
 * check runs on the mocked ECS and ELBv2 clients in drill-aws.test.ts.
 */

const MIB = 1024 * 1024;
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:keycloak-prod-alarms";
const NOW = Date.parse("2026-12-06T19:00:00Z");

/** A CloudWatch whose answers the test sets, recording every call. */
function fakeCloudWatch(answers: { metric?: { Timestamps: Date[]; Values: number[] }; history?: string[][] } = {}) {
  const calls: { name: string; input: unknown }[] = [];
  let historyPolls = 0;
  const api: CloudWatchApi = {
    getMetricData: async (input) => {
      calls.push({ name: "GetMetricData", input });
      return { MetricDataResults: answers.metric ? [{ Id: "members", ...answers.metric }] : [{ Id: "members", Timestamps: [], Values: [] }] };
    },
    setAlarmState: async (input) => void calls.push({ name: "SetAlarmState", input }),
    describeAlarmHistory: async (input) => {
      calls.push({ name: "DescribeAlarmHistory", input });
      const summaries = answers.history?.[Math.min(historyPolls++, (answers.history?.length ?? 1) - 1)] ?? [];
      return { AlarmHistoryItems: summaries.map((HistorySummary) => ({ HistorySummary, Timestamp: new Date(NOW) })) };
    },
  };
  return { api, calls };
}

describe("the JVM inside a task", () => {
  test("1 vCPU / 2048 MiB with one processor and a 1434 MiB heap (70.02 %) passes, with the numbers as evidence", () => {
    const check = jvmSizingCheck({ id: "task/1", cpuUnits: 1024, memoryMiB: 2048 }, { processors: 1, heapMaxBytes: 1434 * MIB });
    expect(check).toEqual({
      name: "jvm-sized-like-the-stand-in",
      passed: true,
      evidence: "task task/1 (1024 CPU units, 2048 MiB): the JVM sees 1 processor(s) (expected 1), max heap 1434 MiB = 70.02 % of task memory (expected 70 %)",
    });
  });

  test("a JVM that sees the host's processors, or sizes its heap from something else, fails", () => {
    expect(jvmSizingCheck({ id: "t", cpuUnits: 1024, memoryMiB: 2048 }, { processors: 2, heapMaxBytes: 1434 * MIB }).passed).toBe(false);
    expect(jvmSizingCheck({ id: "t", cpuUnits: 1024, memoryMiB: 2048 }, { processors: 1, heapMaxBytes: 512 * MIB }).evidence).toContain("25.00 % of task memory");
    expect(jvmSizingCheck({ id: "t", cpuUnits: 512, memoryMiB: 2048 }, { processors: 1, heapMaxBytes: 1434 * MIB }).passed).toBe(true);
  });
});

describe("ClusterMembers in CloudWatch", () => {
  const service = { cluster: "keycloak-prod", service: "keycloak-prod", runningTasks: 2 };

  test("asks for the sidecar's namespace, metric and dimensions over the last minutes; datapoints pass with the latest as evidence", async () => {
    const cw = fakeCloudWatch({ metric: { Timestamps: [new Date(NOW - 120_000), new Date(NOW - 60_000)], Values: [2, 1] } });
    const check = await clusterMembersCheck(cw.api, service, NOW);
    expect(cw.calls).toEqual([
      {
        name: "GetMetricData",
        input: {
          MetricDataQueries: [
            {
              Id: "members",
              MetricStat: {
                Metric: {
                  Namespace: CLUSTER_METRIC.namespace,
                  MetricName: CLUSTER_METRIC.metricName,
                  Dimensions: [
                    { Name: "ClusterName", Value: "keycloak-prod" },
                    { Name: "ServiceName", Value: "keycloak-prod" },
                  ],
                },
                Period: 60,
                Stat: "Minimum",
              },
            },
          ],
          StartTime: new Date(NOW - METRIC_LOOKBACK_MINUTES * 60_000),
          EndTime: new Date(NOW),
        },
      },
    ]);
    expect(check).toMatchObject({ name: "cluster-members-in-cloudwatch", passed: true });
    expect(check.evidence).toContain("2 datapoint(s) of Keycloak/ClusterMembers {ClusterName=keycloak-prod, ServiceName=keycloak-prod}");
    expect(check.evidence).toContain("the latest 1 at 2026-12-06T18:59:00.000Z (2 tasks running)");
  });

  test("no datapoint fails, saying what the split alarm then sees", async () => {
    const check = await clusterMembersCheck(fakeCloudWatch().api, service, NOW);
    expect(check).toMatchObject({ passed: false, evidence: expect.stringContaining("no datapoint of Keycloak/ClusterMembers") });
  });
});

describe("the alarm topic accepts CloudWatch's publish", () => {
  const options = { alarmName: "keycloak-prod-alb-5xx", topicArn: TOPIC, pollMs: 10_000, timeoutMs: 60_000 };
  const clock = () => {
    let t = NOW;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  test("sets the alarm to ALARM, then polls its action history until the topic's action succeeded", async () => {
    const cw = fakeCloudWatch({ history: [[], [`Successfully executed action ${TOPIC}`]] });
    const check = await alarmDeliveryCheck(cw.api, { ...options, ...clock() });
    expect(check).toEqual({ name: "alarm-topic-accepts-cloudwatch", passed: true, evidence: `keycloak-prod-alb-5xx set to ALARM after 10 s; its history: "Successfully executed action ${TOPIC}"` });
    expect(cw.calls.map((c) => c.name)).toEqual(["SetAlarmState", "DescribeAlarmHistory", "DescribeAlarmHistory"]);
    expect(cw.calls[0].input).toMatchObject({ AlarmName: "keycloak-prod-alb-5xx", StateValue: "ALARM", StateReason: expect.stringContaining("not a real incident") });
    expect(cw.calls[1].input).toEqual({ AlarmName: "keycloak-prod-alb-5xx", HistoryItemType: "Action", StartDate: new Date(NOW - 1_000) });
  });

  test("a failed action (a key CloudWatch may not use) fails at once with CloudWatch's words", async () => {
    const failed = `Failed to execute action ${TOPIC}. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`;
    const cw = fakeCloudWatch({ history: [[failed]] });
    const check = await alarmDeliveryCheck(cw.api, { ...options, ...clock() });
    expect(check).toMatchObject({ passed: false, evidence: expect.stringContaining("does not have authorization") });
    expect(cw.calls.filter((c) => c.name === "DescribeAlarmHistory")).toHaveLength(1);
  });

  test("no action on the topic within the timeout fails; an action on another topic does not count", async () => {
    const cw = fakeCloudWatch({ history: [["Successfully executed action arn:aws:sns:eu-west-1:123456789012:other"]] });
    const check = await alarmDeliveryCheck(cw.api, { ...options, ...clock() });
    expect(check).toMatchObject({ passed: false, evidence: expect.stringContaining(`no action on ${TOPIC} in its history within 60 s`) });
    expect(cw.calls.filter((c) => c.name === "DescribeAlarmHistory")).toHaveLength(7);
  });

  test("the alarm the drill sets exists in every profile, evaluates each minute and notifies the alarm topic", () => {
    for (const settings of [{}, { profile: "dev" as const }]) {
      const json = synthStack(settings);
      const alarms = Object.values(json.resource!.aws_cloudwatch_metric_alarm);
      const alarm = alarms.find((a) => a.alarm_name === alarmName(testConfig(settings).namePrefix, DRILL_ALARM_ID));
      expect(alarm).toMatchObject({ period: 60, alarm_actions: [expect.stringMatching(/^\$\{aws_sns_topic\..*\.arn\}$/)] });
    }
  });
});

test("the adapter sends each call as its SDK command, in the SDK's client for the region", async () => {
  const sent: unknown[] = [];
  class Command {
    constructor(readonly input: object) {}
  }
  const sdk: CloudWatchSdk = {
    CloudWatchClient: class {
      constructor(readonly config: { region: string }) {
        sent.push(config);
      }
      async send(command: unknown) {
        sent.push(command);
        return {};
      }
    },
    GetMetricDataCommand: class extends Command {},
    SetAlarmStateCommand: class extends Command {},
    DescribeAlarmHistoryCommand: class extends Command {},
  };
  const api = cloudWatchApi(sdk, "eu-west-1");
  await api.setAlarmState({ AlarmName: "a", StateValue: "ALARM", StateReason: "r" });
  await api.describeAlarmHistory({ AlarmName: "a", HistoryItemType: "Action", StartDate: new Date(0) });
  expect(sent).toEqual([{ region: "eu-west-1" }, new sdk.SetAlarmStateCommand({ AlarmName: "a", StateValue: "ALARM", StateReason: "r" }), new sdk.DescribeAlarmHistoryCommand({ AlarmName: "a", HistoryItemType: "Action", StartDate: new Date(0) })]);
  expect(sent[1]).toBeInstanceOf(sdk.SetAlarmStateCommand);
});

test("checks print as PASS or FAIL with their evidence; a check that could not run is a FAIL that says why", () => {
  expect(formatChecks([{ name: "a", passed: true, evidence: "e" }, notRun("b", "no client")])).toBe("checks of what the stand-ins assume:\n- PASS a: e\n- FAIL b: not run: no client");
});

describe("the checks before any task is stopped", () => {
  const started = NOW - 3_600_000;
  const nodes = [
    { id: "task/1", address: "10.0.128.1", startedAt: started - 5_000 },
    { id: "task/2", address: "10.0.128.2", startedAt: started - 600_000 },
  ];
  const context = (cloudwatch: CloudWatchApi | string, jvmStartedAt = started) => ({
    target: { listNodes: async () => nodes, taskSize: async (id: string) => (id === "task/1" ? { cpuUnits: 1024, memoryMiB: 2048 } : { cpuUnits: 4096, memoryMiB: 8192 }) },
    session: { serverInfo: async () => ({ startedAt: jvmStartedAt, processors: 1, heapMaxBytes: 1434 * MIB }) },
    cloudwatch,
    cluster: "keycloak-prod",
    service: "keycloak-prod",
    alarmName: "keycloak-prod-alb-5xx",
    topicArn: TOPIC,
    alarmOptions: { pollMs: 1, timeoutMs: 10 },
  });

  test("the JVM is matched to the task that started just before it; with CloudWatch every check runs", async () => {
    const cw = fakeCloudWatch({ metric: { Timestamps: [new Date()], Values: [2] }, history: [[`Successfully executed action ${TOPIC}`]] });
    const checks = await checksBeforeStops(context(cw.api));
    expect(checks.map((c) => [c.name, c.passed])).toEqual([
      ["jvm-sized-like-the-stand-in", true],
      ["cluster-members-in-cloudwatch", true],
      ["alarm-topic-accepts-cloudwatch", true],
    ]);
    expect(checks[0].evidence).toMatch(/^task task\/1 \(1024 CPU units, 2048 MiB\)/);
  });

  test("without the CloudWatch client the two CloudWatch checks fail as not run, with the reason; the JVM check still runs", async () => {
    const checks = await checksBeforeStops(context("@aws-sdk/client-cloudwatch cannot be loaded"));
    expect(checks).toEqual([
      expect.objectContaining({ name: "jvm-sized-like-the-stand-in", passed: true }),
      { name: "cluster-members-in-cloudwatch", passed: false, evidence: "not run: @aws-sdk/client-cloudwatch cannot be loaded" },
      { name: "alarm-topic-accepts-cloudwatch", passed: false, evidence: "not run: @aws-sdk/client-cloudwatch cannot be loaded" },
    ]);
  });

  test("a JVM no task explains, or a failing call, fails its check without stopping the others", async () => {
    const cw = fakeCloudWatch({ metric: { Timestamps: [new Date()], Values: [2] }, history: [[`Successfully executed action ${TOPIC}`]] });
    const [jvm] = await checksBeforeStops(context(cw.api, started - 3_600_000));
    expect(jvm).toMatchObject({ passed: false, evidence: expect.stringMatching(/^not run: no single task started just before the serving JVM/) });
    const broken = { ...cw.api, getMetricData: async () => Promise.reject(new Error("AccessDenied: cloudwatch:GetMetricData")) };
    const checks = await checksBeforeStops(context(broken));
    expect(checks.map((c) => [c.name, c.passed, c.evidence.slice(0, 20)])).toEqual([
      ["jvm-sized-like-the-stand-in", true, "task task/1 (1024 CP"],
      ["cluster-members-in-cloudwatch", false, "error: AccessDenied:"],
      ["alarm-topic-accepts-cloudwatch", true, "keycloak-prod-alb-5x"],
    ]);
  });
});

test("server info as Keycloak 26.7.3 answers it: uptime, cpuInfo.processorCount and memoryInfo.total (Runtime.maxMemory); a missing one is named", () => {
  const body = JSON.stringify({ systemInfo: { uptimeMillis: 60_000 }, cpuInfo: { processorCount: 1 }, memoryInfo: { total: 1503657984, used: 300_000_000 } });
  expect(parseServerInfo(body, NOW)).toEqual({ startedAt: NOW - 60_000, processors: 1, heapMaxBytes: 1503657984 });
  expect(() => parseServerInfo(JSON.stringify({ systemInfo: { uptimeMillis: 1 }, memoryInfo: {} }), NOW)).toThrow("server info without processorCount, total");
});
