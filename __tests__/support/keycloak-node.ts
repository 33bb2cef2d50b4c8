import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HEALTH_READY_PATH, PORTS } from "../../modules/shared/constants";
import { fetchOnce } from "../../tools/keycloak-http/browser";
import { resolveCommand } from "./command-stubs";
import { startMetadataServer, taskMetadataFor, type MetadataServer } from "./ecs-metadata";
import type { ImageContainer } from "./image-runner";
import { JAVA_HOME, REPO_ROOT } from "../../tools/keycloak-dist";
import { withCgroupsMounted, type TaskCgroup } from "./task-cgroup";
import { freezeContainer, stopContainer, type StopOutcome } from "./ecs-stop";
import { healthCheckArgv, runHealthCheck } from "./container-health";
import { groupAlive, killGroup, type Guard } from "./teardown";
import type { Host } from "./test-network";
import { sleep, waitFor } from "./waiting";

/** A Keycloak "task": the image's entrypoint in its own namespace and its own Fargate-sized cgroup. */

export const ENTRYPOINT = join(REPO_ROOT, "docker", "entrypoint.sh");

export interface ClusterView {
  size: number;
  members: string[];
}

export interface NodeStart {
  startedAt: number;
  readyAt?: number;
}

/** What the JVM inside a node reports about its own resources (Keycloak's /metrics). */
export interface JvmView {
  /** `system_cpu_count`: Runtime.availableProcessors(). */
  processors: number;
  /** Sum of `jvm_memory_max_bytes{area="heap"}` over the heap pools that have a maximum. */
  heapMaxBytes: number;
}

export interface KeycloakNodeOptions {
  name: string;
  host: Host;
  home: string;
  logFile: string;
  /** The whole environment of the node, apart from its metadata endpoint. */
  environment: Record<string, string>;
  metadataHost: string;
  containerName: string;
  /** Kills the node's processes if the test process dies without cleaning up. */
  guard: Guard;
  /** The node's task-sized cgroup: every start runs in it, as a Fargate task runs in its own. */
  cgroup: TaskCgroup;
  /**
   * Run from the built image's filesystem (image-runner.ts) instead of the distribution in `home`
   * with docker/entrypoint.sh; `environment` is then the container's (ImageContainer.environment).
   */
  image?: ImageContainer;
}

/** One Keycloak "task": the image's entrypoint in its own namespace, with its own task metadata endpoint. */
export class KeycloakNode {
  readonly starts: NodeStart[] = [];
  private child?: ChildProcess;
  /** Set once every process of the latest start is gone: from then on its group ID may be reused and is never signalled. */
  private groupGone = true;
  private logOffset = 0;
  private metadata?: MetadataServer;

  constructor(private readonly options: KeycloakNodeOptions) {}

  get name(): string {
    return this.options.name;
  }

  get address(): string {
    return this.options.host.address;
  }

  /** Name of the node's network namespace (its "ENI"). */
  get namespace(): string {
    return this.options.host.namespace.name;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  get cgroup(): TaskCgroup {
    return this.options.cgroup;
  }

  /** The image container the node runs in, when it runs from the image. */
  get image(): ImageContainer | undefined {
    return this.options.image;
  }

  /** `argv` inside the node's network namespace, with the cgroup hierarchies visible. */
  namespaceCommand(argv: string[]): string[] {
    return this.options.host.namespace.command(withCgroupsMounted(argv));
  }

  get running(): boolean {
    return !this.groupGone;
  }

  /** Starts the node as ECS starts a task: entrypoint + `command` of the task definition. */
  async start(command: string[], extraEnvironment: Record<string, string> = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.metadata ??= await startMetadataServer({
      task: taskMetadataFor(this.address, this.options.containerName),
      host: this.options.metadataHost,
    });
    mkdirSync(join(this.options.home, "..", "tmp"), { recursive: true });
    this.logOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    writeFileSync(this.logFile, `\n===== ${this.name} start #${this.starts.length + 1} at ${new Date().toISOString()} =====\n`, {
      flag: "a",
    });
    const env = {
      ...this.options.environment,
      ECS_CONTAINER_METADATA_URI_V4: this.metadata.uri,
      ...extraEnvironment,
    };
    const { image } = this.options;
    image?.freshVolumes();
    const task = image?.start(command) ?? [resolveCommand("bash"), ENTRYPOINT, ...command];
    // Joins the task's cgroup before entering the namespace, whose fresh /sys then gets the cgroup mounts back.
    const argv = this.cgroup.wrap(this.namespaceCommand(task));
    const log = openSync(this.logFile, "a");
    this.child = spawn(argv[0], argv.slice(1), { env, detached: true, stdio: ["ignore", log, log], cwd: join(this.options.home, "..") });
    closeSync(log);
    const pid = this.child.pid;
    if (pid !== undefined) {
      this.groupGone = false;
      const untrack = this.options.guard.track("group", String(pid));
      // The group outlives its leader while the JVM that kc.sh started is still exiting.
      this.child.once("exit", async () => {
        while (groupAlive(pid)) await sleep(100);
        this.groupGone = true;
        untrack();
      });
    }
    this.starts.push({ startedAt: Date.now() });
  }

  /** Seconds from start to the first 200 from /health/ready on the management port. */
  async waitReady(timeoutMs: number): Promise<number> {
    const start = this.starts[this.starts.length - 1];
    await waitFor(`${this.name} (${this.address}) to be ready`, timeoutMs, async () => {
      if (!this.running) {
        // A node the kernel killed for its memory limit says so first.
        this.cgroup.assertWithinLimit(this.name);
        throw new Error(`${this.name} exited during start-up; log tail:\n${this.logTail(40)}`);
      }
      return (await this.ready()) ? true : undefined;
    });
    start.readyAt = Date.now();
    return (start.readyAt - start.startedAt) / 1000;
  }

  async ready(): Promise<boolean> {
    try {
      const response = await fetchOnce(`http://${this.address}:${PORTS.management}${HEALTH_READY_PATH}`, { address: this.address }, { timeoutMs: 2_000 });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** The processor count and heap limit the node's JVM reports on its management port. */
  async jvmView(): Promise<JvmView> {
    const response = await fetchOnce(`http://${this.address}:${PORTS.management}/metrics`, { address: this.address }, { timeoutMs: 5_000 });
    if (response.status !== 200) throw new Error(`${this.name} /metrics answered ${response.status}`);
    return parseJvmView(response.body);
  }

  /** SIGKILL to the whole task (entrypoint, kc.sh and the JVM), as when a Fargate task dies. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.waitGone(15_000);
  }

  /**
   * As ECS stops a task (ecs-stop.ts): SIGTERM to the container's PID 1 only (the entrypoint,
   * which must pass it on to Keycloak), SIGKILL to all that is left after its stopTimeout.
   */
  async stop(stopTimeoutMs = 60_000): Promise<StopOutcome> {
    const pid = this.child?.pid;
    if (this.groupGone || pid === undefined) return { exitMs: 0, killed: false };
    const outcome = await stopContainer(pid, stopTimeoutMs);
    await this.waitGone(15_000);
    return outcome;
  }

  /** Freezes (SIGSTOP) or thaws every process of the task: a hung task, which does not exit. */
  freeze(frozen = true): void {
    if (!this.groupGone && this.child?.pid !== undefined) freezeContainer(this.child.pid, frozen);
  }

  /**
   * The container's health check `command` (the task definition's), as ECS runs it in the
   * container: in the task's network namespace, so its 127.0.0.1 is the task's own loopback.
   */
  healthCheck(command: string[], timeoutMs: number): Promise<boolean> {
    return runHealthCheck(this.options.host.namespace.command(healthCheckArgv(command)), timeoutMs);
  }

  killNow(): void {
    this.signal("SIGKILL");
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.groupGone) killGroup(this.child?.pid, signal);
  }

  closeMetadata(): Promise<void> {
    return this.metadata?.close() ?? Promise.resolve();
  }

  /** Whether a TCP connection to `address` (`ip:port`) succeeds from inside this node's namespace. */
  canDial(address: string): boolean {
    const [host, port] = address.split(":");
    const argv = this.options.host.namespace.command([resolveCommand("bash"), "-c", 'exec 3<>"/dev/tcp/$1/$2"', "bash", host, port]);
    return spawnSync(argv[0], argv.slice(1), { stdio: "ignore", timeout: 5_000 }).status === 0;
  }

  /** Cluster views (ISPN000094, or ISPN000093 after a merge) this node logged since its latest start. */
  views(): ClusterView[] {
    const text = this.currentLog();
    const views: ClusterView[] = [];
    // A merge after a split is logged as `MERGED cluster view for channel ISPN: MergeView::[...`.
    const pattern = /ISPN00009[34]: Received new(?:, MERGED)? cluster view for channel \S+: (?:MergeView::)?\[[^\]]*\] \((\d+)\) \[([^\]]*)\]/g;
    for (const m of text.matchAll(pattern)) {
      // Members are listed with their JGroups version, e.g. `localhost-20204(v=16.0.14)`.
      views.push({ size: Number(m[1]), members: m[2].split(",").map((s) => s.trim().replace(/\(v=[^)]*\)$/, "")) });
    }
    return views;
  }

  /** Size of the latest cluster view since the latest start, 0 before the first. */
  clusterSize(): number {
    const views = this.views();
    return views.length === 0 ? 0 : views[views.length - 1].size;
  }

  /** The node's JGroups name since its latest start (ISPN000079), which cluster views list. */
  localName(): string | undefined {
    return /ISPN000079: Channel `?[^`\s]+`? local address is `?([^`,\s]+)`?/.exec(this.currentLog())?.[1];
  }

  currentLog(): string {
    if (!existsSync(this.logFile)) return "";
    return readFileSync(this.logFile).subarray(this.logOffset).toString("utf8");
  }

  logTail(lines: number): string {
    if (!existsSync(this.logFile)) return "(no log)";
    return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
  }

  private async waitGone(timeoutMs: number): Promise<void> {
    await waitFor(`${this.name}'s processes to exit`, timeoutMs, () => (this.groupGone ? true : undefined), 100);
  }
}

/** Reads `system_cpu_count` and the heap pools' `jvm_memory_max_bytes` from Prometheus text. */
export function parseJvmView(metrics: string): JvmView {
  const processors = /^system_cpu_count(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(metrics);
  if (processors === null) throw new Error("/metrics has no system_cpu_count");
  let heapMaxBytes = 0;
  for (const m of metrics.matchAll(/^jvm_memory_max_bytes\{([^}]*)\} ([0-9.eE+-]+)$/gm)) {
    // G1's eden and survivor pools report -1 (no own maximum); the old generation holds the heap's.
    // The serial and parallel collectors give each generation's pool a maximum, and their young
    // generation holds two survivor spaces where the pool reports one: it counts twice.
    if (/area="heap"/.test(m[1]) && Number(m[2]) > 0) heapMaxBytes += Number(m[2]) * (/id="(PS )?Survivor Space"/.test(m[1]) ? 2 : 1);
  }
  if (heapMaxBytes === 0) throw new Error('/metrics has no jvm_memory_max_bytes{area="heap"} with a maximum');
  return { processors: Number(processors[1]), heapMaxBytes };
}

/**
 * The environment of a node: the task definition's, its secrets, and what the machine needs.
 * `heap` sets JAVA_OPTS_KC_HEAP; without it kc.sh's container default applies (70 % of the
 * cgroup's memory limit), as in the image.
 */
export function nodeEnvironment(
  taskEnvironment: Record<string, string>,
  secrets: Record<string, string>,
  home: string,
  heap?: string,
): Record<string, string> {
  return {
    ...taskEnvironment,
    ...secrets,
    // The image puts /opt/keycloak/bin on PATH (the distribution runtime: the host's programs, not the image's).
    PATH: `${join(home, "bin")}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    JAVA_HOME,
    // Set by the official image the Dockerfile builds on: kc.sh then sizes the heap from the
    // container's memory limit instead of its bare-metal default of -Xmx512m.
    KC_RUN_IN_CONTAINER: "true",
    ...(heap === undefined ? {} : { JAVA_OPTS_KC_HEAP: heap }),
    HOME: join(home, ".."),
    TMPDIR: join(home, "..", "tmp"),
    LANG: "C.UTF-8",
  };
}
