import { HEALTH_CHECK } from "../support/haproxy";
import { MARGIN, measureDisruption, nodeJoinBound, nodeLossBound, outageBound, outsideBound, type Poll } from "../support/disruption";

/** The e2e's disruption bounds: derived from the proxy's health checks, and measured after the event. */

const EVENT_AT = 1_000_000;
/** Polls every 200 ms from 2 s before the event; `failing` lists the poll numbers (0 = first after the event) that fail. */
function polls(count: number, failing: number[]): Poll[] {
  return Array.from({ length: count + 10 }, (_, i) => {
    const n = i - 10;
    const ok = !failing.includes(n);
    return { startedAt: EVENT_AT + n * 200, ok, detail: ok ? "HTTP 200" : "HTTP 502" };
  });
}

describe("disruption bounds", () => {
  test("a node loss may cost what the proxy's fall count x interval allows plus the stated margin, no more", () => {
    const bound = nodeLossBound(HEALTH_CHECK, 200);
    const allowed = Math.ceil(((HEALTH_CHECK.fall + 1) * HEALTH_CHECK.intervalMs) / 200) + MARGIN.requests;
    expect(bound.maxFailed).toBe(allowed);
    expect(bound.maxRecoverySeconds).toBe(((HEALTH_CHECK.fall + 1) * HEALTH_CHECK.intervalMs) / 1000 + MARGIN.seconds);
    const within = measureDisruption("kill", polls(60, Array.from({ length: allowed }, (_, i) => i)), EVENT_AT, bound);
    expect(outsideBound(within)).toEqual([]);
    const beyond = measureDisruption("kill", polls(60, Array.from({ length: allowed + 1 }, (_, i) => i)), EVENT_AT, bound);
    expect(outsideBound(beyond)).toEqual([expect.stringMatching(new RegExp(`^kill: ${allowed + 1} failed requests, bound ${allowed} `))]);
  });

  test("recovery is the start of the final unbroken run of successes after the event: a late failure moves it", () => {
    const bound = nodeLossBound(HEALTH_CHECK, 200);
    const early = measureDisruption("kill", polls(100, [0]), EVENT_AT, bound);
    expect(early.recoveredAfterSeconds).toBeCloseTo(0.2);
    // One failure 12 s after the kill: few failures in all, but the service was not back within the bound.
    const late = measureDisruption("kill", polls(100, [0, 60]), EVENT_AT, bound);
    expect(late.recoveredAfterSeconds).toBeCloseTo(12.2);
    expect(outsideBound(late)).toEqual([expect.stringMatching(/^kill: recovered after 12.2 s, bound /)]);
  });

  test("failures before the event are not the event's, and an event with no request after it fails the bound", () => {
    const bound = nodeJoinBound(HEALTH_CHECK, 200, 30_000);
    const before = polls(20, [-5, -4, -3]);
    expect(measureDisruption("join", before, EVENT_AT, bound)).toMatchObject({ failed: 0, requests: 20 });
    expect(outsideBound(measureDisruption("join", before.slice(0, 10), EVENT_AT, bound))).toContain("join: no request was made after the event");
  });

  test("a full outage may last until the first node is ready plus the proxy's rise checks, and no failure after that", () => {
    const bound = outageBound(HEALTH_CHECK, 200, 60_000);
    const downMs = 60_000 + (HEALTH_CHECK.rise + 1) * HEALTH_CHECK.intervalMs;
    expect(bound).toMatchObject({ maxFailed: Math.ceil(downMs / 200) + MARGIN.requests, maxRecoverySeconds: Math.ceil(downMs / 1000) + MARGIN.seconds });
    const failing = Array.from({ length: downMs / 200 }, (_, i) => i);
    expect(outsideBound(measureDisruption("outage", polls(400, failing), EVENT_AT, bound))).toEqual([]);
    // A failure long after the first node is back is outside the bound, however few failures there were before it.
    expect(outsideBound(measureDisruption("outage", polls(400, [...failing, 390]), EVENT_AT, bound))).toEqual([
      expect.stringMatching(/^outage: recovered after 78.2 s, bound 64 s /),
    ]);
  });

  test("a joining node's failures while the proxy had no healthy target are counted apart and held to the join's own outage bound, never excused without one", () => {
    // The joining node was ready 12 s after its start: fail-open may last until 12 + 3 checks = 15 s (+ 1 s margin), 75 + 2 requests.
    const bound = nodeJoinBound(HEALTH_CHECK, 200, 12_000);
    expect(bound.failOpen).toMatchObject({ maxFailed: 77, maxUntilSeconds: 16 });
    // Polls 0-49 (10 s) sent while no target was healthy; 10 of them fail (routed to the starting node).
    const failOpen = (list: Poll[], until: number) => list.map((poll) => ({ ...poll, healthyTargets: poll.startedAt - EVENT_AT < until * 200 ? 0 : 1 }));
    const failing = [5, 6, 7, 8, 9, 20, 21, 22, 23, 49];
    const within = measureDisruption("join", failOpen(polls(100, failing), 50), EVENT_AT, bound);
    expect(within).toMatchObject({ failed: 10, failedFailOpen: 10 });
    expect(outsideBound(within)).toEqual([]);
    // The same failures while a target was healthy are the join's own: outside the bound.
    const own = measureDisruption("join", failOpen(polls(100, failing), 0), EVENT_AT, bound);
    expect(outsideBound(own)).toEqual([
      expect.stringMatching(/^join: 10 failed requests while the proxy had a healthy target, bound 2 /),
      expect.stringMatching(/^join: recovered after 10.0 s, bound 1 s /),
    ]);
    // A failure after the fail-open window ended, beyond the margin, is outside the bound.
    const late = measureDisruption("join", failOpen(polls(100, [...failing, 60]), 50), EVENT_AT, bound);
    expect(outsideBound(late)).toEqual([expect.stringMatching(/^join: recovered after 12.2 s, bound 10.8 s /)]);
    // Failing open for 28 s when the joining node was ready after 12 s: the outage is longer than the join explains.
    const failingLong = Array.from({ length: 140 }, (_, i) => i);
    const long = measureDisruption("join", failOpen(polls(200, failingLong), 140), EVENT_AT, bound);
    expect(outsideBound(long)).toEqual([
      expect.stringMatching(/^join: 140 failed requests while failing open, bound 77 \(no healthy target .* joining node is ready \(12.0 s, measured\)/),
      expect.stringMatching(/^join: failing open until 27.8 s, bound 16.0 s /),
      expect.stringMatching(/^join: recovered after 28.0 s, bound 17 s /),
    ]);
  });

  test("a node loss never excuses fail-open failures: every failure counts", () => {
    const bound = nodeLossBound(HEALTH_CHECK, 200);
    const list = polls(100, Array.from({ length: bound.maxFailed + 1 }, (_, i) => i)).map((poll) => ({ ...poll, healthyTargets: 0 }));
    expect(outsideBound(measureDisruption("kill", list, EVENT_AT, bound))).toEqual([expect.stringMatching(/^kill: \d+ failed requests, bound /)]);
  });
});
