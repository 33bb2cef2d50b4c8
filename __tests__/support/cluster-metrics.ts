import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SIDECAR_NAME } from "../../modules/service/cluster-metrics";
import type { ImageContainer } from "./image-runner";

/**
 * The cluster-split alarm as synthesized, for the unit test and the e2e: the sidecar container
 * of the task definition, what a CloudWatch embedded-metric-format (EMF) line means, and the
 * alarm's metric-math query. Everything is read from the synthesized JSON, never restated.
 */

interface Resources {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface SidecarDefinition {
  name: string;
  image: string;
  essential: boolean;
  entryPoint: string[];
  command: string[];
  logConfiguration: { options: Record<string, string> };
  [key: string]: unknown;
}

export interface MetricQuery {
  id: string;
  expression?: string;
  return_data: boolean;
  metric?: { namespace: string; metric_name: string; dimensions: Record<string, string>; stat: string; period: number };
}

export interface SplitAlarm {
  alarm_name: string;
  metric_query: MetricQuery[];
  comparison_operator: string;
  threshold: number;
  evaluation_periods: number;
  treat_missing_data: string;
}

/** One metric of an EMF line: what CloudWatch would record from it. */
export interface EmfMetric {
  namespace: string;
  metricName: string;
  unit: string;
  dimensions: Record<string, string>;
  value: number;
  timestamp: number;
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0];
}

export function metricsSidecar(json: Resources): SidecarDefinition {
  const task = only(Object.values(json.resource?.aws_ecs_task_definition ?? {}), "aws_ecs_task_definition");
  const containers = JSON.parse(String(task.container_definitions)) as SidecarDefinition[];
  return only(containers.filter((c) => c.name === SIDECAR_NAME), `container ${SIDECAR_NAME}`);
}

export function splitAlarm(json: Resources): SplitAlarm {
  const alarms = Object.values(json.resource?.aws_cloudwatch_metric_alarm ?? {}) as unknown as SplitAlarm[];
  return only(alarms.filter((a) => a.alarm_name.endsWith("-cluster-split")), "cluster-split alarm");
}

/**
 * Reads an EMF line as CloudWatch does: `_aws.CloudWatchMetrics` declares namespace, dimension
 * sets and metrics, whose values and dimension values are top-level members. Throws on anything
 * CloudWatch would not turn into exactly one metric.
 */
export function emfMetric(line: string): EmfMetric {
  const record = JSON.parse(line) as Record<string, unknown> & {
    _aws?: { Timestamp?: number; CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
  };
  const declaration = only(record._aws?.CloudWatchMetrics ?? [], "CloudWatchMetrics directive");
  const dimensionSet = only(declaration.Dimensions, "dimension set");
  const metric = only(declaration.Metrics, "metric");
  const dimensions = Object.fromEntries(
    dimensionSet.map((name) => {
      const value = record[name];
      if (typeof value !== "string") throw new Error(`EMF dimension ${name} has no string value: ${line}`);
      return [name, value];
    }),
  );
  const value = record[metric.Name];
  const timestamp = record._aws?.Timestamp;
  if (typeof value !== "number") throw new Error(`EMF metric ${metric.Name} has no numeric value: ${line}`);
  if (typeof timestamp !== "number") throw new Error(`EMF line has no numeric _aws.Timestamp: ${line}`);
  return { namespace: declaration.Namespace, metricName: metric.Name, unit: metric.Unit ?? "None", dimensions, value, timestamp };
}

/**
 * The query of `alarm` that reads `metric`: same namespace, name and dimensions, the dimension
 * values being the stack's references, which `resolve` turns into what they are at apply time.
 * Undefined when no query reads it (CloudWatch would never show the metric to the alarm).
 */
export function queryReading(alarm: SplitAlarm, metric: EmfMetric, resolve: (reference: string) => string): string | undefined {
  return alarm.metric_query.find((q) => {
    if (q.metric === undefined) return false;
    const dimensions = Object.fromEntries(Object.entries(q.metric.dimensions).map(([k, v]) => [k, resolve(v)]));
    return q.metric.namespace === metric.namespace && q.metric.metric_name === metric.metricName && JSON.stringify(sorted(dimensions)) === JSON.stringify(sorted(metric.dimensions));
  })?.id;
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The alarm's verdict for one period, with CloudWatch's statistic applied to the datapoints of
 * each metric query (Minimum only, which is what the alarm uses) and its expression evaluated:
 * `values` gives the datapoints per query id.
 */
export function splitAlarmBreaches(alarm: SplitAlarm, values: Record<string, number[]>): { value: number; breaches: boolean } {
  const expression = only(alarm.metric_query.filter((q) => q.return_data), "returned query").expression;
  if (expression === undefined) throw new Error("the alarm's returned query is not an expression");
  const reduced: Record<string, number> = {};
  for (const q of alarm.metric_query.filter((query) => query.metric !== undefined)) {
    if (q.metric!.stat !== "Minimum") throw new Error(`statistic ${q.metric!.stat} of ${q.id} is not evaluated here`);
    const points = values[q.id];
    if (points === undefined || points.length === 0) throw new Error(`no datapoints for ${q.id}`);
    reduced[q.id] = Math.min(...points);
  }
  // Only ids, numbers and + - * / ( ) may remain: the expression is CloudWatch arithmetic, nothing else.
  const arithmetic = expression.replace(/[a-z][a-zA-Z0-9_]*/g, (id) => {
    if (!(id in reduced)) throw new Error(`expression ${expression} names ${id}, which is no metric query`);
    return `(${reduced[id]})`;
  });
  if (!/^[0-9+\-*/(). ]+$/.test(arithmetic)) throw new Error(`expression ${expression} is not plain arithmetic`);
  const value = Function(`"use strict"; return (${arithmetic});`)() as number;
  const compare: Record<string, (v: number, t: number) => boolean> = {
    GreaterThanOrEqualToThreshold: (v, t) => v >= t,
    GreaterThanThreshold: (v, t) => v > t,
    LessThanThreshold: (v, t) => v < t,
    LessThanOrEqualToThreshold: (v, t) => v <= t,
  };
  return { value, breaches: compare[alarm.comparison_operator](value, alarm.threshold) };
}

/** A task to run the sidecar in: its network namespace, and the image container its Keycloak runs in. */
export interface SidecarHost {
  readonly name: string;
  readonly image?: ImageContainer;
  namespaceCommand(argv: string[]): string[];
}

/**
 * Runs the synthesized sidecar as ECS runs it: inside a container of the task's image (its
 * programs, not the host's: the image has no curl) and in the task's network namespace (where
 * 127.0.0.1:9000 is that node's management port, as inside a Fargate task), until it has printed
 * its first line, and returns that line: an EMF record on stdout, or its complaint on stderr.
 */
export function scrapeOnce(host: SidecarHost, sidecar: SidecarDefinition, timeoutMs = 20_000): Promise<{ stream: "stdout" | "stderr"; line: string }> {
  const image = host.image;
  if (image === undefined) throw new Error(`${host.name} runs from the distribution, not the image: the ${SIDECAR_NAME} sidecar runs only inside the image (unset KEYCLOAK_E2E_RUNTIME)`);
  const argv = host.namespaceCommand(image.exec([...sidecar.entryPoint, ...sidecar.command]));
  const child = spawn(argv[0], argv.slice(1), {
    detached: true,
    env: image.environment({}, {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const stop = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Gone already.
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the ${SIDECAR_NAME} sidecar printed nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (stream: "stdout" | "stderr") => {
      let buffered = "";
      return (chunk: Buffer) => {
        buffered += chunk.toString();
        const newline = buffered.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        stop();
        resolve({ stream, line: buffered.slice(0, newline) });
      };
    };
    child.stdout!.on("data", onData("stdout"));
    child.stderr!.on("data", onData("stderr"));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** `${type.name.attr}` of the synthesized JSON, resolved to the literal the resource has there (a name known at synth). */
function literalOf(json: Resources, reference: string): string {
  const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(reference);
  const value = m === null ? undefined : json.resource?.[m[1]]?.[m[2]]?.[m[3]];
  if (typeof value !== "string" || value.includes("${")) throw new Error(`${reference} does not resolve to a literal in the synthesized stack`);
  return value;
}

/**
 * The cluster-split alarm of a synthesized stack applied to live nodes: each node's sidecar, as
 * synthesized, reports its view; the report must be the metric the alarm's `members` query reads
 * (namespace, name and dimensions resolved to the stack's names); the alarm's own expression and
 * comparison then give the verdict for a number of running tasks.
 */
export class SplitAlarmProbe {
  readonly sidecar: SidecarDefinition;
  readonly alarm: SplitAlarm;
  private readonly json: Resources;

  constructor(synthDir: string, stack: string) {
    this.json = JSON.parse(readFileSync(join(synthDir, "stacks", stack, "cdk.tf.json"), "utf8")) as Resources;
    this.sidecar = metricsSidecar(this.json);
    this.alarm = splitAlarm(this.json);
  }

  /** The view size `host`'s sidecar reports now; throws unless the alarm's `members` query reads that report. */
  async members(host: SidecarHost): Promise<number> {
    const { stream, line } = await scrapeOnce(host, this.sidecar);
    if (stream !== "stdout") throw new Error(`the ${SIDECAR_NAME} sidecar in ${host.name} reported no metric: ${line}`);
    const metric = emfMetric(line);
    const reader = queryReading(this.alarm, metric, (reference) => literalOf(this.json, reference));
    if (reader !== "members") {
      throw new Error(`the alarm's members query does not read what the sidecar prints (read by: ${reader ?? "no query"}): ${line}`);
    }
    return metric.value;
  }

  verdict(runningTasks: number, members: number[]): { value: number; breaches: boolean } {
    return splitAlarmBreaches(this.alarm, { running: [runningTasks], members });
  }
}
