/**
 * Capacity benchmark: what one Keycloak task does per vCPU, measured the way Keycloak's own
 * sizing guide measures it, next to that guide's figures. One node of the synthesized task
 * definition (its environment, the image, kc.sh's container heap default) in a cgroup of the task's
 * size; the database and the load generator with the TLS proxy each in a cgroup of their own, so
 * the node's CPU-seconds (cpuacct.usage of its group) are its own. Per scenario (password login as
 * a browser does it, client credentials, refresh token, a mix): a closed-loop probe finds the
 * CPU cost of one operation, then an open loop holds the rate that uses the target share of the
 * node's quota (75 % by default) and reports the rate, the CPU-ms per operation, the latency, the
 * memory peak and the throughput per vCPU.
 *
 * --profile records the login phase with JDK Flight Recorder and prints where the CPU goes.
 * --compare restarts the node once per tuning variant (JVM options, Argon2 parameters) and measures
 * start-to-ready and the login phase for each, in one run on the same stand.
 *
 * Needs root (network namespaces, cgroups) and the e2e's tools; on a shared machine run it under
 * the heavy-test lock. Not a test and not part of .ci/run.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KEYCLOAK_VERSION, PORTS } from "../../modules/shared/constants";
import { fetchOnce } from "../../tools/keycloak-http/browser";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import {
  closedLoop,
  latencyStats,
  openLoop,
  operationOf,
  REQUESTS_PER_OPERATION,
  SessionPool,
  type BenchTarget,
  type LoadResult,
  type OperationSample,
  type Scenario,
} from "../support/capacity-load";
import { profileMarkdown } from "../support/jfr-profile";
import { adminToken } from "../support/keycloak-login";
import { startSingleNodeStand, stopSingleNodeStand, type SingleNodeStand } from "../support/single-node-stand";
import { taskCgroupFor, type TaskCgroup } from "../support/task-cgroup";
import { Teardown } from "../support/teardown";
import { TempDirs } from "../support/temp-dir";
import { waitFor } from "../support/waiting";

const USAGE = `usage: npm run bench:capacity -- [--cpu UNITS] [--memory MIB] [--seconds N] [--target PERCENT] [--profile] [--compare]
  --cpu, --memory   the task size (Fargate's CPU units and MiB; default 1024 / 2048, the prod profile's)
  --seconds N       length of each measured phase (default 40); each is preceded by a probe of N/2 s and a calibration of N/3 s
  --target PERCENT  share of the node's CPU quota each phase is driven to (default 75)
  --profile         record the login phase with JDK Flight Recorder and print where its CPU goes
  --compare         instead of the table: one node start and login phase per tuning variant
  --variants LIST   the variants --compare runs, comma-separated, repeats allowed (default task,g1,serial,apc2,argon2-19m,appcds)`;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} '${process.argv[i + 1]}': a positive number is needed`);
  return value;
}

const HOSTNAME = "keycloak.bench.test";
const REALM = "bench";
const USERS = 20;
const PASSWORD = "bench-Passw0rd-capacity";
const SERVICE = { clientId: "bench-service", secret: "bench-service-secret-0123456789abcdef" };
/** Open-loop arrivals wait for no answer, but no more than this many operations are under way. */
const MAX_IN_FLIGHT = 48;
/** Workers of the closed-loop probe per scenario: enough to keep 1 vCPU busy through the latency. */
const PROBE_WORKERS: Record<Scenario, number> = { login: 4, "client-credentials": 8, refresh: 8 };
/** The mixed profile, as shares of operations: mostly refreshes and service tokens, a login in ten. */
const MIX: Record<Scenario, number> = { login: 0.1, refresh: 0.5, "client-credentials": 0.4 };
/** Keycloak 26.x, "Concepts for sizing CPU and memory resources": operations per second per vCPU. */
const KEYCLOAK_PER_VCPU: Record<Scenario, number> = { login: 15, "client-credentials": 120, refresh: 120 };
const KEYCLOAK_GUIDE = "https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing";
const MIB = 1024 * 1024;
const JFR_FILE = "/tmp/bench-capacity.jfr";

interface Variant {
  /** What --variants names it by. */
  id: string;
  name: string;
  /** Added to the task's environment for this start. */
  environment: Record<string, string>;
  /** The JVM options added to the task definition's own JAVA_OPTS_APPEND (none: the task's as they are). */
  javaOptions?: string;
  /** The bench realm's password policy while the variant runs ("" = Keycloak's defaults). */
  passwordPolicy: string;
  /** Start with CDS_ARCHIVE in place, made by a training start (ArchiveClassesAtExit) just before. */
  cdsArchive?: boolean;
}

/**
 * Where the class-data sharing archive would sit in the image (read at start, never written): the
 * benchmark seeds it into the task's fresh data volume, as if the image build had put it there.
 */
const CDS_ARCHIVE = "/opt/keycloak/data/keycloak-cds.jsa";
const CDS_TRAINING_OUTPUT = "/tmp/keycloak-cds.jsa";

/**
 * The tuning variants of --compare, each one change: `task` is the synthesized task definition as
 * it is, `g1` kc.sh's own GC choice (the task's JVM options cleared), the others add to the task's.
 * Argon2 of equal strength by OWASP's Password Storage Cheat Sheet (m=19 MiB, t=2, p=1 next to
 * Keycloak's default m=7 MiB, t=5, p=1, both rows of its table): memory is a server option of the
 * argon2 provider, iterations the realm's hashIterations policy.
 */
const VARIANTS: Variant[] = [
  { id: "task", name: "the task definition as synthesized", environment: {}, passwordPolicy: "" },
  { id: "g1", name: "kc.sh's default: G1 (JAVA_OPTS_APPEND cleared)", environment: { JAVA_OPTS_APPEND: "" }, passwordPolicy: "" },
  { id: "serial", name: "SerialGC", environment: {}, javaOptions: "-XX:-UseG1GC -XX:+UseSerialGC", passwordPolicy: "" },
  { id: "apc2", name: "-XX:ActiveProcessorCount=2", environment: {}, javaOptions: "-XX:ActiveProcessorCount=2", passwordPolicy: "" },
  {
    id: "argon2-19m",
    name: "argon2 m=19 MiB, t=2, p=1 (OWASP row 2)",
    environment: { KC_SPI_PASSWORD_HASHING__ARGON2__MEMORY: "19456" },
    passwordPolicy: "hashAlgorithm(argon2) and hashIterations(2)",
  },
  {
    id: "appcds",
    name: "AppCDS archive of a training start (JDK 21 dynamic archive)",
    environment: {},
    javaOptions: `-XX:SharedArchiveFile=${CDS_ARCHIVE}`,
    passwordPolicy: "",
    cdsArchive: true,
  },
];
const DEFAULT_VARIANTS = "task,g1,serial,apc2,argon2-19m,appcds";

/** The variants `list` names (comma-separated ids, repeats allowed: an A/B/A/B run). */
function variantsOf(list: string): Variant[] {
  return list.split(",").map((id) => {
    const variant = VARIANTS.find((v) => v.id === id);
    if (variant === undefined) throw new Error(`--variants: '${id}' is not a variant; allowed: ${VARIANTS.map((v) => v.id).join(", ")}`);
    return variant;
  });
}

interface PhaseResult {
  label: string;
  /** Operations per second asked for. */
  rate: number;
  seconds: number;
  samples: OperationSample[];
  skipped: number;
  cpuSeconds: number;
  throttledPeriods: number;
  peakBytes: number;
  generatorCpuSeconds: number;
  databaseCpuSeconds: number;
  /** Time the node's threads were runnable but waited for a CPU of the machine (not the quota). */
  runQueueSeconds: number;
}

/**
 * Per thread of `pids`, the seconds it spent runnable but waiting for a CPU (/proc/<pid>/task/<tid>/schedstat,
 * second field): on a machine shared with other work the node can get less than its quota, which
 * the cgroup's throttling count does not show.
 */
function runQueueWaits(pids: number[]): Map<string, number> {
  const waits = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        waits.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]) / 1e9);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return waits;
}

/** The wait added between two readings: threads that ended in between took theirs along, new ones count from 0. */
function waitBetween(before: Map<string, number>, after: Map<string, number>): number {
  let seconds = 0;
  for (const [tid, wait] of after) seconds += wait - (before.get(tid) ?? 0);
  return seconds;
}

class CapacityBench {
  readonly teardown = new Teardown();
  private readonly tempDirs = new TempDirs();
  readonly lines: string[] = [];
  stand!: SingleNodeStand;
  target!: BenchTarget;
  generator!: TaskCgroup;
  database!: TaskCgroup;
  private token = "";
  cdsTrained = false;

  constructor(
    readonly options: { cpu: number; memory: number; seconds: number; targetShare: number; profile: boolean; compare: boolean; variants: string },
  ) {
    this.teardown.add("temporary directories", () => this.tempDirs.removeAll());
  }

  get vcpus(): number {
    return this.options.cpu / 1024;
  }

  async start(): Promise<number> {
    const work = this.tempDirs.make("kc-bench-capacity-");
    const logDir = join(REPO_ROOT, ".cache", "e2e-logs", "bench-capacity");
    mkdirSync(logDir, { recursive: true });
    this.stand = await startSingleNodeStand({
      work,
      logDir,
      hostname: HOSTNAME,
      clients: {},
      settings: () => ({ KEYCLOAK_PUBLIC_REALMS: REALM, KEYCLOAK_TASK_CPU: String(this.options.cpu), KEYCLOAK_TASK_MEMORY: String(this.options.memory) }),
      teardown: this.teardown,
      heap: false,
    });
    const firstStart = this.stand.node.starts[0];
    this.isolate(work);
    await this.createRealm();
    return ((firstStart.readyAt ?? Date.now()) - firstStart.startedAt) / 1000;
  }

  /** The database, the proxy and this process (the load generator) each into a group of their own. */
  private isolate(work: string): void {
    this.database = taskCgroupFor("database", { cpu: 1024, memory: 2048 }, this.teardown);
    this.teardown.add("database out of its cgroup", () => this.database.releaseAll());
    this.generator = taskCgroupFor("generator", { cpu: 1024, memory: 4096 }, this.teardown);
    this.teardown.add("generator out of its cgroup", () => this.generator.releaseAll());
    const dbPidFile = join(work, "mariadb", "mariadb.pid");
    if (!existsSync(dbPidFile)) throw new Error(`no ${dbPidFile}: cannot put the database in a cgroup of its own`);
    this.database.adopt(Number(readFileSync(dbPidFile, "utf8").trim()));
    const proxyPid = this.stand.proxy.pid;
    if (proxyPid === undefined) throw new Error("the proxy has no process ID");
    this.generator.adopt(proxyPid);
    this.generator.adopt(process.pid);
  }

  private async admin(method: string, path: string, json?: unknown): Promise<string> {
    const node = this.stand.node;
    this.token = this.token === "" ? await adminToken(node, { issuer: "", accountUrl: "", admin: this.stand.admin }) : this.token;
    const send = () =>
      fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms${path}`, { address: node.address }, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
        ...(json === undefined ? {} : { json }),
      });
    let response = await send();
    if (response.status === 401) {
      this.token = await adminToken(node, { issuer: "", accountUrl: "", admin: this.stand.admin });
      response = await send();
    }
    if (response.status >= 300) throw new Error(`${method} /admin/realms${path}: ${response.status} ${response.body.slice(0, 300)}`);
    return response.body;
  }

  private async createRealm(): Promise<void> {
    const users = Array.from({ length: USERS }, (_, i) => ({ username: `user-${i + 1}`, password: PASSWORD }));
    await this.admin("POST", "", {
      realm: REALM,
      enabled: true,
      users: users.map((u) => ({
        username: u.username,
        enabled: true,
        email: `${u.username}@bench.test`,
        emailVerified: true,
        firstName: "Bench",
        lastName: u.username,
        credentials: [{ type: "password", value: u.password, temporary: false }],
      })),
      clients: [
        { clientId: SERVICE.clientId, publicClient: false, secret: SERVICE.secret, serviceAccountsEnabled: true, standardFlowEnabled: false, directAccessGrantsEnabled: false },
      ],
    });
    this.target = { endpoint: { address: this.stand.network.gateway, ca: this.stand.caPem }, issuer: `https://${HOSTNAME}/realms/${REALM}`, users, service: SERVICE };
  }

  async setPasswordPolicy(policy: string): Promise<void> {
    await this.admin("PUT", `/${REALM}`, { passwordPolicy: policy });
  }

  /** The stored password credential of the first user: which hash parameters logins left. */
  async storedHash(): Promise<string> {
    const [user] = JSON.parse(await this.admin("GET", `/${REALM}/users?username=user-1&exact=true`)) as { id: string }[];
    const [credential] = JSON.parse(await this.admin("GET", `/${REALM}/users/${user.id}/credentials`)) as { credentialData: string }[];
    return credential.credentialData;
  }

  /** Runs `load` and reads every cgroup around it. */
  async measuredLoad(label: string, rate: number, load: () => Promise<LoadResult>): Promise<PhaseResult> {
    const node = this.stand.node.cgroup;
    node.resetPeak();
    const before = { node: node.usage(), generator: this.generator.usage(), database: this.database.usage(), wait: runQueueWaits(node.pids()), at: Date.now() };
    const result = await load();
    const seconds = (Date.now() - before.at) / 1000;
    const after = node.usage();
    return {
      label,
      rate,
      seconds,
      samples: result.samples,
      skipped: result.skipped,
      cpuSeconds: after.cpuSeconds - before.node.cpuSeconds,
      throttledPeriods: after.throttledPeriods - before.node.throttledPeriods,
      peakBytes: after.peakBytes,
      generatorCpuSeconds: this.generator.usage().cpuSeconds - before.generator.cpuSeconds,
      databaseCpuSeconds: this.database.usage().cpuSeconds - before.database.cpuSeconds,
      runQueueSeconds: waitBetween(before.wait, runQueueWaits(node.pids())),
    };
  }

  /** The rate that puts the node at the target share of its quota at `cpuMs` per operation. */
  rateFor(cpuMs: number): number {
    return (this.options.targetShare * this.vcpus * 1000) / cpuMs;
  }

  /**
   * A scenario's measured phase, at the target share of the node's quota: a closed-loop probe
   * (also the JIT's warm-up for the scenario) gives a first CPU cost per operation, an open-loop
   * calibration at the rate it implies corrects the rate by the utilisation it reached, then the
   * measured phase runs at the corrected rate.
   */
  async scenarioPhase(scenario: Scenario, sessions?: SessionPool): Promise<{ phase: PhaseResult; calibration: string }> {
    const op = operationOf(scenario, this.target, sessions);
    const seconds = this.options.seconds;
    const probe = await this.measuredLoad(`probe ${scenario}`, 0, () => closedLoop(scenario, op, PROBE_WORKERS[scenario], (seconds * 1000) / 2));
    const probeOk = latencyStats(probe.samples).ok;
    if (probeOk === 0) throw new Error(`the ${scenario} probe completed no operation: ${latencyStats(probe.samples).failures.join("; ")}`);
    const rate0 = this.rateFor((probe.cpuSeconds * 1000) / probeOk);
    const calibration = await this.measuredLoad(`calibration ${scenario}`, rate0, () => openLoop(scenario, op, rate0, (seconds * 1000) / 3, MAX_IN_FLIGHT));
    const reached = calibration.cpuSeconds / (calibration.seconds * this.vcpus);
    // At most 4x either way: a calibration disturbed by the machine must not run the phase wild.
    const rate = rate0 * Math.min(4, Math.max(0.25, this.options.targetShare / reached));
    const phase = await this.measuredLoad(scenario, rate, () => openLoop(scenario, op, rate, seconds * 1000, MAX_IN_FLIGHT));
    return { phase, calibration: `${scenario}: probe ${fmt((probe.cpuSeconds * 1000) / probeOk)} CPU-ms/op -> ${fmt(rate0)}/s reached ${fmt(reached * 100, 0)} % -> ${fmt(rate)}/s` };
  }

  /** The mix at the rate its predicted cost (the single scenarios' measured CPU-ms) puts at the target share. */
  async mixedPhase(cpuMs: Record<Scenario, number>, sessions: SessionPool): Promise<{ phase: PhaseResult; predictedCpuMs: number }> {
    const predictedCpuMs = (Object.keys(MIX) as Scenario[]).reduce((sum, s) => sum + MIX[s] * cpuMs[s], 0);
    const rate = this.rateFor(predictedCpuMs);
    const phase = await this.measuredLoad("mixed", rate, async () => {
      const parts = await Promise.all(
        (Object.keys(MIX) as Scenario[]).map((s) => openLoop(s, operationOf(s, this.target, sessions), rate * MIX[s], this.options.seconds * 1000, MAX_IN_FLIGHT)),
      );
      return { samples: parts.flatMap((p) => p.samples), skipped: parts.reduce((n, p) => n + p.skipped, 0) };
    });
    return { phase, predictedCpuMs };
  }

  /** The node's CPU share of its quota while nothing is asked of it, over `seconds`. */
  async idleShare(seconds: number): Promise<number> {
    const before = this.stand.node.cgroup.usage().cpuSeconds;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return (this.stand.node.cgroup.usage().cpuSeconds - before) / seconds / this.vcpus;
  }

  /** Restarts the node with `environment` added; seconds from start to ready. */
  async restart(environment: Record<string, string>): Promise<number> {
    const node = this.stand.node;
    await node.stop();
    await node.start(this.stand.container.command, environment);
    const seconds = await node.waitReady(5 * 60_000);
    this.token = "";
    // The proxy takes the restarted target back after its healthy threshold of checks.
    await waitFor("the proxy to route to the restarted node", 60_000, async () => {
      const response = await fetchOnce(`${this.target.issuer}/.well-known/openid-configuration`, this.target.endpoint).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    });
    return seconds;
  }

  /**
   * A training start that writes a dynamic CDS archive at exit (the classes of the start and of
   * logins), seeded into the following starts at CDS_ARCHIVE. Returns lines for the report.
   */
  async trainCdsArchive(): Promise<string[]> {
    const image = this.stand.node.image;
    if (image === undefined) throw new Error("the AppCDS variant needs the image runtime (seeding a file into the task's volume)");
    const ready = await this.restart({ JAVA_OPTS_APPEND: `-XX:ArchiveClassesAtExit=${CDS_TRAINING_OUTPUT}` });
    await closedLoop("login", operationOf("login", this.target), PROBE_WORKERS.login, 10_000);
    const stopStarted = Date.now();
    await this.stand.node.stop();
    const produced = join(image.dir, "volumes", CDS_TRAINING_OUTPUT);
    if (!existsSync(produced)) throw new Error(`the training start wrote no CDS archive at ${CDS_TRAINING_OUTPUT}; node log:\n${this.stand.node.logTail(30)}`);
    const kept = join(this.tempDirs.make("kc-bench-cds-"), "keycloak-cds.jsa");
    copyFileSync(produced, kept);
    image.seeds.set(CDS_ARCHIVE, kept);
    this.cdsTrained = true;
    this.teardown.add("CDS seed", () => image.seeds.delete(CDS_ARCHIVE));
    return [`AppCDS training start (-XX:ArchiveClassesAtExit, 10 s of logins): ready in ${fmt(ready)} s, stop with the archive dump ${fmt((Date.now() - stopStarted) / 1000)} s, archive ${fmt(statSync(kept).size / MIB, 0)} MiB.`];
  }

  /** What the JVM said about the CDS archive in the latest start (Unable to use / mapped). */
  cdsLogLines(): string {
    const lines = this.stand.node.currentLog().split("\n").filter((l) => /shared archive|\[cds\]|CDS/i.test(l));
    return lines.length === 0 ? "the JVM logged nothing about the archive (mapped without warnings)" : lines.slice(0, 3).join(" / ");
  }

  /** The JFR recording's file, once the node has stopped and dumped it. */
  recordingFile(): string {
    const image = this.stand.node.image;
    return image === undefined ? JFR_FILE : join(image.dir, "volumes", JFR_FILE);
  }

  async stop(): Promise<string[]> {
    try {
      await stopSingleNodeStand(this.stand, this.teardown);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function row(phase: PhaseResult, vcpus: number, scenario?: Scenario): string {
  const stats = latencyStats(phase.samples);
  const cpuMs = stats.ok === 0 ? NaN : (phase.cpuSeconds * 1000) / stats.ok;
  const utilisation = phase.cpuSeconds / (phase.seconds * vcpus);
  const keycloak = scenario === undefined ? "-" : `${KEYCLOAK_PER_VCPU[scenario]} (${fmt(1000 / KEYCLOAK_PER_VCPU[scenario])} CPU-ms)`;
  return `| ${phase.label} | ${fmt(phase.rate)} | ${fmt(stats.ok / phase.seconds)} | ${fmt(100 * utilisation, 0)} % | ${fmt(cpuMs)} | ${stats.p50Ms} / ${stats.p95Ms} / ${stats.p99Ms} | ${stats.failed} / ${phase.skipped} | ${fmt(phase.peakBytes / MIB, 0)} | ${fmt(stats.ok / phase.seconds / vcpus)} | ${fmt(1000 / cpuMs)} | ${keycloak} | ${phase.throttledPeriods} | ${fmt(phase.runQueueSeconds / phase.seconds, 2)} | ${fmt(phase.generatorCpuSeconds / phase.seconds, 2)} / ${fmt(phase.databaseCpuSeconds / phase.seconds, 2)} |`;
}

const HEADER = [
  "| Scenario | Rate asked (op/s) | Rate done (op/s) | Node CPU (of quota) | CPU-ms per op | p50 / p95 / p99 (ms) | Failed / not sent | Memory peak (MiB) | Op/s per vCPU at this load | Op/s per fully used vCPU | Keycloak's figure per vCPU | Throttled periods | Waited for a machine CPU (s/s) | Generator / DB CPUs used |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];

/** Every scenario's code path compiled by the JIT before anything is measured, all at once. */
async function warmUp(bench: CapacityBench, sessions: SessionPool): Promise<void> {
  const ms = bench.options.seconds * 1000;
  await Promise.all((["login", "client-credentials", "refresh"] as Scenario[]).map((s) => closedLoop(s, operationOf(s, bench.target, sessions), 2, ms)));
}

async function runTable(bench: CapacityBench, out: string[]): Promise<void> {
  const sessions = await SessionPool.logIn(bench.target, MAX_IN_FLIGHT);
  await warmUp(bench, sessions);
  const cpuMs = {} as Record<Scenario, number>;
  const rows: string[] = [];
  const notes: string[] = [];
  const calibrations: string[] = [];
  const profile: string[] = [];
  for (const scenario of ["login", "client-credentials", "refresh"] as Scenario[]) {
    const { phase, calibration } = await bench.scenarioPhase(scenario, sessions);
    cpuMs[scenario] = (phase.cpuSeconds * 1000) / latencyStats(phase.samples).ok;
    rows.push(row(phase, bench.vcpus, scenario));
    calibrations.push(calibration);
    notes.push(...latencyStats(phase.samples).failures);
  }
  const mixed = await bench.mixedPhase(cpuMs, sessions);
  rows.push(row(mixed.phase, bench.vcpus));
  notes.push(...latencyStats(mixed.phase.samples).failures);
  const idle = await bench.idleShare(10);
  if (bench.options.profile) profile.push(...(await profileLogins(bench, cpuMs.login)));
  out.push(
    ...HEADER,
    ...rows,
    "",
    `- Driven to ${bench.options.targetShare * 100} % of the node's quota (${bench.vcpus} vCPU) by an open loop (arrivals at a fixed rate, at most ${MAX_IN_FLIGHT} under way: "not sent" counts the arrivals beyond). Before the phases, ${MAX_IN_FLIGHT} logins for the refresh sessions and ${bench.options.seconds} s of all three scenarios warm the JIT; each phase's rate comes from a closed-loop probe and an open-loop calibration: ${calibrations.join("; ")}.`,
    `- Mixed profile: ${(Object.keys(MIX) as Scenario[]).map((s) => `${MIX[s] * 100} % ${s}`).join(", ")} of operations; CPU-ms per operation predicted from the single scenarios ${fmt(mixed.predictedCpuMs)}, measured ${fmt((mixed.phase.cpuSeconds * 1000) / latencyStats(mixed.phase.samples).ok)}.`,
    `- The idle node (10 s after the phases) used ${fmt(idle * 100)} % of its quota; the CPU-ms above include that background.`,
    `- Requests per operation: ${(Object.keys(REQUESTS_PER_OPERATION) as Scenario[]).map((s) => `${s} ${REQUESTS_PER_OPERATION[s]}`).join(", ")}. ${USERS} users; every login leaves its session (no logout).`,
    `- Keycloak's figures: ${KEYCLOAK_GUIDE} (26.x): 1 vCPU per 15 password logins/s, per 120 client credentials grants/s, per 120 refresh token requests/s; 1250 MB per Pod with 10,000 cached sessions; leave 150 % CPU headroom.`,
    ...[...new Set(notes)].map((n) => `- Failure: ${n}`),
    "",
    ...profile,
  );
}

/**
 * After the table: the node restarted with JDK Flight Recorder on, warmed with logins, then a login
 * phase at the table's rate, recorded; the recording (dumped as the node stops) is read for where
 * the CPU went. Apart from the table, so the table's figures carry no profiler overhead.
 */
async function profileLogins(bench: CapacityBench, loginCpuMs: number): Promise<string[]> {
  await bench.restart({ JAVA_OPTS_APPEND: `-XX:StartFlightRecording=filename=${JFR_FILE},settings=profile,dumponexit=true` });
  const op = operationOf("login", bench.target);
  await closedLoop("login", op, PROBE_WORKERS.login, (bench.options.seconds * 1000) / 2);
  const start = Date.now();
  const phase = await bench.measuredLoad("login (JFR on)", bench.rateFor(loginCpuMs), () => openLoop("login", op, bench.rateFor(loginCpuMs), bench.options.seconds * 1000, MAX_IN_FLIGHT));
  const end = Date.now();
  await bench.stand.node.stop();
  const saved = join(REPO_ROOT, ".cache", "bench-capacity.jfr");
  copyFileSync(bench.recordingFile(), saved);
  return [
    `### Where a password login's CPU goes (JDK Flight Recorder, settings=profile, a login phase of ${fmt(phase.seconds, 0)} s after a restart and ${fmt(bench.options.seconds / 2, 0)} s of logins; recording: .cache/bench-capacity.jfr)`,
    "",
    ...HEADER,
    row(phase, bench.vcpus, "login"),
    "",
    profileMarkdown(saved, start, end),
    "",
  ];
}

async function runCompare(bench: CapacityBench, out: string[]): Promise<void> {
  out.push(
    "| Variant | Start to ready (s) | Login rate asked (op/s) | Node CPU (of quota) | CPU-ms per login | p50 / p95 / p99 (ms) | Failed / not sent | Memory peak (MiB) | Waited for a machine CPU (s/s) | Stored hash after the logins |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  const notes: string[] = [];
  for (const variant of variantsOf(bench.options.variants)) {
    if (variant.cdsArchive === true && !bench.cdsTrained) notes.push(...(await bench.trainCdsArchive()));
    const taskOptions = bench.stand.container.environment.JAVA_OPTS_APPEND ?? "";
    const javaOptions: Record<string, string> = variant.javaOptions === undefined ? {} : { JAVA_OPTS_APPEND: `${taskOptions} ${variant.javaOptions}`.trim() };
    const ready = await bench.restart({ ...variant.environment, ...javaOptions });
    if (variant.cdsArchive === true) notes.push(`AppCDS: ${bench.cdsLogLines()}`);
    await bench.setPasswordPolicy(variant.passwordPolicy);
    const { phase } = await bench.scenarioPhase("login");
    const stats = latencyStats(phase.samples);
    const hash = JSON.parse(await bench.storedHash()) as { hashIterations: number; additionalParameters?: Record<string, string[]> };
    const params = `t=${hash.hashIterations} ${Object.entries(hash.additionalParameters ?? {}).map(([k, v]) => `${k}=${v.join(",")}`).join(" ")}`;
    out.push(
      `| ${variant.name} | ${fmt(ready)} | ${fmt(phase.rate)} | ${fmt((100 * phase.cpuSeconds) / (phase.seconds * bench.vcpus), 0)} % | ${fmt((phase.cpuSeconds * 1000) / stats.ok)} | ${stats.p50Ms} / ${stats.p95Ms} / ${stats.p99Ms} | ${stats.failed} / ${phase.skipped} | ${fmt(phase.peakBytes / MIB, 0)} | ${fmt(phase.runQueueSeconds / phase.seconds, 2)} | ${params} |`,
    );
    await bench.setPasswordPolicy("");
  }
  out.push(
    "",
    ...notes.map((n) => `- ${n}`),
    "- Each variant: the node restarted with only that change (no schema migration: the database is already at this version), the bench realm's policy set, then the login scenario as in the table (closed-loop probe, which is also the JIT warm-up, calibration, measured phase at the target share).",
  );
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const options = {
    cpu: flag("--cpu", 1024),
    memory: flag("--memory", 2048),
    seconds: flag("--seconds", 40),
    targetShare: flag("--target", 75) / 100,
    profile: process.argv.includes("--profile"),
    compare: process.argv.includes("--compare"),
    variants: process.argv.includes("--variants") ? process.argv[process.argv.indexOf("--variants") + 1] : DEFAULT_VARIANTS,
  };
  variantsOf(options.variants);
  const bench = new CapacityBench(options);
  const started = Date.now();
  const out: string[] = [];
  let failed = false;
  let firstStart = NaN;
  try {
    firstStart = await bench.start();
    await (options.compare ? runCompare(bench, out) : runTable(bench, out));
  } catch (error) {
    failed = true;
    console.error(error);
  }
  const errors = await bench.stop();
  const head = [
    `## bench:capacity${options.compare ? " --compare" : ""}, ${new Date().toISOString()}`,
    "",
    `One Keycloak ${KEYCLOAK_VERSION} node (${bench.stand?.node.image === undefined ? "the distribution, KEYCLOAK_E2E_RUNTIME=dist" : "the image built from docker/, its JDK 21"}), task ${options.cpu / 1024} vCPU / ${options.memory} MiB as a cgroup (CFS quota, memory limit), heap by kc.sh's container default; MariaDB and the load generator with the TLS proxy in cgroups of their own (1 vCPU each at most) on the same ${require("node:os").cpus().length}-core x86 machine, shared with other work. Phases of ${options.seconds} s. First start (schema migration included): ${fmt(firstStart)} s. Whole run: ${fmt((Date.now() - started) / 1000, 0)} s.`,
    "",
  ];
  const text = [...head, ...out].join("\n");
  console.log(text);
  if (!failed && errors.length === 0) writeFileSync(join(REPO_ROOT, ".cache", options.compare ? "bench-capacity-compare.md" : "bench-capacity.md"), `${text}\n`);
  if (errors.length > 0) console.error(errors.join("\n"));
  process.exit(failed || errors.length > 0 ? 1 : 0);
}

void main();
