import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLUSTER_METRIC, clusterMetricsScript, SIDECAR_NAME } from "../../modules/service/cluster-metrics";
import { PORTS } from "../../modules/shared/constants";
import { BinDir } from "../support/command-stubs";
import { emfMetric, metricsSidecar, splitAlarm } from "../support/cluster-metrics";
import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack } from "../../modules/synth";

/**
 * The cluster-split alarm's wiring: the sidecar each task runs, the metric it prints, and the
 * alarm that compares it with ECS's running tasks. The e2e (cluster.test.ts) runs the same
 * synthesized sidecar against real Keycloak nodes.
 */

const json = synthStack();

/** Where the synthesized sidecar connects: the task's loopback, Keycloak's management port. */
const SCRAPED = `/dev/tcp/127.0.0.1/${PORTS.management}`;

/**
 * Runs one scrape of the synthesized sidecar against a loopback HTTP server answering `metrics`
 * (null: nothing listens). The program is run as synthesized but for the port it dials (a host
 * cannot lend its own 9000 to a unit test); the e2e runs it unchanged inside the image.
 */
async function scrapeOnce(metrics: string | null, status = 200, scrapes = 1): Promise<{ stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "cluster-metrics-"));
  const server = createServer((_request, response) => response.writeHead(status, { "content-type": "text/plain" }).end(`${metrics ?? ""}\n`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  if (metrics === null) await new Promise((resolve) => server.close(resolve));
  try {
    // Nothing on PATH but sleep's stand-in: the program may start no other program (the image has no curl).
    const bin = new BinDir(join(dir, "bin"))
      // The loop's pause after the last scrape wanted ends the run (builtins only: PATH has nothing else).
      .script("sleep", `n=0; [[ -f ${dir}/sleeps ]] && read -r n < ${dir}/sleeps; echo $((n + 1)) > ${dir}/sleeps; if (( n + 1 >= ${scrapes} )); then kill -TERM "$PPID"; fi`);
    const sidecar = metricsSidecar(json);
    const program = sidecar.command.join("\n");
    expect(program.split(SCRAPED)).toHaveLength(2);
    const child = spawn("/bin/bash", [...sidecar.entryPoint.slice(1), program.replace(SCRAPED, `/dev/tcp/127.0.0.1/${port}`)], {
      env: { PATH: bin.path },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await new Promise((resolve) => child.once("close", resolve));
    clearTimeout(timer);
    return { stdout, stderr };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The series as Keycloak 26.7.3 printed it on /metrics in the e2e (two nodes; the lone node printed 1.0), with a neighbour. */
const REAL_SHAPE = [
  "# TYPE vendor_cluster_size gauge",
  "# HELP vendor_cluster_size Size of the cluster in number of nodes",
  'vendor_cluster_size{cache_manager="other",node="x"} 7.0',
  'vendor_cluster_size{cache_manager="keycloak",node="localhost-20471"} 2.0',
].join("\n");

describe("cluster-metrics sidecar", () => {
  test("runs the service's own image as a non-essential container with bash, a read-only root and a small memory limit, after Keycloak started", () => {
    const sidecar = metricsSidecar(json);
    const keycloak = JSON.parse(onlyResource(json, "aws_ecs_task_definition").container_definitions as string)[0];
    expect(sidecar).toMatchObject({
      name: SIDECAR_NAME,
      image: keycloak.image,
      essential: false,
      entryPoint: ["/bin/bash", "-c"],
      readonlyRootFilesystem: true,
      privileged: false,
      memory: 32,
      dependsOn: [{ containerName: "keycloak", condition: "START" }],
    });
    expect(sidecar.secrets).toBeUndefined();
    // ECS ContainerDefinition name: up to 255 letters, digits, hyphens and underscores, not empty.
    expect(sidecar.name).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
  });

  test("keeps scraping: one line per scrape, the loop never ends on its own", async () => {
    const { stdout } = await scrapeOnce(REAL_SHAPE, 200, 2);
    expect(stdout.trim().split("\n").map((line) => emfMetric(line).value)).toEqual([2, 2]);
  });

  // The names go into a JSON string and a printf format unescaped: only plain names pass, checked at both ends.
  test.each(['"k', 'k"', " k", "k ", "%k", "k%", "\nk", "k\n"])("refuses a cluster or service name %j", (name) => {
    expect(() => clusterMetricsScript({ clusterName: name, serviceName: "s" })).toThrow(`'${name}' is not a plain ECS name`);
    expect(() => clusterMetricsScript({ clusterName: "c", serviceName: name })).toThrow(`'${name}' is not a plain ECS name`);
  });

  test("its program holds no Terraform template sequence, so the task definition carries it unchanged", () => {
    const program = metricsSidecar(json).command.join("\n");
    expect(program.match(/\$\{|%\{/g)).toBeNull();
  });

  test("prints Keycloak's cache-manager view size as one EMF line, with the ECS cluster's and service's names as dimensions", async () => {
    const { stdout } = await scrapeOnce(REAL_SHAPE);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const metric = emfMetric(lines[0]);
    const service = onlyResource(json, "aws_ecs_service");
    const cluster = onlyResource(json, "aws_ecs_cluster");
    expect(metric).toEqual({
      namespace: CLUSTER_METRIC.namespace,
      metricName: CLUSTER_METRIC.metricName,
      unit: "Count",
      dimensions: { ClusterName: cluster.name, ServiceName: service.name },
      value: 2,
      timestamp: expect.any(Number),
    });
    expect(Math.abs(metric.timestamp - Date.now())).toBeLessThan(60_000);
  });

  test("prints nothing to the metric stream, and says why, when the series is missing, the answer is no 200 or Keycloak does not answer", async () => {
    const cases: [string | null, number][] = [['vendor_cluster_size{cache_manager="other"} 3.0', 200], [REAL_SHAPE, 503], [null, 200]];
    for (const [metrics, status] of cases) {
      const { stdout, stderr } = await scrapeOnce(metrics, status);
      expect(stdout).toBe("");
      expect(stderr).toContain(`${SIDECAR_NAME}: no vendor_cluster_size{cache_manager=\\"keycloak\\"} on :9000/metrics yet`.replace(/\\"/g, '"'));
    }
  });

  test("writes to a log group of its own, which the execution role may write and the task still has no role", () => {
    const sidecar = metricsSidecar(json);
    const group = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => String(g.name).endsWith(`/${SIDECAR_NAME}`));
    expect(group).toBeDefined();
    expect(sidecar.logConfiguration.options["awslogs-group"]).toBe(ref("aws_cloudwatch_log_group", group![0], "name"));
    const policies = Object.values(resourcesOf(json, "aws_iam_role_policy")).map((p) => String(p.policy));
    expect(policies.some((p) => p.includes(`${ref("aws_cloudwatch_log_group", group![0], "arn")}:*`))).toBe(true);
    expect(onlyResource(json, "aws_ecs_task_definition").task_role_arn).toBeUndefined();
  });
});

describe("cluster-split alarm", () => {
  test("fires when running tasks minus the smallest reported view is 1 or more, for alarmClusterSplitMinutes minutes, and when the sidecars fall silent", () => {
    const alarm = splitAlarm(json);
    expect(alarm).toMatchObject({ comparison_operator: "GreaterThanOrEqualToThreshold", threshold: 1, evaluation_periods: 5, treat_missing_data: "breaching" });
    expect(splitAlarm(synthStack({ alarmClusterSplitMinutes: 10 })).evaluation_periods).toBe(10);
    const [expression, ...metrics] = alarm.metric_query;
    expect(expression).toMatchObject({ id: "e", expression: "running - members", return_data: true });
    const service = { ClusterName: ref("aws_ecs_cluster", onlyResourceName(json, "aws_ecs_cluster"), "name"), ServiceName: ref("aws_ecs_service", onlyResourceName(json, "aws_ecs_service"), "name") };
    expect(metrics).toEqual([
      { id: "running", return_data: false, metric: { namespace: "ECS/ContainerInsights", metric_name: "RunningTaskCount", dimensions: service, stat: "Minimum", period: 60 } },
      { id: "members", return_data: false, metric: { namespace: CLUSTER_METRIC.namespace, metric_name: CLUSTER_METRIC.metricName, dimensions: service, stat: "Minimum", period: 60 } },
    ]);
  });
});
