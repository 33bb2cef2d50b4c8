import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Deregistration } from "./drill-checks";
import type { DrillNode, DrillTarget } from "./drill-scenario";

/**
 * The drill's target on a deployed stack, through the AWS SDK for JavaScript v3: the service's
 * tasks from ECS, their health from the ALB's target group, the cluster's size from Keycloak's
 * own log lines (ISPN000094 "Received new cluster view ... (2)") in CloudWatch Logs.
 */

export interface AwsDrillOptions {
  cluster: string;
  service: string;
  logGroup: string;
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  logs: CloudWatchLogsClient;
  /** Pause between two polls of ECS, the target group and the logs. @default 10_000 */
  pollMs?: number;
  /** How long a stopped task may take to reach STOPPED (ECS: deregistration 30 s + stopTimeout 60 s). @default 180_000 */
  stopTimeoutMs?: number;
  /** Attempts of one call while AWS throttles it (the SDK's own retries come first). @default 6 */
  throttleAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
}

const THROTTLING = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled"]);

/** A cluster view line of Keycloak (Infinispan), as the task's log stream holds it. */
const VIEW_PATTERN = /ISPN00009[34]: Received new(?:, MERGED)? cluster view for channel \S+: (?:MergeView::)?\[[^\]]*\] \((\d+)\)/;

/** Target states of a target that still takes new requests: not yet deregistered. */
const REGISTERED_STATES = new Set(["initial", "healthy", "unhealthy", "unused", "unavailable"]);

export class AwsDrillTarget implements DrillTarget {
  /** Each task the drill stopped, and when its target left the target group (drill-checks.ts). */
  readonly deregistrations: Deregistration[] = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: AwsDrillOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
  }

  async listNodes(): Promise<DrillNode[]> {
    const { cluster, service } = this.options;
    const listed = await this.call("ListTasks", () => this.options.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: "RUNNING" })));
    const arns = listed.taskArns ?? [];
    if (arns.length === 0) return [];
    const described = await this.call("DescribeTasks", () => this.options.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns })));
    return (described.tasks ?? []).filter((task) => task.lastStatus === "RUNNING").map(toNode);
  }

  async stopNode(node: DrillNode, reason: string): Promise<void> {
    const { cluster } = this.options;
    const targetGroupArn = await this.targetGroupArn();
    const record: Deregistration = { taskId: node.id, address: node.address, stopRequestedAt: this.now() };
    this.deregistrations.push(record);
    await this.call("StopTask", () => this.options.ecs.send(new StopTaskCommand({ cluster, task: node.id, reason })));
    const timeoutMs = this.options.stopTimeoutMs ?? 180_000;
    const deadline = this.now() + timeoutMs;
    for (;;) {
      // The target first: a target seen leaving in the same poll as STOPPED may have left after it.
      if (record.targetLeftAt === undefined) {
        const state = await this.targetState(targetGroupArn, node.address);
        if (state === undefined || !REGISTERED_STATES.has(state)) Object.assign(record, { targetLeftAt: this.now(), targetStateWhenLeft: state ?? "gone" });
      }
      const described = await this.call("DescribeTasks", () => this.options.ecs.send(new DescribeTasksCommand({ cluster, tasks: [node.id] })));
      const status = described.tasks?.[0]?.lastStatus;
      if (status === "STOPPED") {
        record.stoppedAt = this.now();
        return;
      }
      if (this.now() >= deadline) throw new Error(`task ${node.id} did not stop within ${timeoutMs / 1000} s (last status ${status ?? "unknown"})`);
      await this.sleep(this.options.pollMs ?? 10_000);
    }
  }

  /** CPU units and MiB of a running task (a Fargate task always has both). */
  async taskSize(taskId: string): Promise<{ cpuUnits: number; memoryMiB: number }> {
    const described = await this.call("DescribeTasks", () => this.options.ecs.send(new DescribeTasksCommand({ cluster: this.options.cluster, tasks: [taskId] })));
    const task = described.tasks?.[0];
    if (task?.cpu === undefined || task.memory === undefined) throw new Error(`task ${taskId}: ECS reports no task-level cpu and memory`);
    return { cpuUnits: Number(task.cpu), memoryMiB: Number(task.memory) };
  }

  async waitHealthy(count: number, since: number, timeoutMs: number): Promise<DrillNode[]> {
    const deadline = this.now() + timeoutMs;
    let state = "nothing polled yet";
    for (;;) {
      const [nodes, healthy, view] = [await this.listNodes(), await this.healthyTargets(), await this.latestView(since)];
      const served = nodes.filter((node) => healthy.has(node.address));
      state = `${nodes.length} running, ${served.length} of them healthy in the target group, latest cluster view ${view ?? "none"} since the stop`;
      // A view logged before `since` says nothing about the replacement; at the start (since 0) any view counts.
      if (nodes.length >= count && served.length >= count && view === count) {
        this.log(`  ${state}`);
        return served;
      }
      if (this.now() >= deadline) throw new Error(`the service did not get ${count} healthy, clustered tasks within ${timeoutMs / 1000} s (${state})`);
      await this.sleep(this.options.pollMs ?? 10_000);
    }
  }

  /** The service's target group. */
  private async targetGroupArn(): Promise<string> {
    const { cluster, service } = this.options;
    const services = await this.call("DescribeServices", () => this.options.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })));
    const targetGroupArn = services.services?.[0]?.loadBalancers?.[0]?.targetGroupArn;
    if (targetGroupArn === undefined) throw new Error(`service ${service} of cluster ${cluster} has no load balancer target group`);
    return targetGroupArn;
  }

  private async targets(targetGroupArn: string) {
    const health = await this.call("DescribeTargetHealth", () => this.options.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })));
    return health.TargetHealthDescriptions ?? [];
  }

  /** The state of the target at `address`; undefined when the target group no longer has it. */
  private async targetState(targetGroupArn: string, address: string): Promise<string | undefined> {
    return (await this.targets(targetGroupArn)).find((d) => d.Target?.Id === address)?.TargetHealth?.State;
  }

  /** Addresses the service's target group reports healthy. */
  private async healthyTargets(): Promise<Set<string>> {
    const targets = await this.targets(await this.targetGroupArn());
    return new Set(targets.filter((d) => d.TargetHealth?.State === "healthy").map((d) => d.Target?.Id ?? ""));
  }

  /** Size of the latest cluster view any task logged after `since`; undefined when none did. */
  private async latestView(since: number): Promise<number | undefined> {
    let latest: { timestamp: number; size: number } | undefined;
    let nextToken: string | undefined;
    for (let page = 0; page < 20; page++) {
      const response = await this.call("FilterLogEvents", () =>
        this.options.logs.send(new FilterLogEventsCommand({ logGroupName: this.options.logGroup, filterPattern: "ISPN000094", startTime: since, nextToken })),
      );
      for (const event of response.events ?? []) {
        const m = VIEW_PATTERN.exec(event.message ?? "");
        if (m !== null && (latest === undefined || (event.timestamp ?? 0) >= latest.timestamp)) latest = { timestamp: event.timestamp ?? 0, size: Number(m[1]) };
      }
      nextToken = response.nextToken;
      if (nextToken === undefined) break;
    }
    return latest?.size;
  }

  /** One AWS call, repeated with growing pauses while AWS throttles it; any other error is thrown at once. */
  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    const attempts = this.options.throttleAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        if (!THROTTLING.has(name) || attempt >= attempts) throw error;
        const pause = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
        this.log(`  ${what} throttled (${name}); attempt ${attempt + 1}/${attempts} in ${pause / 1000} s`);
        await this.sleep(pause);
      }
    }
  }
}

function toNode(task: Task): DrillNode {
  const address = task.attachments
    ?.flatMap((attachment) => attachment.details ?? [])
    .find((detail) => detail.name === "privateIPv4Address")?.value;
  if (task.taskArn === undefined || address === undefined) throw new Error(`task ${task.taskArn ?? "?"} has no private IPv4 address yet`);
  return { id: task.taskArn, address, startedAt: (task.startedAt ?? task.createdAt ?? new Date(0)).getTime() };
}
