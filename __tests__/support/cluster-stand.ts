import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Endpoint } from "../../tools/keycloak-http/browser";
import { proxyRulesOfSynth } from "../../policy/alb-rules";
import { ClusterSummary } from "./cluster-summary";
import { waitForCluster } from "./cluster-checks";
import { caBundleUrl, databaseTls, withDatabaseEndpoint, type TestCa } from "./database-tls";
import { ecsTimingsOfSynth, type EcsTimings } from "./ecs-timings";
import { Haproxy, makeCertificate } from "./haproxy";
import { deregisterTarget, registerTarget } from "./ecs-lifecycle";
import { KEYCLOAK_VERSION } from "../../modules/shared/constants";
import { REPO_ROOT, type KeycloakDist } from "../../tools/keycloak-dist";
import type { Realm } from "./keycloak-login";
import { KeycloakNode } from "./keycloak-node";
import { DnsServer } from "./dns-server";
import { MariaDb, sqlString, type MariaDbTls } from "./mariadb";
import { NodeRuntime, type RuntimeKind } from "./node-runtime";
import { freeTestSubnet } from "./netns-extras";
import { SecretsManagerStub } from "./secrets-manager-stub";
import { setUpTaskSecrets } from "./rds-stand-in";
import {
  forMariaDbStandIn,
  jdbcTarget,
  MARIADB_STAND_IN_OVERRIDES,
  resolveSecrets,
  STACK,
  synthesizeTaskContainers,
  type TaskContainer,
  vpcCidrAround,
} from "./task-definition";
import { taskCgroupFor } from "./task-cgroup";
import { runLogDir, Teardown } from "./teardown";
import { TempDirs } from "./temp-dir";
import { TestNetwork, type DatabaseAccess, type Host } from "./test-network";
import { waitFor } from "./waiting";

/**
 * The lifecycle driver of the cluster e2e: builds the stand (synthesized task definitions, test
 * network, database set up by the bastion's script, Fargate-sized Keycloak nodes, the ALB-like
 * proxy), starts and stops nodes with the summary's bookkeeping, and takes it all down again.
 * The scenarios live in __tests__/e2e/cluster.test.ts.
 */

/** The stack's `hostname` for this test: the proxy answers to it on 443. */
export const PUBLIC_HOSTNAME = "keycloak.e2e.test";
/** The dev profile's stack: its smaller task size runs the negative control's node. */
export const DEV_STACK = "keycloak-dev";
const REGION = "eu-west-1";
const LOG_ROOT = join(REPO_ROOT, ".cache", "e2e-logs");
export const SUMMARY_FILE = join(REPO_ROOT, ".cache", "e2e-summary.md");
const MIB = 1024 * 1024;
/** What Terraform puts in for the RDS endpoint; the test database's certificate names it. */
const DB_ENDPOINT = "keycloak-prod-db.rds.e2e.test";

/** How long the target group lets a target fail its health check before it takes it out. */
const unhealthyWindowMs = (t: EcsTimings) => t.healthCheck.intervalMs * t.healthCheck.unhealthyThreshold;

export interface StandNodes {
  a: KeycloakNode;
  b: KeycloakNode;
  c: KeycloakNode;
  /** Only on an ECS stand: the fourth task a deploy with a larger surge would need. */
  d?: KeycloakNode;
}

export interface StandOptions {
  /**
   * The ECS stand-in (ecs-lifecycle.ts): four service-sized nodes, all targets of a proxy that runs
   * the synthesized target group's health check and stickiness, none registered until started.
   * @default false: nodes a and b are the targets, node-c has the dev task size
   */
  ecs?: boolean;
  /**
   * What the nodes run (node-runtime.ts). An upgrade swaps a node's release, which only the
   * distribution runtime can: the image is built for one release.
   * @default runtimeKind(): the image, unless KEYCLOAK_E2E_RUNTIME=dist
   */
  runtime?: RuntimeKind;
  /**
   * Without `ecs`: the proxy fails a target only after the synthesized target group's unhealthy
   * window (interval x unhealthy threshold), as the ALB does, so a survivor whose readiness
   * Keycloak's cluster health check takes down for a while after its peer left stays in service.
   * @default false: HEALTH_CHECK's fast fall (the cluster e2e bounds its disruptions by it)
   */
  albUnhealthyWindow?: boolean;
  /**
   * The database's endpoint name resolves through the stand's DNS server (dns-server.ts, RDS's
   * 5 s TTL) instead of each namespace's hosts file, so a failover can move it (rds-failover.ts);
   * the database's certificate also names the standby's address.
   * @default false: the name is in the hosts files, fixed
   */
  databaseDns?: boolean;
  /**
   * A change to the synthesized task environment before any node starts: a setting taken out on
   * purpose, to show the e2e notices.
   * @default the synthesized environment as it is
   */
  taskEnvironment?: (environment: Record<string, string>) => Record<string, string>;
}

/** The database's stand-in as a failover needs it: where it runs, its files, its standby's address. */
export interface DatabaseStandIn {
  /** The primary's namespace and first address; the standby's address is added to the same namespace. */
  host: Host;
  standbyAddress: string;
  /** The endpoint name the task definition's KC_DB_URL holds. */
  endpoint: string;
  port: number;
  dir: string;
  tls: MariaDbTls;
  dns: DnsServer;
}

/** The standby's host number in the stand's /24 (the primary is .2, the bastion .3, the tasks .11-.14). */
const STANDBY_HOST_NUMBER = 5;

export class ClusterStand {
  readonly teardown = new Teardown();
  private readonly tempDirs = new TempDirs();
  private readonly startedAt = Date.now();
  private untrackDb = () => {};
  dist?: KeycloakDist;
  runtime?: NodeRuntime;
  /** The prod task definition (the service's nodes) and the dev one (the negative control's node). */
  container!: TaskContainer;
  devContainer!: TaskContainer;
  network!: TestNetwork;
  db!: MariaDb;
  proxy!: Haproxy;
  proxyEndpoint!: Endpoint;
  nodes!: StandNodes;
  realm!: Realm;
  /** Where the stand's stacks were synthesized (cdktf's out dir): the scenarios read the stack from there. */
  synthDir!: string;
  /** The synthesized target group's, service's and container's timings (ECS stands only). */
  ecsTimings?: EcsTimings;
  /** The same timings on every stand: what a graceful stop (ECS's StopTask) waits for. */
  serviceTimings!: EcsTimings;
  logDir = LOG_ROOT;
  /** The database as the bastion reaches it, and the secrets. Set by build(). */
  database!: DatabaseAccess;
  /** The task's secrets as ECS resolves them when a task starts: the secrets' current values. */
  taskSecrets: () => Record<string, string> = () => ({});
  /** With `databaseDns`: what a failover moves. */
  failoverDatabase?: DatabaseStandIn;
  /** Targets deregistered because their task stopped (crash), registered again by their next start. */
  private readonly deregistered = new Set<string>();

  /** Builds a node of this stand for a distribution; set by build() (upgrades swap a node's distribution). */
  private nodeFactory?: (key: keyof StandNodes, dist: KeycloakDist) => KeycloakNode;

  /**
   * `summaryFile`: where tearDown writes the run's markdown summary. @default SUMMARY_FILE
   * `version`: the Keycloak release the nodes start with. @default KEYCLOAK_VERSION
   */
  constructor(
    readonly summary: ClusterSummary,
    private readonly summaryFile = SUMMARY_FILE,
    private readonly version = KEYCLOAK_VERSION,
  ) {
    this.teardown.add("temporary directories", () => this.tempDirs.removeAll());
  }

  async build(options: StandOptions = {}): Promise<void> {
    this.logDir = runLogDir(LOG_ROOT);
    const work = this.tempDirs.make("kc-e2e-");
    this.teardown.track("dir", work);

    this.runtime = await NodeRuntime.prepare(MARIADB_STAND_IN_OVERRIDES, this.version, options.runtime);
    this.dist = this.runtime.dist;
    this.summary.notes.push(
      this.dist.built ? `Built the distribution in ${this.dist.buildSeconds.toFixed(0)} s.` : "Reused the cached built distribution.",
      this.runtime.describe(),
      `Build and run with ${JSON.stringify(MARIADB_STAND_IN_OVERRIDES)} and a jdbc:mariadb: URL: MariaDB stands in for MySQL (see MARIADB_STAND_IN_OVERRIDES).`,
    );

    const subnet = freeTestSubnet();
    const synthDir = join(work, "synth");
    this.synthDir = synthDir;
    // The test's client is the host side of the bridge (the gateway address): an admin source,
    // since the scenarios log in as the master realm's admin through the proxy.
    const synthesized = synthesizeTaskContainers(
      synthDir,
      { vpcCidr: vpcCidrAround(subnet), hostname: PUBLIC_HOSTNAME, env: { KEYCLOAK_ADMIN_ALLOWED_CIDRS: `${subnet}.1/32` } },
      [STACK, DEV_STACK],
    );
    const environment = forMariaDbStandIn(withDatabaseEndpoint(synthesized[STACK].environment, DB_ENDPOINT));
    this.container = { ...synthesized[STACK], environment: options.taskEnvironment?.(environment) ?? environment };
    this.devContainer = synthesized[DEV_STACK];
    const { host: dbHost, port: dbPort } = jdbcTarget(this.container.environment.KC_DB_URL);

    this.network = new TestNetwork(subnet, this.teardown);
    const dbNet = this.network.attach("db", 2);
    const standbyAddress = `${subnet}.${STANDBY_HOST_NUMBER}`;
    const dns = options.databaseDns ? await DnsServer.start(this.network.gateway) : undefined;
    if (dns !== undefined) {
      this.teardown.add("dns server", () => void dns.close());
      dns.set(dbHost, dbNet.address);
    }
    // The endpoint in each namespace's hosts file, or asked of the stand's DNS server.
    const attach = (label: string, hostNumber: number) =>
      dns === undefined ? this.network.attach(label, hostNumber, { [dbHost]: dbNet.address }) : this.network.attach(label, hostNumber, {}, dns.address);
    const bastion = attach("bastion", 3);
    const taskHosts: Partial<Record<keyof StandNodes, Host>> = {
      a: attach("node-a", 11),
      b: attach("node-b", 12),
      c: attach("node-c", 13),
      ...(options.ecs ? { d: attach("node-d", 14) } : {}),
    };

    const dbDir = join(work, "mariadb");
    // TLS from a test CA with require_secure_transport=ON, as the stack's RDS parameter group has it.
    const dbTls = databaseTls(join(work, "db-tls"), { dns: [dbHost], ips: dns === undefined ? [dbNet.address] : [dbNet.address, standbyAddress] }, this.runtime.databaseCa);
    this.db = await MariaDb.start({ workDir: dbDir, address: dbNet.address, port: dbPort, netns: dbNet.namespace.name, tls: dbTls.tls });
    this.trackDatabase(this.db);
    if (dns !== undefined) this.failoverDatabase = { host: dbNet, standbyAddress, endpoint: dbHost, port: dbPort, dir: dbDir, tls: dbTls.tls, dns };

    const secretValues = await this.setUpDatabase(work, bastion, dbHost, dbPort, dbTls.ca);
    this.realm = {
      issuer: `https://${PUBLIC_HOSTNAME}/realms/master`,
      accountUrl: `https://${PUBLIC_HOSTNAME}/realms/master/account/`,
      admin: { username: secretValues.KC_BOOTSTRAP_ADMIN_USERNAME, password: secretValues.KC_BOOTSTRAP_ADMIN_PASSWORD },
    };

    const certificate = makeCertificate(work, PUBLIC_HOSTNAME);
    this.proxyEndpoint = { address: this.network.gateway, ca: certificate.certPem };
    const makeNode = (name: string, host: Host, task: TaskContainer, dist?: KeycloakDist) => {
      // No heap option: kc.sh's container default (70 % of the cgroup's limit) applies, as in the image.
      const files = this.runtime!.node(name, work, dbTls.ca, this.container.environment, secretValues, undefined, dist);
      // A task of another release is a new task: its own cgroup, next to the stopped one's.
      const cgroup = taskCgroupFor(dist === undefined || dist === this.dist ? name : `${name}-${dist.version}`, task, this.teardown);
      this.summary.sizingOf(name, cgroup.describe());
      return new KeycloakNode({
        name,
        host,
        home: files.home,
        image: files.image,
        logFile: join(this.logDir, `${name}.log`),
        environment: files.environment,
        metadataHost: this.network.gateway,
        containerName: this.container.name,
        guard: this.teardown,
        cgroup,
      });
    };
    this.nodes = {
      a: makeNode("node-a", taskHosts.a!, this.container),
      b: makeNode("node-b", taskHosts.b!, this.container),
      c: makeNode("node-c", taskHosts.c!, options.ecs ? this.container : this.devContainer),
      ...(taskHosts.d ? { d: makeNode("node-d", taskHosts.d, this.container) } : {}),
    };
    for (const node of Object.values(this.nodes)) this.teardown.add(node.name, () => node.killNow());
    this.nodeFactory = (key, dist) =>
      makeNode(this.nodes[key]!.name, taskHosts[key]!, key === "c" && !options.ecs ? this.devContainer : this.container, dist);

    this.serviceTimings = ecsTimingsOfSynth(synthDir, STACK);
    this.ecsTimings = options.ecs ? this.serviceTimings : undefined;
    this.proxy = await Haproxy.start({
      dir: work,
      bindAddress: this.network.gateway,
      bindPort: 443,
      certificate,
      // Only the service's tasks are targets; node-c is the negative control outside the service, except on an ECS stand.
      backends: (options.ecs ? Object.values(this.nodes) : [this.nodes.a, this.nodes.b]).map((node) => ({ name: node.name, address: node.address })),
      frontendRules: proxyRulesOfSynth(synthDir, STACK),
      ...(this.ecsTimings ? { targetGroup: this.ecsTimings, registered: [] } : {}),
      ...(options.albUnhealthyWindow && !options.ecs ? { unhealthyAfterMs: unhealthyWindowMs(this.serviceTimings) } : {}),
    });
    this.teardown.add("haproxy", () => this.proxy.kill(), { kind: "group", value: String(this.proxy.pid) });
  }

  /**
   * What RDS and Terraform leave behind (a master user whose password is in a managed secret, the
   * two Keycloak secrets without a value), then the bastion's setup script; returns the task's
   * secrets as ECS would resolve them.
   */
  private async setUpDatabase(work: string, bastion: Host, dbHost: string, dbPort: number, ca: TestCa): Promise<Record<string, string>> {
    const masterPassword = randomBytes(24).toString("base64url");
    this.db.query(`CREATE USER 'kcadmin'@'%' IDENTIFIED BY ${sqlString(masterPassword)};
              GRANT ALL PRIVILEGES ON *.* TO 'kcadmin'@'%' WITH GRANT OPTION;`);
    const secrets = new SecretsManagerStub(join(work, "aws"));
    const masterSecretArn = `arn:aws:secretsmanager:${REGION}:123456789012:secret:rds!db-e2e-${randomBytes(3).toString("hex")}`;
    secrets.createSecret(masterSecretArn, { username: "kcadmin", password: masterPassword });
    const { secretValues, arnFor, userSecretArn } = await setUpTaskSecrets({ container: this.container, secrets, bastion, dbHost, dbPort, ca, region: REGION, masterSecretArn });
    this.database = { secrets, bastion, dbHost, dbPort, caBundleUrl: caBundleUrl(ca), region: REGION, masterSecretArn, userSecretArn };
    this.taskSecrets = () => resolveSecrets(this.container, arnFor, secrets);
    return secretValues;
  }

  /** The stand's database is now `db` (a failover's standby): the teardown kills its process. */
  trackDatabase(db: MariaDb): void {
    this.untrackDb();
    this.db = db;
    // `ip netns exec` execs, so the pid file names the process the test started.
    this.untrackDb = this.teardown.track("pid", readFileSync(join(db.socket, "..", "mariadb.pid"), "utf8").trim());
  }

  /** The node in slot `key`; throws for the optional slot when this stand has none there. */
  node(key: keyof StandNodes): KeycloakNode {
    const node = this.nodes[key];
    if (node === undefined) throw new Error(`this stand has no node-${key} (only an ECS stand has node-d)`);
    return node;
  }

  /**
   * Replaces a stopped node by one of another Keycloak distribution on the same address (a task of
   * a new task definition): its own home of that release, the same environment and secrets.
   */
  async switchDistribution(key: keyof StandNodes, dist: KeycloakDist): Promise<KeycloakNode> {
    const old = this.node(key);
    if (old.running) throw new Error(`${old.name} still runs; stop it before switching its distribution`);
    await old.closeMetadata();
    const node = this.nodeFactory!(key, dist);
    this.teardown.add(`${node.name} ${dist.version}`, () => node.killNow());
    this.nodes[key] = node;
    return node;
  }

  /** Stops everything, records each node's memory and CPU, writes the summary; returns cleanup failures. */
  async tearDown(): Promise<string[]> {
    if (this.nodes !== undefined) {
      await Promise.all(Object.values(this.nodes).map((node) => node.kill().then(() => node.closeMetadata())));
      for (const node of Object.values(this.nodes)) this.recordUsage(node);
    }
    await this.db?.stop();
    this.untrackDb();
    const errors = this.teardown.run();
    const markdown = this.summary.markdown(this.dist?.version ?? "?", (Date.now() - this.startedAt) / 1000);
    writeFileSync(this.summaryFile, markdown);
    process.stdout.write(`\n${markdown}\nSummary written to ${this.summaryFile}; node logs in ${this.logDir}\n`);
    return errors;
  }

  /** Starts a node with its task definition's command and records its start-to-ready time. */
  /**
   * A task's container exits (SIGKILL to all its processes): ECS deregisters its target as the
   * task stops, as the ECS stand-in does (ecs-lifecycle.ts); startAndWait registers it again.
   */
  async crash(node: KeycloakNode): Promise<void> {
    await node.kill();
    if (this.isTarget(node)) {
      await deregisterTarget(this.proxy, node.name);
      this.deregistered.add(node.name);
    }
  }

  private isTarget(node: KeycloakNode): boolean {
    return this.ecsTimings !== undefined || node === this.nodes.a || node === this.nodes.b;
  }

  async startAndWait(node: KeycloakNode, timeoutMs: number, extraEnvironment: Record<string, string> = {}): Promise<void> {
    await node.start(this.container.command, extraEnvironment);
    if (this.deregistered.delete(node.name)) await registerTarget(this.proxy, node.name);
    const seconds = await node.waitReady(timeoutMs);
    this.summary.starts.push({ node: node.name, run: node.starts.length, size: node.cgroup.describe(), seconds });
  }

  /** Waits for the cluster of `members`, counting from the latest start among them. */
  async formCluster(event: string, members: KeycloakNode[], timeoutMs: number): Promise<void> {
    await waitForCluster(members, timeoutMs);
    const from = Math.max(...members.map((node) => node.starts.at(-1)!.startedAt));
    this.summary.formations.push({ event, seconds: (Date.now() - from) / 1000 });
  }

  /** Targets the proxy's health checks hold UP now; 0 means it fails open to all of them. */
  async healthyTargets(): Promise<number> {
    return Object.values(await this.proxy.serverStates()).filter((state) => state === "UP").length;
  }

  async waitProxySeesUp(...members: KeycloakNode[]): Promise<void> {
    await waitFor(`the proxy's health checks to mark ${members.map((n) => n.name).join(", ")} UP`, 30_000, async () => {
      const states = await this.proxy.serverStates();
      return members.every((node) => states[node.name] === "UP") ? true : undefined;
    });
  }

  /** Fails when any node reached its task memory limit so far (on Fargate it would have been killed). */
  assertWithinMemoryLimits(): void {
    for (const node of Object.values(this.nodes)) node.cgroup.assertWithinLimit(node.name);
  }

  /** Records what the node's JVM sees (processor count, heap limit) for the summary and returns it. */
  async recordJvmView(node: KeycloakNode) {
    const view = await node.jvmView();
    Object.assign(this.summary.sizingOf(node.name, node.cgroup.describe()), { processors: view.processors, heapMaxMiB: view.heapMaxBytes / MIB });
    return view;
  }

  /** Records the node's memory and CPU so far; the peak is kept across `resetPeak()`. */
  recordUsage(node: KeycloakNode): void {
    const usage = node.cgroup.usage();
    const sizing = this.summary.sizingOf(node.name, node.cgroup.describe());
    Object.assign(sizing, {
      peakMiB: Math.max(sizing.peakMiB ?? 0, usage.peakBytes / MIB),
      failcnt: usage.failcnt,
      oomKills: usage.oomKills,
      cpuSeconds: usage.cpuSeconds,
      throttledPeriods: usage.throttledPeriods,
    });
  }

  /** Runs a scenario step, records pass/fail, and on failure prints the tail of every log. */
  async step(name: string, body: () => Promise<void>): Promise<void> {
    const started = Date.now();
    try {
      await body();
      this.summary.steps.set(name, { result: "pass", seconds: (Date.now() - started) / 1000 });
    } catch (error) {
      this.summary.steps.set(name, { result: "FAIL", seconds: (Date.now() - started) / 1000 });
      this.printLogTails();
      throw error;
    }
  }

  private printLogTails(): void {
    if (this.nodes === undefined) return;
    for (const node of Object.values(this.nodes)) {
      process.stdout.write(`\n----- last lines of ${node.logFile} -----\n${node.logTail(60)}\n`);
    }
    if (this.proxy !== undefined) {
      process.stdout.write(`\n----- last lines of ${this.proxy.logFile} -----\n${readFileSync(this.proxy.logFile, "utf8").split("\n").slice(-20).join("\n")}\n`);
    }
  }
}
