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
    const bound = nodeJoinBound(HEALTH_CHECK);
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
});
