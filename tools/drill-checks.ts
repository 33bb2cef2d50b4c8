/**
 * What our stand-ins assume about AWS, checked by `npm run drill` on a deployed stack, each as a
 * named check with its evidence:
 * - the JVM in a task sees the processors and heap the e2e's cgroups give it
 *   (modules/service/jvm-sizing.ts), from Keycloak's own server info through the load balancer;
 * - the cluster-metrics sidecar's `ClusterMembers` arrives in CloudWatch, with the dimensions the
 *   split alarm reads (modules/service/cluster-metrics.ts);
 * - the alarm topic accepts CloudWatch's publish: one alarm set to ALARM, its history then says
 *   the action succeeded (the e2e has no SNS; a key policy CloudWatch cannot use fails only here);
 * - ECS deregisters a stopped task's target as the task stops (the ECS stand-in does; the drill
 *   times it on the tasks it stops anyway).
 * Only the ECS check can pass without CloudWatch's API: see cloudWatchApi below.
 */
import { CLUSTER_METRIC } from "../modules/service/cluster-metrics";
import { heapIsDefaultShare, HEAP_SHARE_OF_TASK_MEMORY, jvmProcessorsFor } from "../modules/service/jvm-sizing";
import { nodeStartedAt, type DrillNode } from "./drill-scenario";

export interface DrillCheck {
  name: string;
  passed: boolean;
  evidence: string;
}

const MIB = 1024 * 1024;

/** The JVM of one task against the task's size (DescribeTasks' cpu and memory). */
export function jvmSizingCheck(task: { id: string; cpuUnits: number; memoryMiB: number }, jvm: { processors: number; heapMaxBytes: number }): DrillCheck {
  const processors = jvmProcessorsFor(task.cpuUnits);
  const share = jvm.heapMaxBytes / (task.memoryMiB * MIB);
  return {
    name: "jvm-sized-like-the-stand-in",
    passed: jvm.processors === processors && heapIsDefaultShare(jvm.heapMaxBytes, task.memoryMiB * MIB),
    evidence:
      `task ${task.id} (${task.cpuUnits} CPU units, ${task.memoryMiB} MiB): the JVM sees ${jvm.processors} processor(s) (expected ${processors}), ` +
      `max heap ${(jvm.heapMaxBytes / MIB).toFixed(0)} MiB = ${(share * 100).toFixed(2)} % of task memory (expected ${HEAP_SHARE_OF_TASK_MEMORY * 100} %)`,
  };
}

/** One stopped task: when it was asked to stop, when its target left, when the task was STOPPED. */
export interface Deregistration {
  taskId: string;
  address: string;
  stopRequestedAt: number;
  /** First poll at which the target was draining or gone; undefined when no poll saw it leave. */
  targetLeftAt?: number;
  /** The target's states at that poll ("draining", or "gone"). */
  targetStateWhenLeft?: string;
  /** First poll at which the task was STOPPED. */
  stoppedAt?: number;
}

/**
 * ECS takes a stopping task's target out (draining) as it stops it, before the task is STOPPED:
 * the stand-in's assumption. A target that leaves only after STOPPED was taken out by failing
 * health checks, not by ECS.
 */
export function deregistrationCheck(records: readonly Deregistration[]): DrillCheck {
  const name = "target-deregistered-as-task-stops";
  if (records.length === 0) return { name, passed: false, evidence: "the drill stopped no task" };
  const seconds = (from: number, to?: number) => (to === undefined ? "never" : `${((to - from) / 1000).toFixed(1)} s`);
  const lines = records.map(
    (r) => `${r.taskId} (${r.address}): target ${r.targetStateWhenLeft ?? "still registered"} after ${seconds(r.stopRequestedAt, r.targetLeftAt)}, task STOPPED after ${seconds(r.stopRequestedAt, r.stoppedAt)}`,
  );
  const passed = records.every((r) => r.targetLeftAt !== undefined && r.stoppedAt !== undefined && r.targetLeftAt <= r.stoppedAt);
  return { name, passed, evidence: lines.join("; ") };
}

/**
 * The three CloudWatch calls the checks make, in the API's own field names, so that an adapter
 * over @aws-sdk/client-cloudwatch is one line each (cloudWatchApi).
 */
export interface CloudWatchApi {
  getMetricData(input: {
    MetricDataQueries: { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string } }[];
    StartTime: Date;
    EndTime: Date;
  }): Promise<{ MetricDataResults?: { Id?: string; Timestamps?: Date[]; Values?: number[] }[] }>;
  setAlarmState(input: { AlarmName: string; StateValue: "ALARM" | "OK" | "INSUFFICIENT_DATA"; StateReason: string }): Promise<unknown>;
  describeAlarmHistory(input: { AlarmName: string; HistoryItemType: "Action"; StartDate: Date }): Promise<{ AlarmHistoryItems?: { Timestamp?: Date; HistorySummary?: string }[] }>;
}

/** The classes of @aws-sdk/client-cloudwatch the adapter uses. */
export interface CloudWatchSdk {
  CloudWatchClient: new (config: { region: string }) => { send(command: unknown): Promise<unknown> };
  GetMetricDataCommand: new (input: object) => unknown;
  SetAlarmStateCommand: new (input: object) => unknown;
  DescribeAlarmHistoryCommand: new (input: object) => unknown;
}

/** CloudWatchApi over the SDK's client. */
export function cloudWatchApi(sdk: CloudWatchSdk, region: string): CloudWatchApi {
  const client = new sdk.CloudWatchClient({ region });
  return {
    getMetricData: (input) => client.send(new sdk.GetMetricDataCommand(input)) as ReturnType<CloudWatchApi["getMetricData"]>,
    setAlarmState: (input) => client.send(new sdk.SetAlarmStateCommand(input)),
    describeAlarmHistory: (input) => client.send(new sdk.DescribeAlarmHistoryCommand(input)) as ReturnType<CloudWatchApi["describeAlarmHistory"]>,
  };
}

/** How far back the metric check looks: the sidecar publishes once a minute, ingestion takes a few. */
export const METRIC_LOOKBACK_MINUTES = 10;

/** Datapoints of `ClusterMembers` for the service in the last minutes, with the sidecar's own dimensions. */
export async function clusterMembersCheck(cloudwatch: CloudWatchApi, service: { cluster: string; service: string; runningTasks: number }, now = Date.now()): Promise<DrillCheck> {
  const [clusterKey, serviceKey] = CLUSTER_METRIC.dimensionNames;
  const metric = `${CLUSTER_METRIC.namespace}/${CLUSTER_METRIC.metricName} {${clusterKey}=${service.cluster}, ${serviceKey}=${service.service}}`;
  const answer = await cloudwatch.getMetricData({
    MetricDataQueries: [
      {
        Id: "members",
        MetricStat: {
          Metric: {
            Namespace: CLUSTER_METRIC.namespace,
            MetricName: CLUSTER_METRIC.metricName,
            Dimensions: [
              { Name: clusterKey, Value: service.cluster },
              { Name: serviceKey, Value: service.service },
            ],
          },
          Period: 60,
          Stat: "Minimum",
        },
      },
    ],
    StartTime: new Date(now - METRIC_LOOKBACK_MINUTES * 60_000),
    EndTime: new Date(now),
  });
  const result = answer.MetricDataResults?.find((r) => r.Id === "members");
  const points = (result?.Timestamps ?? []).map((t, i) => ({ at: new Date(t).getTime(), value: result?.Values?.[i] })).sort((a, b) => b.at - a.at);
  const name = "cluster-members-in-cloudwatch";
  if (points.length === 0) return { name, passed: false, evidence: `no datapoint of ${metric} in the last ${METRIC_LOOKBACK_MINUTES} minutes: the cluster-split alarm sees missing data (breaching)` };
  const latest = points[0];
  return {
    name,
    passed: true,
    evidence: `${points.length} datapoint(s) of ${metric} in the last ${METRIC_LOOKBACK_MINUTES} minutes; the latest ${latest.value} at ${new Date(latest.at).toISOString()} (${service.runningTasks} tasks running)`,
  };
}

/** The alarm the drill sets to ALARM: one-minute periods, so CloudWatch sets it back within a minute or two. */
export const DRILL_ALARM_ID = "alb-5xx";

export interface AlarmDeliveryOptions {
  alarmName: string;
  topicArn: string;
  /** @default 10_000 */
  pollMs?: number;
  /** How long CloudWatch may take to record the action. @default 120_000 */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Sets one alarm to ALARM and waits for its history to say what became of the action on the topic:
 * "Successfully executed action <topic>" passes, "Failed to execute action" fails at once. This
 * sends a real notification to the topic's subscribers, announced by the reason.
 */
export async function alarmDeliveryCheck(cloudwatch: CloudWatchApi, options: AlarmDeliveryOptions): Promise<DrillCheck> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const name = "alarm-topic-accepts-cloudwatch";
  const since = now();
  // A second early: the history's timestamps and this machine's clock need not agree to the millisecond.
  const startDate = new Date(since - 1_000);
  await cloudwatch.setAlarmState({
    AlarmName: options.alarmName,
    StateValue: "ALARM",
    StateReason: "npm run drill: checking that the alarm topic accepts CloudWatch's publish (not a real incident)",
  });
  const deadline = since + (options.timeoutMs ?? 120_000);
  for (;;) {
    const history = await cloudwatch.describeAlarmHistory({ AlarmName: options.alarmName, HistoryItemType: "Action", StartDate: startDate });
    const summaries = (history.AlarmHistoryItems ?? []).map((h) => String(h.HistorySummary ?? "")).filter((s) => s.includes(options.topicArn));
    const failed = summaries.find((s) => /^Failed to execute action/.test(s));
    if (failed) return { name, passed: false, evidence: `${options.alarmName} set to ALARM; its history: "${failed}"` };
    const done = summaries.find((s) => /^Successfully executed action/.test(s));
    if (done) return { name, passed: true, evidence: `${options.alarmName} set to ALARM after ${((now() - since) / 1000).toFixed(0)} s; its history: "${done}"` };
    if (now() >= deadline) {
      return { name, passed: false, evidence: `${options.alarmName} set to ALARM; no action on ${options.topicArn} in its history within ${(deadline - since) / 1000} s` };
    }
    await sleep(options.pollMs ?? 10_000);
  }
}

/** A check that could not run, and why: never counted as passed. */
export const notRun = (name: string, why: string): DrillCheck => ({ name, passed: false, evidence: `not run: ${why}` });

/** A check that throws is a FAIL with its error as evidence. */
async function guarded(name: string, run: () => Promise<DrillCheck>): Promise<DrillCheck> {
  return run().catch((error: unknown) => ({ name, passed: false, evidence: `error: ${(error as Error).message}` }));
}

export interface BeforeStopsContext {
  target: { listNodes(): Promise<DrillNode[]>; taskSize(taskId: string): Promise<{ cpuUnits: number; memoryMiB: number }> };
  session: { serverInfo(): Promise<{ startedAt: number; processors: number; heapMaxBytes: number }> };
  /** The CloudWatch API, or why there is none. */
  cloudwatch: CloudWatchApi | string;
  cluster: string;
  service: string;
  alarmName: string;
  topicArn: string;
  alarmOptions?: Partial<AlarmDeliveryOptions>;
}

/** The checks the drill makes before it stops any task: the serving JVM, ClusterMembers, the alarm topic. */
export async function checksBeforeStops(c: BeforeStopsContext): Promise<DrillCheck[]> {
  const jvm = await guarded("jvm-sized-like-the-stand-in", async () => {
    const [info, nodes] = [await c.session.serverInfo(), await c.target.listNodes()];
    const node = nodeStartedAt(nodes, info.startedAt);
    if (node === undefined) return notRun("jvm-sized-like-the-stand-in", `no single task started just before the serving JVM (${new Date(info.startedAt).toISOString()})`);
    return jvmSizingCheck({ id: node.id, ...(await c.target.taskSize(node.id)) }, info);
  });
  const { cloudwatch } = c;
  if (typeof cloudwatch === "string") return [jvm, notRun("cluster-members-in-cloudwatch", cloudwatch), notRun("alarm-topic-accepts-cloudwatch", cloudwatch)];
  const members = await guarded("cluster-members-in-cloudwatch", async () =>
    clusterMembersCheck(cloudwatch, { cluster: c.cluster, service: c.service, runningTasks: (await c.target.listNodes()).length }),
  );
  const alarm = await guarded("alarm-topic-accepts-cloudwatch", () => alarmDeliveryCheck(cloudwatch, { alarmName: c.alarmName, topicArn: c.topicArn, ...c.alarmOptions }));
  return [jvm, members, alarm];
}

/** The checks as lines for people. */
export function formatChecks(checks: readonly DrillCheck[]): string {
  return ["checks of what the stand-ins assume:", ...checks.map((c) => `- ${c.passed ? "PASS" : "FAIL"} ${c.name}: ${c.evidence}`)].join("\n");
}
