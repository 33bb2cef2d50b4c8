/**
 * Cluster benchmark on the lifecycle e2e's harness (real Keycloak nodes sized like their Fargate
 * tasks, the ECS stand-in with the synthesized target group's timings, a TLS proxy): logins/s and
 * login latency (p50/p95/p99) with 1 and 2 nodes under a bounded load of logins (authorization
 * code + PKCE) and token refreshes, then the failed requests and re-logins while a task is
 * stopped, the service deployed, scaled out and in, and a task crashes. Prints a markdown table.
 * Needs root (network namespaces, cgroups) and the e2e's tools; on a shared machine run it under
 * the heavy-test lock. Usage: npm run bench:cluster [-- --seconds N]
 */
import { LifecycleRun } from "../support/lifecycle-run";

const secondsArg = process.argv.indexOf("--seconds");
const steadySeconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 30;
if (process.argv.includes("--help")) {
  console.log("usage: npm run bench:cluster [-- --seconds N]   (N: seconds of steady load per node count, default 30)");
  process.exit(0);
}
/** Visitors logging in back to back, and users who stay logged in and refresh their tokens. */
const LOAD = { loginUsers: 4, sessionUsers: 2, thinkMs: 100 };

async function main(): Promise<void> {
  const run = new LifecycleRun();
  let failed = false;
  try {
    await run.build();
    await run.startLoad(LOAD);
    await run.steady("steady load, 1 node", steadySeconds * 1000);
    await run.scaleToDesired();
    await run.steady("steady load, 2 nodes", steadySeconds * 1000);
    await run.gracefulStop();
    await run.rollingDeploy();
    await run.scaleOut();
    await run.scaleIn();
    const crash = await run.crash();
    run.stand.summary.notes.push(
      `Crash of ${crash.killed}: failed requests inside the ${crash.windowMs / 1000} s window: ${crash.stats.failed}, after it: ${crash.failedAfterWindow}; dead target out after ${(crash.deadTargetOutAfterMs / 1000).toFixed(1)} s; survivor readiness dropped: ${crash.survivorNotReadySeen ? "yes" : "no"}, its target left service: ${crash.survivorTargetStates.length > 0 ? crash.survivorTargetStates.join(", ") : "no"}; re-logins: ${crash.stats.relogins.length} (${crash.pinnedToKilled.length} sessions were pinned to the dead task).`,
    );
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    const errors = await run.tearDown();
    const timings = run.stand.ecsTimings;
    console.log(`\n## bench:cluster, ${new Date().toISOString()}\n`);
    console.log(`Load: ${LOAD.loginUsers} visitors logging in back to back and ${LOAD.sessionUsers} logged-in users refreshing tokens, ${LOAD.thinkMs} ms apart; time scale ${timings?.scale ?? "?"}.\n`);
    console.log(run.eventsTable());
    for (const note of run.stand.summary.notes) console.log(`- ${note}`);
    if (errors.length > 0) {
      failed = true;
      console.error(errors.join("\n"));
    }
  }
  process.exit(failed ? 1 : 0);
}

void main();
