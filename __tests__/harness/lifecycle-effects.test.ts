import { describeStop, judgeStop, loggedShutdown, stopEffect, type StopEffect } from "../support/lifecycle-run";
import { expectLossless } from "../support/lossless";
import { InFlight, windowStats, type Sample, type WindowStats } from "../support/user-load";

/** What the lifecycle e2e reads from outside the ECS stand-in, and how it windows the load's requests. */

const SHUTDOWN = "2026-12-06 16:00:00,000 INFO  [io.quarkus] (Shutdown thread) Keycloak stopped in 0.073s";
const SHUTDOWN_AT = new Date(2026, 11, 6, 16, 0, 0, 0).getTime();
const sample = (at: number, maint: string[], running: string[]) => ({ at, maint, running });

describe("a graceful stop's effect, from the process's log and the proxy's samples", () => {
  test("SIGTERM after deregistration: the shutdown is logged and the target was out of service while the process ran", () => {
    const samples = [sample(0, [], ["node-a"]), sample(250, ["node-a"], ["node-a"]), sample(500, ["node-a"], ["node-a"]), sample(750, ["node-a"], [])];
    expect(stopEffect("node-a", `started\n${SHUTDOWN}\n`, samples)).toEqual({
      task: "node-a",
      shutdownLogged: true,
      signalAt: SHUTDOWN_AT - 73,
      shutdownMs: 73,
      deregisteredWhileRunning: 2,
      deregisteredAt: 250,
      drainToExitMs: 500,
    });
  });

  test("the signal's time is the shutdown line's less the shutdown's logged length; the last shutdown of the log counts", () => {
    const earlier = "2026-12-06 15:00:00,000 INFO  [io.quarkus] (Shutdown thread) Keycloak stopped in 1.000s";
    const later = "2026-12-06 16:28:11,404 INFO  [io.quarkus] (main) Keycloak stopped in 5.229s";
    expect(loggedShutdown(`${earlier}\nstarted again\n${later}\n`)).toEqual({ signalAt: new Date(2026, 11, 6, 16, 28, 11, 404).getTime() - 5229, shutdownMs: 5229 });
    expect(loggedShutdown("2026-12-06 16:28:11,404 INFO  [io.quarkus] (main) Keycloak started in 5.229s")).toBeUndefined();
  });

  test("SIGKILL at once (kill-at-once) leaves no shutdown line; a stop with no deregistration (no-drain) has the target in service until the process is gone", () => {
    expect(stopEffect("node-a", "started\n", [sample(0, ["node-a"], ["node-a"]), sample(250, ["node-a"], [])]).shutdownLogged).toBe(false);
    // Quarkus's own signal handler ends the run from main: the same graceful shutdown (seen in the cluster e2e's SIGTERM stops).
    expect(stopEffect("node-a", "2026-12-06 16:28:11,404 INFO  [io.quarkus] (main) Keycloak stopped in 5.229s", []).shutdownLogged).toBe(true);
    expect(stopEffect("node-a", SHUTDOWN, [sample(0, [], ["node-a"]), sample(250, [], []), sample(500, ["node-a"], [])])).toMatchObject({ deregisteredWhileRunning: 0 });
  });
});

describe("a graceful stop judged by its effect (judgeStop), each break of the stop chain by the judgement it fails", () => {
  const expected = { shutdownDelayMs: 5_000, deregistrationDelayMs: 30_000 };
  const t0 = 1_000_000;
  /** The chain as the stack has it: deregistered at t0, the held request answered 3.6 s later, SIGTERM 0.1 s after that, 5.4 s of shutdown. */
  const held = { target: "node-a", sentAt: t0 - 400, reachedTarget: true, answeredAt: t0 + 3_600, status: 401 };
  const good: StopEffect = { task: "node-a", shutdownLogged: true, signalAt: t0 + 3_700, shutdownMs: 5_400, deregisteredWhileRunning: 36, deregisteredAt: t0, held };
  const pass = { task: "node-a", shutdownLogged: true, heldShutdownDelay: true, deregisteredBeforeExit: true, inFlightAnsweredBeforeSignal: true };

  test("the stop chain as synthesized passes every judgement, also when the answer is seen up to 1 s after the signal", () => {
    expect(judgeStop(good, expected)).toEqual(pass);
    expect(judgeStop({ ...good, held: { ...held, answeredAt: t0 + 4_700 } }, expected)).toEqual(pass);
  });

  test("no-deregistration-delay (SIGTERM right after deregistration) fails on the request in flight, which is answered seconds after the signal", () => {
    expect(judgeStop({ ...good, signalAt: t0 + 50, held: { ...held, answeredAt: t0 + 3_600 } }, expected)).toEqual({ ...pass, inFlightAnsweredBeforeSignal: false });
  });

  test("a request still in flight when the deregistration delay ran out does not fail the stop: ELB sends the signal then", () => {
    expect(judgeStop({ ...good, signalAt: t0 + 30_000, held: { ...held, answeredAt: t0 + 40_000 } }, expected)).toEqual(pass);
    expect(judgeStop({ ...good, signalAt: t0 + 29_000, held: { ...held, answeredAt: t0 + 40_000 } }, expected).inFlightAnsweredBeforeSignal).toBe(false);
  });

  test("no-drain fails on the target never out of service and on the request in flight; kill-at-once on the missing shutdown; shutdown-delay-0 on the shutdown's length", () => {
    expect(judgeStop({ ...good, deregisteredWhileRunning: 0, deregisteredAt: undefined, signalAt: t0 - 300 }, expected)).toEqual({ ...pass, deregisteredBeforeExit: false, inFlightAnsweredBeforeSignal: false });
    expect(judgeStop({ ...good, shutdownLogged: false, signalAt: undefined, shutdownMs: undefined }, expected)).toEqual({ ...pass, shutdownLogged: false, heldShutdownDelay: false, inFlightAnsweredBeforeSignal: false });
    expect(judgeStop({ ...good, shutdownMs: 412 }, expected)).toEqual({ ...pass, heldShutdownDelay: false });
    expect(judgeStop({ ...good, shutdownMs: 4_999 }, expected).heldShutdownDelay).toBe(false);
  });

  test("a stop's summary line gives each event's time from the target going out of service", () => {
    expect(describeStop(good)).toBe("Stop of node-a: out of service for 36 samples while it ran; the request held on it answered (401) at 3.6 s; SIGTERM at 3.7 s by the JVM's log, its shutdown 5.4 s; process gone never seen.");
    expect(describeStop({ ...good, held: { ...held, reachedTarget: false }, signalAt: undefined, drainToExitMs: 9_100 })).toBe(
      "Stop of node-a: out of service for 36 samples while it ran; the held request never reached it; no graceful shutdown logged; process gone at 9.1 s.",
    );
  });

  test("a held request that never reached the target, or was never answered, proves no drain", () => {
    expect(judgeStop({ ...good, held: { ...held, reachedTarget: false } }, expected).inFlightAnsweredBeforeSignal).toBe(false);
    expect(judgeStop({ ...good, held: { ...held, answeredAt: undefined, error: "socket hang up" } }, expected).inFlightAnsweredBeforeSignal).toBe(false);
    expect(judgeStop({ ...good, held: undefined }, expected).inFlightAnsweredBeforeSignal).toBe(false);
  });
});

describe("load windows", () => {
  const users = ["session-1", "visitor-1"];
  const ok = (at: number, user: string, ms = 100): Sample => ({ at, kind: "refresh", ok: true, ms, user });

  test("a request that hangs 20 s and then fails is counted in the window it started in, once it completed", () => {
    const inFlight = new InFlight();
    const samples: Sample[] = [ok(1_000, "session-1"), ok(1_200, "visitor-1")];
    const done = inFlight.begin(1_500);
    // The window [0, 4000) closes while the request is under way: not closed yet.
    expect(inFlight.startedBefore(4_000)).toBe(1);
    expect(inFlight.startedBefore(1_000)).toBe(0);
    // 20 s later it fails; it is pushed then, keyed by its start.
    samples.push({ at: 1_500, kind: "refresh", ok: false, detail: "no response within 20000 ms", ms: 20_000, user: "session-1" });
    done();
    expect(inFlight.startedBefore(4_000)).toBe(0);
    expect(windowStats({ samples, relogins: [], users }, "event", 0, 4_000)).toMatchObject({ failed: 1, failures: ["refresh of session-1: no response within 20000 ms"] });
  });

  test("a window's load ran only at >= 70 % of the baseline's request rate, with every user making progress", () => {
    const steady = (perSecond: number, from: number, seconds: number) =>
      Array.from({ length: perSecond * seconds }, (_, i) => ok(from + Math.floor((i * 1000) / perSecond), users[i % 2]));
    const baseline = windowStats({ samples: steady(10, 0, 10), relogins: [], users }, "baseline", 0, 10_000);
    expect(baseline.requestsPerSecond).toBe(10);
    expect(() => expectLossless(windowStats({ samples: steady(7, 0, 10), relogins: [], users }, "e", 0, 10_000), baseline)).not.toThrow();
    // Two requests a second against ten: a mostly stalled load (the old check, more requests than seconds, let it pass).
    expect(() => expectLossless(windowStats({ samples: steady(2, 0, 10), relogins: [], users }, "e", 0, 10_000), baseline)).toThrow(/loadRan/);
    // The rate held by one user while the other stalled.
    const oneUser = steady(10, 0, 10).map((s) => ({ ...s, user: "session-1" }));
    const stalled: WindowStats = windowStats({ samples: oneUser, relogins: [], users }, "e", 0, 10_000);
    expect(stalled.usersWithoutProgress).toEqual(["visitor-1"]);
    expect(() => expectLossless(stalled, baseline)).toThrow(/usersWithoutProgress/);
  });
});
