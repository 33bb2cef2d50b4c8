import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HEALTH_READY_PATH, PORTS } from "../../modules/constants";
import { SETUP_SCRIPT_PATH } from "../../modules/database-setup/commands";
import { fetchOnce, type Endpoint } from "./browser";
import { resolveCommand } from "./command-stubs";
import { startMetadataServer, taskMetadataFor, type MetadataServer } from "./ecs-metadata";
import { JAVA_HOME, REPO_ROOT } from "./keycloak-dist";
import type { MariaDb } from "./mariadb";
import { NetworkNamespace } from "./netns";
import { setNamespaceHosts } from "./netns-extras";
import { runProcess } from "./run-process";
import type { SecretsManagerStub } from "./secrets-manager-stub";

/**
 * The pieces of the local Keycloak cluster: the stack's own task definition, a "VPC" of network
 * namespaces on one bridge (one namespace per task, like one ENI per Fargate task), the
 * database setup as the bastion runs it, Keycloak nodes started through the image's entrypoint,
 * and a client that polls through the proxy while nodes die.
 */

export const ENTRYPOINT = join(REPO_ROOT, "docker", "entrypoint.sh");
/** The stack whose task definition the nodes run. */
export const STACK = "keycloak-prod";

// ---- teardown -------------------------------------------------------------

/** What the guard undoes when the test process is gone: kill a process group or process, delete a namespace, link or directory. */
export type ResourceKind = "group" | "pid" | "netns" | "link" | "dir";

/** Hands out manifest entries; the returned function drops the entry once the resource is gone by itself. */
export interface Guard {
  track(kind: ResourceKind, value: string): () => void;
}

// Waits for the test process to end, then undoes the manifest's entries newest first.
const GUARD_SCRIPT = `
parent=$1 manifest=$2 ip=$3
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$manifest" ] || exit 0
tac "$manifest" | while read -r kind value; do
  case "$kind" in
    group) kill -KILL -- "-$value" 2>/dev/null ;;
    pid) kill -KILL "$value" 2>/dev/null ;;
    link) "$ip" link del "$value" 2>/dev/null ;;
    netns) "$ip" netns del "$value" 2>/dev/null ;;
    dir) rm -rf -- "$value" ;;
  esac
done
rm -f -- "$manifest"
`;

/**
 * Everything a test started, undone in reverse order by `run()` (afterAll). Jest hands test code
 * a copy of `process` whose signal listeners never fire, and a runner stopped by SIGINT, SIGTERM
 * or SIGKILL runs no afterAll; so a detached guard process watches the test process and, once it
 * is gone without `run()`, undoes what the manifest lists. Entries are dropped as soon as their
 * resource is gone, so the guard never signals a process ID that may have been reused.
 */
export class Teardown implements Guard {
  private readonly steps: { name: string; undo: () => void }[] = [];
  private readonly entries: { kind: ResourceKind; value: string }[] = [];
  private readonly manifest = join(tmpdir(), `kc-e2e-guard-${process.pid}-${Date.now()}.list`);
  private readonly guard: ChildProcess;

  constructor() {
    writeFileSync(this.manifest, "");
    this.guard = spawn(resolveCommand("bash"), ["-c", GUARD_SCRIPT, "guard", String(process.pid), this.manifest, resolveCommand("ip")], {
      detached: true,
      stdio: "ignore",
    });
    this.guard.unref();
  }

  /** An undo step for `run()`, and optionally what the guard undoes if the test process dies first. */
  add(name: string, undo: () => void, resource?: { kind: ResourceKind; value: string }): void {
    this.steps.push({ name, undo });
    if (resource !== undefined) this.track(resource.kind, resource.value);
  }

  track(kind: ResourceKind, value: string): () => void {
    const entry = { kind, value };
    this.entries.push(entry);
    this.writeManifest();
    return () => {
      const index = this.entries.indexOf(entry);
      if (index >= 0) {
        this.entries.splice(index, 1);
        this.writeManifest();
      }
    };
  }

  /** Runs every step (newest first) even when some fail, then stops the guard; returns the failures. */
  run(): string[] {
    const errors: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step.undo();
      } catch (error) {
        errors.push(`cleanup "${step.name}" failed: ${String(error)}`);
      }
    }
    killGroup(this.guard.pid, "SIGTERM");
    rmSync(this.manifest, { force: true });
    return errors;
  }

  private writeManifest(): void {
    // Replaced in one rename, so the guard never reads half a file.
    writeFileSync(`${this.manifest}.new`, this.entries.map((e) => `${e.kind} ${e.value}\n`).join(""));
    renameSync(`${this.manifest}.new`, this.manifest);
  }
}

/** Sends `signal` to a whole process group (a node is entrypoint, kc.sh and the JVM). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; the timeout error says what was awaited. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * A new directory for this run's logs under `root`, keeping the `keep` newest earlier runs for
 * inspection: test runs in parallel must not write into each other's files.
 */
export function runLogDir(root: string, keep = 4): string {
  mkdirSync(root, { recursive: true });
  const runs = readdirSync(root)
    .filter((name) => /^run-\d+-\d+$/.test(name))
    .sort((x, y) => Number(x.split("-")[1]) - Number(y.split("-")[1]));
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
  const dir = join(root, `run-${Date.now()}-${process.pid}`);
  mkdirSync(dir);
  return dir;
}

// ---- the stack's task definition -----------------------------------------

export interface TaskContainer {
  name: string;
  command: string[];
  environment: Record<string, string>;
  secrets: { name: string; valueFrom: string }[];
}

export interface SynthSettings {
  /** `vpcCidr` of the stack: the test network, so the proxy is a trusted one as the ALB is in the VPC. */
  vpcCidr: string;
  /** `hostname` of the stack: the name the proxy answers to. */
  hostname: string;
}

/**
 * Synthesizes the stack the way `cdktf synth` does (cdktf.json's `app`) into `outDir`, with the
 * test network's settings given as the documented KEYCLOAK_* variables, and returns the
 * Keycloak container of its ECS task definition.
 */
export function synthesizeTaskContainer(outDir: string, settings: SynthSettings): TaskContainer {
  const app = (JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string }).app;
  // Only this test's settings: a KEYCLOAK_* variable of the caller's shell would change the stack.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYCLOAK_")));
  execFileSync("sh", ["-c", app], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      CDKTF_OUTDIR: outDir,
      KEYCLOAK_ENVIRONMENTS: STACK.replace(/^keycloak-/, ""),
      KEYCLOAK_VPC_CIDR: settings.vpcCidr,
      KEYCLOAK_HOSTNAME: settings.hostname,
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });
  const json = JSON.parse(readFileSync(join(outDir, "stacks", STACK, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
  };
  const tasks = Object.values(json.resource?.aws_ecs_task_definition ?? {});
  if (tasks.length !== 1) throw new Error(`${STACK}: expected one aws_ecs_task_definition, found ${tasks.length}`);
  const containers = JSON.parse(tasks[0].container_definitions as string) as {
    name: string;
    command?: string[];
    environment?: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
  }[];
  if (containers.length !== 1) throw new Error(`${STACK}: expected one container definition, found ${containers.length}`);
  const [container] = containers;
  return {
    name: container.name,
    command: container.command ?? [],
    environment: Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value])),
    secrets: container.secrets ?? [],
  };
}

/** Host and port of a `jdbc:<kind>://host:port/...` URL. */
export function jdbcTarget(url: string): { host: string; port: number } {
  const m = /^jdbc:[a-z]+:\/\/([^/:?]+):(\d+)\//.exec(url);
  if (!m) throw new Error(`KC_DB_URL '${url}' is not jdbc:<db>://host:port/...`);
  return { host: m[1], port: Number(m[2]) };
}

/**
 * MariaDB stands in for RDS MySQL here, and Keycloak's `db=mysql` cannot use it: MariaDB 10.11
 * announces itself as version 5.5.5 (Hibernate's MySQL dialect wants 8.0+), and even with a faked
 * version MySQL Connector/J fails on the missing `transaction_isolation` variable. So the test
 * builds and runs Keycloak with `db=mariadb`, which Keycloak supports for MariaDB 10.11, and gives
 * the MariaDB driver its URL scheme. Host, port, database and parameters stay the task definition's.
 */
export const MARIADB_STAND_IN_OVERRIDES = { KC_DB: "mariadb" } as const;

export function forMariaDbStandIn(environment: Record<string, string>): Record<string, string> {
  return {
    ...environment,
    ...MARIADB_STAND_IN_OVERRIDES,
    KC_DB_URL: environment.KC_DB_URL.replace(/^jdbc:mysql:/, "jdbc:mariadb:"),
  };
}

/** A secret reference of the task definition: `<secret arn>:<json key>::`. */
export function parseSecretReference(valueFrom: string): { arn: string; jsonKey: string } {
  const m = /^(.+):([^:]*):([^:]*):([^:]*)$/.exec(valueFrom);
  if (!m || m[2] === "") throw new Error(`secret reference '${valueFrom}' is not <arn>:<json key>::`);
  return { arn: m[1], jsonKey: m[2] };
}

/** What ECS does with `secrets` at task start: each name gets the JSON key of the secret's current value. */
export function resolveSecrets(
  container: TaskContainer,
  arnFor: (reference: string) => string,
  stub: SecretsManagerStub,
): Record<string, string> {
  return Object.fromEntries(
    container.secrets.map((secret) => {
      const { arn, jsonKey } = parseSecretReference(secret.valueFrom);
      const value = (JSON.parse(stub.currentValue(arnFor(arn)) ?? "{}") as Record<string, string>)[jsonKey];
      if (typeof value !== "string") throw new Error(`secret ${arn} has no string "${jsonKey}" for ${secret.name}`);
      return [secret.name, value];
    }),
  );
}

// ---- network ---------------------------------------------------------------

export interface Host {
  namespace: NetworkNamespace;
  address: string;
}

/**
 * A /24 of 198.18.0.0/15 on a bridge in the host namespace (the bridge holds `.1`: the proxy and
 * the metadata stand-ins listen there). Each attached namespace gets one veth into the bridge,
 * named eth0 inside, and no default route: nothing can leave the test network.
 */
export class TestNetwork {
  readonly cidr: string;
  readonly gateway: string;
  readonly bridge: string;

  constructor(
    readonly subnet: string,
    private readonly teardown: Teardown,
  ) {
    this.cidr = `${subnet}.0/24`;
    this.gateway = `${subnet}.1`;
    this.bridge = `kce2e${process.pid}`.slice(0, 15);
    ip("link", "add", this.bridge, "type", "bridge");
    teardown.add(`bridge ${this.bridge}`, () => ip("link", "del", this.bridge), { kind: "link", value: this.bridge });
    ip("addr", "add", `${this.gateway}/24`, "dev", this.bridge);
    ip("link", "set", this.bridge, "up");
  }

  /** A namespace with address `<subnet>.<hostNumber>`; `hosts` (name to address) resolve inside it only. */
  attach(label: string, hostNumber: number, hosts: Record<string, string> = {}): Host {
    const namespace = NetworkNamespace.create(`kce2e-${label}`);
    this.teardown.add(`namespace ${namespace.name}`, () => namespace.delete(), { kind: "netns", value: namespace.name });
    const address = `${this.subnet}.${hostNumber}`;
    const hostSide = `kce${process.pid % 100000}${label}`.slice(0, 15);
    ip("link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", namespace.name);
    this.teardown.add(`veth ${hostSide}`, () => ipIgnoringFailure("link", "del", hostSide), { kind: "link", value: hostSide });
    ip("link", "set", hostSide, "master", this.bridge, "up");
    ip("-n", namespace.name, "addr", "add", `${address}/24`, "dev", "eth0");
    ip("-n", namespace.name, "link", "set", "eth0", "up");
    this.teardown.add(`hosts of ${namespace.name}`, setNamespaceHosts(namespace.name, hosts), {
      kind: "dir",
      value: `/etc/netns/${namespace.name}`,
    });
    return { namespace, address };
  }
}

function ip(...args: string[]): void {
  execFileSync(resolveCommand("ip"), args, { stdio: ["ignore", "ignore", "pipe"] });
}

function ipIgnoringFailure(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Gone with its namespace already.
  }
}

// ---- database setup --------------------------------------------------------

export interface DatabaseSetupOptions {
  bastion: Host;
  secrets: SecretsManagerStub;
  dbHost: string;
  dbPort: number;
  region: string;
  masterSecretArn: string;
  userSecretArn: string;
  adminSecretArn: string;
}

/** The project's setup script, run in the bastion's namespace with the stand-in `aws` first on PATH. */
export async function runDatabaseSetup(options: DatabaseSetupOptions): Promise<string> {
  const argv = options.bastion.namespace.command([
    resolveCommand("bash"),
    SETUP_SCRIPT_PATH,
    "--db-host",
    options.dbHost,
    "--db-port",
    String(options.dbPort),
    "--master-secret-arn",
    options.masterSecretArn,
    "--user-secret-arn",
    options.userSecretArn,
    "--admin-secret-arn",
    options.adminSecretArn,
    "--region",
    options.region,
    "--interval-seconds",
    "1",
  ]);
  const result = await runProcess(argv[0], argv.slice(1), {
    env: { PATH: `${options.secrets.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root", LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
  if (result.code !== 0 || !/^database keycloak ready$/m.test(result.stdout)) {
    throw new Error(`keycloak-db-setup.sh failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Rows of JGROUPS_PING, the JDBC_PING2 discovery table Keycloak keeps in its database. */
export interface PingRow {
  /** The address peers dial, `ip:port`. */
  ip: string;
  /** The node's JGroups name. */
  name: string;
  coord: string;
}

export function jgroupsPingRows(db: MariaDb, database: string): PingRow[] {
  return db
    .query(`SELECT ip, name, coord FROM \`${database}\`.JGROUPS_PING ORDER BY ip;`)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [ip, name, coord] = line.split("\t");
      return { ip, name, coord };
    });
}

// ---- Keycloak nodes ----------------------------------------------------------

export interface ClusterView {
  size: number;
  members: string[];
}

export interface NodeStart {
  startedAt: number;
  readyAt?: number;
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
    const argv = this.options.host.namespace.command([resolveCommand("bash"), ENTRYPOINT, ...command]);
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
      if (!this.running) throw new Error(`${this.name} exited during start-up; log tail:\n${this.logTail(40)}`);
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

  /** SIGKILL to the whole task (entrypoint, kc.sh and the JVM), as when a Fargate task dies. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.waitGone(15_000);
  }

  /** SIGTERM, as ECS stops a task; SIGKILL after its stopTimeout. */
  async stop(stopTimeoutMs = 60_000): Promise<void> {
    this.signal("SIGTERM");
    try {
      await this.waitGone(stopTimeoutMs);
    } catch {
      await this.kill();
    }
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

/** The environment of a node: the task definition's, its secrets, and what the machine needs. */
export function nodeEnvironment(
  taskEnvironment: Record<string, string>,
  secrets: Record<string, string>,
  home: string,
  heap: string,
): Record<string, string> {
  return {
    ...taskEnvironment,
    ...secrets,
    // The image puts /opt/keycloak/bin on PATH; the entrypoint also needs curl and jq.
    PATH: `${join(home, "bin")}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    JAVA_HOME,
    JAVA_OPTS_KC_HEAP: heap,
    HOME: join(home, ".."),
    TMPDIR: join(home, "..", "tmp"),
    LANG: "C.UTF-8",
  };
}

// ---- background client --------------------------------------------------------

export interface PollResult {
  requests: number;
  failed: number;
  /** The first few failures, for the report. */
  failures: string[];
  /** Whether the last few requests all succeeded: the service is back. */
  recovered: boolean;
}

/** A client that requests `url` through the proxy every `intervalMs` (at most `maxRequests` times) until stopped. */
export class Poller {
  private stopped = false;
  private readonly outcomes: boolean[] = [];
  private readonly failures: string[] = [];
  private readonly loop: Promise<void>;

  constructor(url: string, endpoint: Endpoint, intervalMs = 200, maxRequests = 3_000) {
    this.loop = (async () => {
      while (!this.stopped && this.outcomes.length < maxRequests) {
        const started = Date.now();
        try {
          const response = await fetchOnce(url, endpoint, { timeoutMs: 5_000 });
          const ok = response.status === 200;
          this.outcomes.push(ok);
          if (!ok && this.failures.length < 5) this.failures.push(`HTTP ${response.status}`);
        } catch (error) {
          this.outcomes.push(false);
          if (this.failures.length < 5) this.failures.push((error as Error).message);
        }
        await sleep(Math.max(0, intervalMs - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<PollResult> {
    this.stopped = true;
    await this.loop;
    const tail = this.outcomes.slice(-5);
    return {
      requests: this.outcomes.length,
      failed: this.outcomes.filter((ok) => !ok).length,
      failures: this.failures,
      recovered: tail.length > 0 && tail.every((ok) => ok),
    };
  }
}

/**
 * Seconds until every node's latest cluster view lists exactly these nodes (by their current
 * JGroups names): a restarted node has joined and the others have seen it join.
 */
export async function waitForCluster(nodes: KeycloakNode[], timeoutMs: number): Promise<void> {
  const describe = () =>
    nodes.map((node) => `${node.name}=${node.localName() ?? "?"} view ${JSON.stringify(node.views().at(-1)?.members ?? [])}`).join("; ");
  try {
    await waitFor(`a cluster view of ${nodes.length}`, timeoutMs, () => {
      const names = nodes.map((node) => node.localName());
      if (names.some((name) => name === undefined)) return undefined;
      const expected = [...names].sort().join(",");
      return nodes.every((node) => [...(node.views().at(-1)?.members ?? [])].sort().join(",") === expected) ? true : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message} (${describe()})`);
  }
}

export interface ClusterCheck {
  ok: boolean;
  detail: string;
}

/**
 * The harness's verdict on whether `members` form one working cluster: every member's latest view
 * lists exactly the members, and every member's JGROUPS_PING row holds the task address its peers
 * dial (a node bound to another address cannot be reached, whatever its views say).
 */
export function clusterCheck(members: KeycloakNode[], rows: PingRow[]): ClusterCheck {
  const names = members.map((node) => node.localName() ?? `${node.name}?`);
  const expected = [...names].sort().join(",");
  const problems: string[] = [];
  for (const node of members) {
    const view = [...(node.views().at(-1)?.members ?? [])].sort().join(",");
    if (view !== expected) problems.push(`${node.name} sees [${view}]`);
    const row = rows.find((r) => r.name === node.localName());
    const routable = `${node.address}:${PORTS.jgroups}`;
    if (row?.ip !== routable) problems.push(`${node.name} registered ${row?.ip ?? "no row"}, not ${routable}`);
  }
  return problems.length === 0
    ? { ok: true, detail: `one cluster of ${members.length}: [${expected}]` }
    : { ok: false, detail: problems.join("; ") };
}
