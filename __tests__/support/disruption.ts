import { fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import { sleep, waitFor } from "./waiting";

/**
 * What a user sees while nodes die: a client that requests a URL through the proxy at a fixed
 * interval, and the bound each event's failures and recovery are held to.
 */

export interface Poll {
  startedAt: number;
  ok: boolean;
  /** `HTTP <status>` or the network error, for failures. */
  detail: string;
  /** Targets the proxy held healthy when the request was sent; 0 means it was failing open. */
  healthyTargets?: number;
}

/** A client that requests `url` through the proxy every `intervalMs` (at most `maxRequests` times) until stopped. */
export class Poller {
  readonly polls: Poll[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    url: string,
    endpoint: Endpoint,
    readonly intervalMs = 200,
    maxRequests = 3_000,
    /** The proxy's count of healthy targets, sampled before each request. */
    healthyTargets?: () => Promise<number>,
  ) {
    this.loop = (async () => {
      while (!this.stopped && this.polls.length < maxRequests) {
        const startedAt = Date.now();
        const healthy = await healthyTargets?.();
        try {
          const response = await fetchOnce(url, endpoint, { timeoutMs: 5_000 });
          this.polls.push({ startedAt, ok: response.status === 200, detail: `HTTP ${response.status}`, healthyTargets: healthy });
        } catch (error) {
          this.polls.push({ startedAt, ok: false, detail: (error as Error).message, healthyTargets: healthy });
        }
        await sleep(Math.max(0, intervalMs - (Date.now() - startedAt)));
      }
    })();
  }

  /**
   * Waits until every request of the last `settleMs` succeeded, counting only requests started
   * after `since` and at least `settleMs` of them: recovery is observed after the event, never
   * assumed from the order of the test's steps.
   */
  async settle(since: number, settleMs: number, timeoutMs: number): Promise<void> {
    await waitFor(`${settleMs / 1000} s of successful requests through the proxy`, timeoutMs, () => {
      const now = Date.now();
      if (now - since < settleMs) return undefined;
      const recent = this.polls.filter((poll) => poll.startedAt >= Math.max(since, now - settleMs));
      // At least a quarter of the requests the interval allows: slow answers under load still count.
      return recent.length >= settleMs / this.intervalMs / 4 && recent.every((poll) => poll.ok) ? true : undefined;
    }, 100);
  }

  async stop(): Promise<Poll[]> {
    this.stopped = true;
    await this.loop;
    return this.polls;
  }
}

/** What one event may cost the polling user, and why. */
export interface DisruptionBound {
  maxFailed: number;
  maxRecoverySeconds: number;
  /** How the numbers follow from the proxy's health-check timings. */
  reason: string;
  /**
   * Failures while the proxy had no healthy target (failing open, as the ALB does) are counted
   * apart and held to this bound of their own, never excused without one; recovery is then
   * measured from the end of the fail-open window, which must itself end within `maxUntilSeconds`.
   */
  failOpen?: FailOpenBound;
}

/** What a window with no healthy target may cost, and why. */
export interface FailOpenBound {
  maxFailed: number;
  /** From the event to the last request sent while failing open. */
  maxUntilSeconds: number;
  reason: string;
}

export interface Disruption {
  event: string;
  /** Requests started at or after the event. */
  requests: number;
  failed: number;
  /** The first few failures. */
  failures: string[];
  /** From the event to the first request of the final unbroken run of successes. */
  recoveredAfterSeconds: number;
  /** Failed requests sent while the proxy had no healthy target (failing open). */
  failedFailOpen: number;
  /** From the event to the last request sent while the proxy was failing open; 0 when it never was. */
  failOpenUntilSeconds: number;
  bound: DisruptionBound;
}

/** Failures and recovery of the requests started at or after `eventAt`. */
export function measureDisruption(event: string, polls: Poll[], eventAt: number, bound: DisruptionBound): Disruption {
  const after = polls.filter((poll) => poll.startedAt >= eventAt);
  const failed = after.filter((poll) => !poll.ok);
  const lastFailure = after.map((poll) => !poll.ok).lastIndexOf(true);
  const recoveredAt = after[lastFailure + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
  const failOpen = after.filter((poll) => poll.healthyTargets === 0);
  return {
    event,
    requests: after.length,
    failed: failed.length,
    failures: failed.slice(0, 5).map((poll) => poll.detail),
    recoveredAfterSeconds: (recoveredAt - eventAt) / 1000,
    failedFailOpen: failed.filter((poll) => poll.healthyTargets === 0).length,
    failOpenUntilSeconds: failOpen.length === 0 ? 0 : (failOpen[failOpen.length - 1].startedAt - eventAt) / 1000,
    bound,
  };
}

/** The problems of a disruption outside its bound; empty when within. */
export function outsideBound(d: Disruption): string[] {
  const problems: string[] = [];
  if (d.requests === 0) problems.push(`${d.event}: no request was made after the event`);
  const failOpen = d.bound.failOpen;
  const counted = failOpen ? d.failed - d.failedFailOpen : d.failed;
  if (counted > d.bound.maxFailed) {
    problems.push(`${d.event}: ${counted} failed requests${failOpen ? " while the proxy had a healthy target" : ""}, bound ${d.bound.maxFailed} (${d.bound.reason})`);
  }
  if (failOpen && d.failedFailOpen > failOpen.maxFailed) {
    problems.push(`${d.event}: ${d.failedFailOpen} failed requests while failing open, bound ${failOpen.maxFailed} (${failOpen.reason})`);
  }
  if (failOpen && d.failOpenUntilSeconds > failOpen.maxUntilSeconds) {
    problems.push(`${d.event}: failing open until ${d.failOpenUntilSeconds.toFixed(1)} s, bound ${failOpen.maxUntilSeconds.toFixed(1)} s (${failOpen.reason})`);
  }
  const recoveryBound = d.bound.maxRecoverySeconds + (failOpen ? Math.min(d.failOpenUntilSeconds, failOpen.maxUntilSeconds) : 0);
  if (!(d.recoveredAfterSeconds <= recoveryBound)) {
    const shown = Number.isInteger(recoveryBound) ? String(recoveryBound) : recoveryBound.toFixed(1);
    problems.push(`${d.event}: recovered after ${d.recoveredAfterSeconds.toFixed(1)} s, bound ${shown} s (${d.bound.reason})`);
  }
  return problems;
}

/** The proxy's health-check timing (haproxy.ts HEALTH_CHECK): the ALB's interval and thresholds. */
export interface HealthCheckTiming {
  intervalMs: number;
  fall: number;
  rise: number;
}

/**
 * The stated margin on top of what the health checks allow: one request in flight when a node
 * dies (its connection is cut, and haproxy retries only requests that never reached a server),
 * one more at the moment the proxy's state flips, and a second for the client's own timing.
 */
export const MARGIN = { requests: 2, seconds: 1 } as const;

/**
 * A node killed: the proxy takes it out after `fall` failed checks, plus up to one interval for the
 * check under way when it died. At worst every request in that window fails; after it none may.
 */
export function nodeLossBound(hc: HealthCheckTiming, pollIntervalMs: number): DisruptionBound {
  const detectMs = (hc.fall + 1) * hc.intervalMs;
  return {
    maxFailed: Math.ceil(detectMs / pollIntervalMs) + MARGIN.requests,
    maxRecoverySeconds: detectMs / 1000 + MARGIN.seconds,
    reason: `dead node out after ${hc.fall} failed checks + 1 check interval = ${detectMs / 1000} s = ${Math.ceil(detectMs / pollIntervalMs)} requests at ${pollIntervalMs} ms, + ${MARGIN.requests} requests / ${MARGIN.seconds} s margin`,
  };
}

/**
 * A node joining: the proxy sends it nothing before `rise` good readiness checks, so users see
 * nothing while the proxy has a healthy target (+ the margin). The proxy can have none: the lone
 * survivor of a killed peer is out of readiness for a while (Keycloak's cluster check) and this
 * stand's fast fall (HEALTH_CHECK) takes it out, where the ALB's 10 x 20 s keeps it (the lifecycle
 * e2e shows that). Then the proxy fails open to every target, the starting one included, and the
 * service is down until the joining node is ready (`joinReadyMs`, measured from the event) and
 * has passed `rise` checks: those failures are counted apart and held to that outage's bound.
 */
export function nodeJoinBound(hc: HealthCheckTiming, pollIntervalMs: number, joinReadyMs: number): DisruptionBound {
  const untilMs = joinReadyMs + (hc.rise + 1) * hc.intervalMs;
  return {
    maxFailed: MARGIN.requests,
    maxRecoverySeconds: MARGIN.seconds,
    reason: `a starting node gets traffic only after ${hc.rise} ready checks: nothing fails while a target is healthy, + ${MARGIN.requests} requests / ${MARGIN.seconds} s margin`,
    failOpen: {
      maxFailed: Math.ceil(untilMs / pollIntervalMs) + MARGIN.requests,
      maxUntilSeconds: untilMs / 1000 + MARGIN.seconds,
      reason: `no healthy target (the survivor out of readiness, this stand's fast fall) at most until the joining node is ready (${(joinReadyMs / 1000).toFixed(1)} s, measured) + ${hc.rise} good checks + 1 interval = ${(untilMs / 1000).toFixed(1)} s at ${pollIntervalMs} ms, + ${MARGIN.requests} requests / ${MARGIN.seconds} s margin`,
    },
  };
}

/**
 * Every node stopped: requests fail until the first node is ready again (`outageMs`, measured) and
 * the proxy has seen `rise` good checks of it, plus up to one interval for the check under way.
 */
export function outageBound(hc: HealthCheckTiming, pollIntervalMs: number, outageMs: number): DisruptionBound {
  const downMs = outageMs + (hc.rise + 1) * hc.intervalMs;
  return {
    maxFailed: Math.ceil(downMs / pollIntervalMs) + MARGIN.requests,
    maxRecoverySeconds: Math.ceil(downMs / 1000) + MARGIN.seconds,
    reason: `no node until the first is ready (${(outageMs / 1000).toFixed(1)} s, measured) + ${hc.rise} good checks + 1 interval = ${(downMs / 1000).toFixed(1)} s at ${pollIntervalMs} ms, + ${MARGIN.requests} requests / ${MARGIN.seconds} s margin`,
  };
}
