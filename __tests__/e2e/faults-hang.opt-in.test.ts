import { join } from "node:path";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { lifecycleBreak } from "../support/ecs-lifecycle";
import { describeHang, runHang } from "../support/hang-fault";
import { LifecycleRun } from "../support/lifecycle-run";

/**
 * Fault: a hung task (every process of it frozen, SIGSTOP: a JVM that stopped answering, which
 * does not exit) under the lifecycle e2e's load, on the ECS stand-in, which runs the synthesized
 * container health check (the task definition's bash /dev/tcp liveness command, in the task's
 * namespace) with its interval, timeout, retries and start period, and replaces a task it finds
 * UNHEALTHY as ECS does: the replacement first while the maximum percent leaves room for it
 * (150 % of 2: it does), the unhealthy task stopped (deregistered, drained, SIGTERM, SIGKILL after
 * stopTimeout) once the replacement is healthy.
 *
 * Asserted from the stand's observations (the proxy's target states and request counters, the
 * load's requests, the nodes' processes): the hung target leaves service (deregistered) before the
 * target group's own health check fails it, within the container check's worst case (retries x
 * (interval + timeout)) plus the replacement's observed start to healthy; no request reaches it
 * after; failed requests only started before it left, of users sent to it (at most one per
 * client timeout per user), none of session users pinned to the other task; 0 re-logins, and
 * every session pinned to the hung task refreshes on after it left (sessions persist in the
 * database and in the caches' other owner); the replacement is healthy; the other task is never
 * stopped, restarted or taken out of service.
 *
 * Opt-in (`npm run test:e2e:opt-in -- faults-hang`). E2E_HANG_BREAK=no-container-check runs no
 * container health check: the target then stays in service until the target group's window
 * fails it, and the test must be red.
 */

const run = new LifecycleRun(join(REPO_ROOT, ".cache", "faults-hang-summary.md"), { breaks: lifecycleBreak({ E2E_LIFECYCLE_BREAK: process.env.E2E_HANG_BREAK }) });
const LOAD = { sessionUsers: 4, loginUsers: 1, thinkMs: 300 };

beforeAll(() => run.setUp(LOAD), 15 * 60_000);

afterAll(() => run.finish(), 3 * 60_000);

afterEach(() => run.stand.assertWithinMemoryLimits());

describe("a hung task (SIGSTOP) under a load of logins and token refreshes", () => {
  test("the container health check has ECS replace it: out of service before the target group's window, failures only of requests sent to it before, 0 sessions lost, the other task untouched", async () => {
    const r = await runHang(run);
    const line = describeHang(r);
    run.stand.summary.notes.push(line);
    process.stdout.write(`${line}\n${JSON.stringify({ ...r, stats: { ...r.stats, relogins: r.stats.relogins.length } }, null, 1)}\n`);

    // Out of service through ECS's replacement, before the target group's own check failed it.
    const outBoundMs = r.unhealthyBoundMs + (r.replacementStartToUpMs ?? 0) + 5_000;
    expect({
      out: r.outAfterMs !== undefined,
      beforeTargetGroup: r.outAfterMs !== undefined && r.downAfterMs === undefined && r.outAfterMs < r.targetGroupWindowMs,
      withinBound: r.outAfterMs !== undefined && r.outAfterMs <= outBoundMs,
      requestsToHungAfterOut: r.requestsToHungAfterOut,
    }).toEqual({ out: true, beforeTargetGroup: true, withinBound: true, requestsToHungAfterOut: 0 });
    // Failures: only requests sent to the hung task before it left, at most one per client timeout per user.
    expect({ failedAfterOut: r.failedAfterOut, failedUnpinnedSessionUsers: r.failedUnpinnedSessionUsers }).toEqual({ failedAfterOut: [], failedUnpinnedSessionUsers: [] });
    expect(r.maxFailuresOfOneUser).toBeLessThanOrEqual(r.failuresPerUserBound!);
    // Sessions: none lost, those pinned to the hung task go on on the other one.
    expect({ reloginsUnpinned: r.reloginsUnpinned, reloginsPinned: r.reloginsPinned, pinnedWithoutRefreshAfterOut: r.pinnedWithoutRefreshAfterOut }).toEqual({
      reloginsUnpinned: [],
      reloginsPinned: [],
      pinnedWithoutRefreshAfterOut: [],
    });
    // A replacement healthy, the hung task gone, the other task never replaced nor out of service.
    expect({ replacement: r.replacement !== undefined && r.replacementUpAfterMs !== undefined, error: r.record?.error, hungGone: r.hungGoneAfterMs !== undefined }).toEqual({ replacement: true, error: undefined, hungGone: true });
    expect({ otherStarts: r.otherStarts, otherRunning: r.otherRunning, otherOutOfService: r.otherOutOfService, tasksAfter: r.tasksAfter }).toEqual({
      otherStarts: 0,
      otherRunning: true,
      otherOutOfService: [],
      tasksAfter: [r.other, r.replacement],
    });
  }, 15 * 60_000);
});
