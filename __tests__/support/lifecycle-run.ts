import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterStand, type StandNodes, type StandOptions } from "./cluster-stand";
import { ClusterSummary } from "./cluster-summary";
import { EcsServiceStandIn, lifecycleBreak, type LifecycleBreak, type StopRecord } from "./ecs-lifecycle";
import { crashErrorWindowMs } from "./ecs-timings";
import { REPO_ROOT, type KeycloakDist } from "../../tools/keycloak-dist";
import type { KeycloakNode } from "./keycloak-node";
import type { RuntimeKind } from "./node-runtime";
import { UserLoad, windowStats, type LoadOptions, type WindowStats } from "./user-load";
import { holdRequest, type HeldRequest } from "./held-request";
import { sleep, waitFor } from "./waiting";

/**
 * The lifecycle scenarios on the ECS stand-in, under a user load: each method is one operator
 * event (graceful stop, rolling deploy, scale-out and scale-in, crash) and returns what the load
 * saw while it happened. The e2e (__tests__/e2e/lifecycle.test.ts) asserts on these results; the
 * benchmark (__tests__/bench/bench-cluster.ts) prints them.
 */

/** The first start migrates the schema; starts share two cores with the load and the other nodes. */
const FIRST_START_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 4 * 60_000;
const CLUSTER_TIMEOUT_MS = 2 * 60_000;
/** After an event, the window stays open this long; then every request started in it gets to complete. */
const SETTLE_MS = 3_000;
/** The quiet window before the events whose request rate the events' windows are held to. */
const BASELINE_MS = 20_000;
/** How often the proxy's targets and the tasks' processes are sampled. */
const SAMPLE_MS = 250;
/** How long the request held on a stopping task stays in flight: shorter than the synthesized deregistration delay (judgeStop accepts a signal once that ran out), longer than the breaks take to signal (at once). */
const HOLD_MS = 4_000;
/**
 * What Quarkus logs once the JVM ran its shutdown on SIGTERM (from its shutdown hook, or from main
 * when its own signal handler ends the run: both seen in the e2e), with the line's time and how
 * long the shutdown took, its shutdown delay included; a SIGKILL leaves no such line.
 */
const GRACEFUL_SHUTDOWN_LINE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) .*\] \((?:Shutdown thread|main)\) Keycloak stopped in (\d+(?:\.\d+)?)s/gm;

/** A held request may be seen answered this much after the signal (the test's event loop is busy with the load); the breaks miss by seconds. */
const ANSWER_SLACK_MS = 1_000;

/**
 * What a graceful stop did, seen from outside the stand-in's own bookkeeping: the signal the
 * process handled and when (its log), whether the proxy had the target out of service while the
 * process still ran, and whether a request in flight on the target when the stop began was
 * answered before the signal (the drain).
 */
export interface StopEffect {
  task: string;
  /** The JVM logged its shutdown: it received SIGTERM and ran its shutdown hooks (a SIGKILL cannot). */
  shutdownLogged: boolean;
  /** When the JVM got the signal: its shutdown line's time less the shutdown's logged length (epoch ms, the machine's clock). */
  signalAt?: number;
  /** How long the JVM's shutdown took, by its own log (KC_SHUTDOWN_DELAY included). */
  shutdownMs?: number;
  /** Proxy samples with the target out of service (MAINT) while its process still ran: deregistered before the signal. */
  deregisteredWhileRunning: number;
  /** The first sample with the target out of service (epoch ms). */
  deregisteredAt?: number;
  /** From the first sample with the target out of service to the first with its process gone, ms. */
  drainToExitMs?: number;
  /** The request held in flight on the target when the stop began (held-request.ts). */
  held?: HeldRequest;
}

/** The JVM's last graceful shutdown in `log`: when it got the signal and how long it took. */
export function loggedShutdown(log: string): { signalAt: number; shutdownMs: number } | undefined {
  const last = [...log.matchAll(GRACEFUL_SHUTDOWN_LINE)].at(-1);
  if (last === undefined) return undefined;
  const [y, mo, d, h, mi, s, ms] = last.slice(1, 8).map(Number);
  // Keycloak logs in the machine's time zone, as Date reads local fields.
  const loggedAt = new Date(y, mo - 1, d, h, mi, s, ms).getTime();
  const shutdownMs = Math.round(Number(last[8]) * 1000);
  return { signalAt: loggedAt - shutdownMs, shutdownMs };
}

/**
 * The judgements on a graceful stop's effect, each true when the stop chain held: the JVM ran its
 * shutdown (SIGTERM, not SIGKILL) and held it for KC_SHUTDOWN_DELAY; the target was out of service
 * while the process ran (deregistered first); the request in flight when the stop began reached
 * the target and was answered before the signal, unless the deregistration delay ran out first.
 */
export function judgeStop(e: StopEffect, expected: { shutdownDelayMs: number; deregistrationDelayMs: number }) {
  const answered = e.held?.answeredAt;
  const drainedInTime = e.signalAt !== undefined && e.deregisteredAt !== undefined && e.signalAt - e.deregisteredAt >= expected.deregistrationDelayMs;
  return {
    task: e.task,
    shutdownLogged: e.shutdownLogged,
    heldShutdownDelay: e.shutdownMs !== undefined && e.shutdownMs >= expected.shutdownDelayMs,
    deregisteredBeforeExit: e.deregisteredWhileRunning > 0,
    inFlightAnsweredBeforeSignal: e.held?.reachedTarget === true && e.signalAt !== undefined && answered !== undefined && (answered <= e.signalAt + ANSWER_SLACK_MS || drainedInTime),
  };
}

/** One sample of the proxy's targets and the tasks' processes. */
interface TargetSample {
  at: number;
  /** Servers the proxy holds registered (any state but MAINT): the target group's targets. */
  registered: string[];
  maint: string[];
  running: string[];
}
/** A KC_SHUTDOWN_DELAY of 0, the break that is Keycloak's and not the stand-in's. */
export const SHUTDOWN_DELAY_BREAK = "shutdown-delay-0";

export interface CrashResult {
  stats: WindowStats;
  killed: string;
  survivors: string[];
  /** Sessions pinned (stickiness cookie) to the killed task when it died. */
  pinnedToKilled: string[];
  /** Requests that failed later than the target group's crash error window after the kill. */
  failedAfterWindow: number;
  windowMs: number;
  /** From the kill until the target group failed the dead target. */
  deadTargetOutAfterMs: number;
  /** The killed task was the first member of its latest cluster view (JGroups' coordinator). */
  killedWasCoordinator: boolean;
  /** Whether a survivor's own /health/ready said "not ready" during the watch (Keycloak's cluster check). */
  survivorNotReadySeen: boolean;
  /** From the kill to the first and the last "not ready" of a survivor, when seen. */
  survivorNotReadyFromMs?: number;
  survivorNotReadyUntilMs?: number;
  /** Target states of the survivors other than UP seen by the proxy during the watch (must stay empty). */
  survivorTargetStates: string[];
  /** Proxy samples with no healthy target (fail-open). */
  failOpenSamples: number;
}

/** The ECS stand-in, with what each graceful stop did to the process and the proxy recorded. */
class ObservedEcsService extends EcsServiceStandIn {
  readonly effects: StopEffect[] = [];
  /** Set by LifecycleRun: the target samples taken while the stop ran. */
  samplesBetween: (from: number, to: number) => TargetSample[] = () => [];

  /** Set by LifecycleRun: a line for the run's summary. */
  note: (line: string) => void = () => undefined;
  /** Set by LifecycleRun: a request held in flight on the task, resolved once the proxy has it on the task's target. */
  holdRequestOn: (task: string) => Promise<{ answered: Promise<HeldRequest> }> = async (task) => ({ answered: Promise.resolve({ target: task, sentAt: Date.now(), reachedTarget: false, error: "no request held" }) });

  override async stopTask(node: KeycloakNode): Promise<StopRecord> {
    const held = await this.holdRequestOn(node.name);
    const from = Date.now();
    const record = await super.stopTask(node);
    // One more sample after the process is gone, so the exit is seen.
    await sleep(2 * SAMPLE_MS);
    const effect = stopEffect(node.name, node.currentLog(), this.samplesBetween(from, Date.now()), await held.answered);
    this.effects.push(effect);
    this.note(describeStop(effect));
    return record;
  }
}

/** A stop's effect as one line, its times from the target going out of service. */
export function describeStop(e: StopEffect): string {
  const at = (ms?: number) => (ms === undefined || e.deregisteredAt === undefined ? "never seen" : `${((ms - e.deregisteredAt) / 1000).toFixed(1)} s`);
  const held = e.held === undefined ? "no request held" : e.held.reachedTarget ? `the request held on it ${e.held.answeredAt === undefined ? `not answered (${e.held.error})` : `answered (${e.held.status}) at ${at(e.held.answeredAt)}`}` : "the held request never reached it";
  const signal = e.signalAt === undefined ? "no graceful shutdown logged" : `SIGTERM at ${at(e.signalAt)} by the JVM's log, its shutdown ${((e.shutdownMs ?? 0) / 1000).toFixed(1)} s`;
  return `Stop of ${e.task}: out of service for ${e.deregisteredWhileRunning} samples while it ran; ${held}; ${signal}; process gone ${e.drainToExitMs === undefined ? "never seen" : `at ${(e.drainToExitMs / 1000).toFixed(1)} s`}.`;
}

/** A stop's effect from its log and the samples taken while it ran. */
export function stopEffect(task: string, log: string, samples: { at: number; maint: string[]; running: string[] }[], held?: HeldRequest): StopEffect {
  const out = samples.filter((s) => s.maint.includes(task));
  const deregisteredAt = out[0]?.at;
  const goneAt = samples.find((s) => !s.running.includes(task))?.at;
  const shutdown = loggedShutdown(log);
  return {
    task,
    shutdownLogged: shutdown !== undefined,
    ...shutdown,
    deregisteredWhileRunning: out.filter((s) => s.running.includes(task)).length,
    deregisteredAt,
    drainToExitMs: deregisteredAt !== undefined && goneAt !== undefined ? goneAt - deregisteredAt : undefined,
    ...(held === undefined ? {} : { held }),
  };
}

export class LifecycleRun {
  readonly stand: ClusterStand;
  ecs!: ObservedEcsService;
  load?: UserLoad;
  readonly results: WindowStats[] = [];
  /** The quiet window before the events, measured by setUp: the load's rate the events are held to. */
  baseline?: WindowStats;
  private readonly targetSamples: TargetSample[] = [];
  private sampling?: { stop: () => Promise<void> };
  readonly breaks?: LifecycleBreak | typeof SHUTDOWN_DELAY_BREAK;

  /**
   * `version`: the Keycloak release the service runs first. @default KEYCLOAK_VERSION
   * `runtime`: what the nodes run; an upgrade needs the distribution runtime. @default runtimeKind()
   * `databaseDns`, `taskEnvironment`: as StandOptions has them. @default false, the synthesized environment
   * `breaks`: a link of the stand-in turned off on purpose. @default E2E_LIFECYCLE_BREAK
   */
  constructor(
    summaryFile = join(REPO_ROOT, ".cache", "lifecycle-summary.md"),
    private readonly options: { version?: string; runtime?: RuntimeKind; breaks?: LifecycleBreak } & Pick<StandOptions, "databaseDns" | "taskEnvironment"> = {},
  ) {
    this.stand = new ClusterStand(new ClusterSummary([], 0), summaryFile, options.version);
    const raw = process.env.E2E_LIFECYCLE_BREAK;
    this.breaks = options.breaks ?? (raw === SHUTDOWN_DELAY_BREAK ? SHUTDOWN_DELAY_BREAK : lifecycleBreak());
  }

  /** The task definition's KC_SHUTDOWN_DELAY (what the stack asks of the JVM, whatever a break starts it with), ms. */
  get shutdownDelayMs(): number {
    const raw = this.stand.container.environment.KC_SHUTDOWN_DELAY;
    const seconds = /^(\d+)s$/.exec(raw ?? "");
    if (seconds === null) throw new Error(`the task definition's KC_SHUTDOWN_DELAY '${raw}' is not whole seconds ('<n>s')`);
    return Number(seconds[1]) * 1000;
  }

  get nodes(): KeycloakNode[] {
    return Object.values(this.stand.nodes).filter((node): node is KeycloakNode => node !== undefined);
  }

  /** The stand, and the service's first task (it migrates the schema). */
  async build(): Promise<void> {
    await this.stand.build({ ecs: true, runtime: this.options.runtime, databaseDns: this.options.databaseDns, taskEnvironment: this.options.taskEnvironment });
    const timings = this.stand.ecsTimings!;
    const extraEnv: Record<string, string> = this.breaks === SHUTDOWN_DELAY_BREAK ? { KC_SHUTDOWN_DELAY: "0s" } : {};
    // ECS resolves the task's secrets when it starts the task: a task started after a rotation gets the new credential.
    this.ecs = new ObservedEcsService(
      this.stand.proxy,
      timings,
      (node) => node.start(this.stand.container.command, { ...this.stand.taskSecrets(), ...extraEnv }),
      this.breaks === SHUTDOWN_DELAY_BREAK ? undefined : this.breaks,
      // A task the container health check finds UNHEALTHY is replaced on a node that runs no task.
      { spareFor: (unhealthy) => this.spares().find((node) => node !== unhealthy), startTimeoutMs: START_TIMEOUT_MS },
    );
    this.stand.summary.notes.push(
      `ECS stand-in timings from the synthesized stack, scaled by ${timings.scale}: health check ${timings.healthCheck.port}${timings.healthCheck.path} every ${timings.healthCheck.intervalMs / 1000} s (timeout ${timings.healthCheck.timeoutMs / 1000} s, healthy ${timings.healthCheck.healthyThreshold}, unhealthy ${timings.healthCheck.unhealthyThreshold}), container health check every ${timings.containerHealthCheck.intervalMs / 1000} s (timeout ${timings.containerHealthCheck.timeoutMs / 1000} s, retries ${timings.containerHealthCheck.retries}, start period ${timings.containerHealthCheck.startPeriodMs / 1000} s), deregistration delay ${timings.deregistrationDelayMs / 1000} s, stopTimeout ${timings.stopTimeoutMs / 1000} s, deployment ${timings.minimumHealthyPercent}-${timings.maximumPercent} % of ${timings.desiredCount}${this.breaks ? `; BROKEN ON PURPOSE: ${this.breaks}` : ""}.`,
    );
    this.ecs.samplesBetween = (from, to) => this.targetSamples.filter((s) => s.at >= from && s.at <= to);
    this.ecs.holdRequestOn = (task) => this.holdRequestOn(task);
    this.ecs.note = (line) => this.stand.summary.notes.push(line);
    this.sampling = this.sampleTargets();
    await this.ecs.runTask(this.stand.nodes.a, FIRST_START_TIMEOUT_MS);
  }

  /** Samples the proxy's targets and the tasks' processes every SAMPLE_MS until stopped. */
  private sampleTargets(): { stop: () => Promise<void> } {
    let sampling = true;
    const loop = (async () => {
      while (sampling) {
        const states = await this.stand.proxy.serverStates().catch(() => undefined);
        if (states !== undefined) {
          const names = Object.keys(states);
          this.targetSamples.push({
            at: Date.now(),
            registered: names.filter((name) => !states[name].startsWith("MAINT")),
            maint: names.filter((name) => states[name].startsWith("MAINT")),
            running: this.nodes.filter((node) => node.running).map((node) => node.name),
          });
        }
        await sleep(SAMPLE_MS);
      }
    })();
    return {
      stop: async () => {
        sampling = false;
        await loop;
      },
    };
  }

  /**
   * Sends a request to `task`'s target that stays in flight for HOLD_MS (held-request.ts) and
   * resolves once the proxy has a connection to the target open (or, for a target it holds down,
   * did not within HOLD_MS / 2): the request a graceful stop's drain must let finish. `answered`
   * gives the request's record once answered.
   */
  private async holdRequestOn(task: string): Promise<{ answered: Promise<HeldRequest> }> {
    const held = holdRequest(`${this.stand.realm.issuer}/protocol/openid-connect/token`, this.stand.proxyEndpoint, task, HOLD_MS);
    const connected = async () => (await this.stand.proxy.serverStats()).some((s) => s.backend === "keycloak" && s.server === task && s.current > 0);
    // A target the proxy holds down (a hung task's) gets no request: the record says so, the stop goes on.
    const reachedTarget = await waitFor(`the proxy to hold the request on ${task}`, HOLD_MS / 2, async () => ((await connected()) ? true : undefined), 50).then(
      () => true,
      () => false,
    );
    return { answered: held.then((record) => ({ ...record, reachedTarget })) };
  }

  /** The most targets the proxy held registered at once in [from, to]. */
  maxTargetsAtOnce(from: number, to: number): number {
    return Math.max(0, ...this.targetSamples.filter((s) => s.at >= from && s.at <= to).map((s) => s.registered.length));
  }

  /** The stand, the service at its desired count in one cluster, and the load running: every lifecycle e2e's start. */
  async setUp(load: LoadOptions): Promise<void> {
    await this.build();
    await this.scaleToDesired();
    await this.startLoad(load);
    this.baseline = await this.steady(`steady load before the events, ${this.ecs.tasks.length} tasks`, BASELINE_MS);
  }

  /** tearDown(), failing with what could not be cleaned up. */
  async finish(): Promise<void> {
    const errors = await this.tearDown();
    if (errors.length > 0) throw new Error(errors.join("\n"));
  }

  /** Starts tasks up to the service's desired count and waits for one cluster. */
  async scaleToDesired(): Promise<void> {
    for (const node of this.spares().slice(0, this.ecs.timings.desiredCount - this.ecs.tasks.length)) await this.ecs.runTask(node, START_TIMEOUT_MS);
    await this.formCluster();
  }

  async startLoad(options: LoadOptions): Promise<void> {
    this.stand.summary.notes.push(
      `Load: ${options.sessionUsers ?? 4} logged-in users refreshing tokens and ${options.loginUsers ?? 2} visitors logging in back to back (authorization code + PKCE), ${options.thinkMs ?? 300} ms between two requests of one user.`,
    );
    this.load = new UserLoad(this.stand.proxyEndpoint, this.stand.realm, options);
    await this.load.start();
  }

  async stopLoad(): Promise<void> {
    await this.load?.stop();
  }

  /** The load's requests during `body`, plus SETTLE_MS for those still in flight. */
  async measure(event: string, body: () => Promise<void>): Promise<WindowStats> {
    if (this.load === undefined) throw new Error("measure needs the load started");
    const from = Date.now();
    await body();
    await sleep(SETTLE_MS);
    const to = Date.now();
    // A request that hangs and then fails belongs to the window it started in: wait for all of them.
    await this.load.windowClosed(to);
    const stats = windowStats(this.load, event, from, to);
    this.results.push(stats);
    process.stdout.write(`${event}: ${stats.requests} requests, ${stats.failed} failed, ${stats.relogins.length} re-logins, ${stats.seconds.toFixed(0)} s${stats.failures.length ? `; ${stats.failures.join("; ")}` : ""}\n`);
    return stats;
  }

  /** Steady load with no event, for throughput and latency. */
  steady(label: string, ms: number): Promise<WindowStats> {
    return this.measure(label, async () => {
      await sleep(ms);
    });
  }

  /** `aws ecs stop-task` on the oldest task; the service starts a replacement. */
  gracefulStop(): Promise<WindowStats> {
    return this.measure("graceful stop of one task (replaced)", async () => {
      const [oldest] = this.ecs.tasks;
      await this.ecs.stopTask(oldest);
      await this.ecs.runTask(oldest, START_TIMEOUT_MS);
      await this.formCluster();
    });
  }

  /** A deploy of the same task definition, one task at a time as the service's percentages allow. */
  rollingDeploy(): Promise<WindowStats> {
    return this.measure(`rolling deploy of the same version (${this.ecs.timings.minimumHealthyPercent}-${this.ecs.maximumPercent} %)`, async () => {
      await this.ecs.rollingDeploy(this.spares(), START_TIMEOUT_MS, async (label, body) => {
        await this.measure(label, body);
      });
      await this.formCluster();
    });
  }

  /**
   * A rolling deploy of a task definition on another Keycloak release (`target`), as
   * tools/upgrade.ts runs it when Keycloak's check allows it: every task that starts runs the new
   * release, one at a time as the service's percentages allow, next to the old tasks it replaces.
   */
  rollingUpgrade(target: KeycloakDist): Promise<WindowStats> {
    return this.measure(`rolling upgrade ${this.stand.dist!.version} -> ${target.version} (${this.ecs.timings.minimumHealthyPercent}-${this.ecs.maximumPercent} %)`, async () => {
      const keys = (Object.keys(this.stand.nodes) as (keyof StandNodes)[]).filter((key) => !this.stand.node(key).running);
      const spares: KeycloakNode[] = [];
      // A stopped old task goes back to the deploy's pool; each old task needs a new one first.
      if (keys.length < this.ecs.tasks.length) throw new Error(`${keys.length} spare nodes for ${this.ecs.tasks.length} tasks: a rolling upgrade needs one of the new release per task`);
      for (const key of keys) spares.push(await this.stand.switchDistribution(key, target));
      await this.ecs.rollingDeploy(spares, START_TIMEOUT_MS, async (label, body) => {
        await this.measure(label, body);
      });
      await this.formCluster();
    });
  }

  async scaleOut(): Promise<WindowStats> {
    const from = this.ecs.tasks.length;
    return this.measure(`scale-out ${from} -> ${from + 1}`, async () => {
      await this.ecs.runTask(this.spares()[0], START_TIMEOUT_MS);
      await this.formCluster();
    });
  }

  async scaleIn(): Promise<WindowStats> {
    const from = this.ecs.tasks.length;
    return this.measure(`scale-in ${from} -> ${from - 1}`, async () => {
      await this.ecs.scaleIn(this.ecs.tasks[0]);
      await this.formCluster();
    });
  }

  /**
   * SIGKILL to the cluster's coordinator (its crash is the one that takes a survivor out of
   * readiness): its container exits, ECS deregisters its target as the task stops and starts a
   * replacement at once; watched until the replacement is healthy and the cluster formed.
   */
  async crash(): Promise<CrashResult> {
    const timings = this.ecs.timings;
    const coordinator = this.ecs.tasks.find((node) => node.views().at(-1)?.members[0] === node.localName());
    // The scenario is the coordinator's crash: another task's crash does not take the survivor's readiness down.
    if (coordinator === undefined) throw new Error(`no task is its cluster's coordinator (first member of its latest view): ${this.ecs.tasks.map((n) => `${n.name} ${n.localName()} ${JSON.stringify(n.views().at(-1)?.members)}`).join("; ")}`);
    const survivors = this.ecs.tasks.filter((node) => node !== coordinator);
    const load = this.load!;
    const pinnedToKilled = load.sessionUsers.filter((user) => load.samples.filter((s) => s.user === user).at(-1)?.pinnedTo === coordinator.name);
    let killedAt = 0;
    let outAfterMs = Number.POSITIVE_INFINITY;
    let notReadySeen = false;
    let notReadyFrom: number | undefined;
    let notReadyUntil: number | undefined;
    let failOpenSamples = 0;
    const survivorStates = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const states = await this.stand.proxy.serverStates();
        // "UP 3/9": in service, with failed checks counting towards the unhealthy threshold.
        for (const node of survivors) if (!states[node.name]?.startsWith("UP")) survivorStates.add(`${node.name} ${states[node.name]}`);
        if (Object.values(states).every((state) => !state.startsWith("UP"))) failOpenSamples++;
        if (outAfterMs === Number.POSITIVE_INFINITY && killedAt > 0 && /^(DOWN|MAINT)/.test(states[coordinator.name] ?? "")) outAfterMs = Date.now() - killedAt;
        for (const node of survivors) {
          if (killedAt > 0 && !(await node.ready())) {
            notReadySeen = true;
            notReadyFrom ??= Date.now() - killedAt;
            notReadyUntil = Date.now() - killedAt;
          }
        }
        await sleep(500);
      }
    })();
    const stats = await this.measure(`crash (SIGKILL) of ${coordinator.name}, the coordinator`, async () => {
      killedAt = Date.now();
      // The container exits, so ECS deregisters the target as the task stops (ecs-lifecycle.ts):
      // out of the target group then, without waiting for its health checks to fail.
      const { deregisteredAfterMs } = await this.ecs.crash(coordinator);
      outAfterMs = Math.min(outAfterMs, deregisteredAfterMs);
      const replacement = this.spares().find((node) => node !== coordinator) ?? coordinator;
      await this.ecs.runTask(replacement, START_TIMEOUT_MS);
      await this.formCluster();
    });
    watching = false;
    await watch;
    const windowMs = crashErrorWindowMs(timings);
    return {
      stats,
      killed: coordinator.name,
      // From the survivors' own logs: the last view that still listed the killed task had it first.
      killedWasCoordinator: survivors.every((node) => node.views().filter((view) => view.members.includes(coordinator.localName()!)).at(-1)?.members[0] === coordinator.localName()),
      survivors: survivors.map((node) => node.name),
      pinnedToKilled,
      failedAfterWindow: load.samples.filter((s) => !s.ok && s.at > killedAt + windowMs && s.at < killedAt + stats.seconds * 1000).length,
      windowMs,
      deadTargetOutAfterMs: outAfterMs,
      survivorNotReadySeen: notReadySeen,
      survivorNotReadyFromMs: notReadyFrom,
      survivorNotReadyUntilMs: notReadyUntil,
      survivorTargetStates: [...survivorStates],
      failOpenSamples,
    };
  }

  /** Nodes that run no task now, the ones a new task may use. */
  spares(): KeycloakNode[] {
    return this.nodes.filter((node) => !node.running);
  }

  /** Waits until the service's tasks form one cluster. */
  async formCluster(): Promise<void> {
    await this.stand.formCluster(`${this.ecs.tasks.map((n) => n.name).join(" + ")}`, this.ecs.tasks, CLUSTER_TIMEOUT_MS);
  }

  /** The events' table, for the summary and the README. */
  eventsTable(): string {
    const rows = this.results.map(
      (r) =>
        `| ${r.event} | ${r.seconds.toFixed(0)} | ${r.requests} | ${r.logins} | ${r.loginsPerSecond.toFixed(1)} | ${r.p50Ms} / ${r.p95Ms} / ${r.p99Ms} | ${r.failed} | ${r.relogins.length} |`,
    );
    return [
      `| Event, under load | Seconds | Requests | Logins | Logins/s | Login p50 / p95 / p99 (ms) | Failed requests | Re-logins |`,
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
    ].join("\n");
  }

  async tearDown(): Promise<string[]> {
    await this.stopLoad();
    await this.sampling?.stop();
    // The proxy's log (which target answered each failed request) outlives the stand's temporary directory.
    if (this.stand.proxy !== undefined) copyFileSync(this.stand.proxy.logFile, join(this.stand.logDir, "haproxy.log"));
    this.stand.summary.sections.push(this.eventsTable());
    return this.stand.tearDown();
  }
}
