import { readdirSync, readFileSync } from "node:fs";
import { killGroup } from "./teardown";
import { sleep } from "./waiting";

/**
 * How ECS stops a container, and how a container dies, applied to a stand-in task: a process
 * group whose leader is the container's PID 1 (the image's ENTRYPOINT: every wrapper in front of
 * it execs, so the spawned pid is it).
 *
 * - StopTask / deploy / scale-in: SIGTERM to PID 1 **only** (`docker stop` semantics; ECS without
 *   `initProcessEnabled` has no init to fan it out), then, once the container's stopTimeout has
 *   passed, SIGKILL to everything left. An entrypoint that does not pass SIGTERM on to Keycloak
 *   (no `exec`, no trap) is therefore SIGKILLed after stopTimeout on Fargate; signalling the
 *   whole group would hide that, which is why this never does.
 * - A crash: every process of the task dies at once (SIGKILL to the group).
 * - A hang: every process of the task frozen (SIGSTOP), nothing exits; ECS sees nothing.
 */

export interface StopOutcome {
  /** SIGTERM to the last process of the task gone, ms. */
  exitMs: number;
  /** Whether the stopTimeout ran out and SIGKILL ended the task. */
  killed: boolean;
}

/**
 * Whether any process of group `pgid` still runs. Zombies do not count: a process that exited is
 * gone for ECS, while its entry waits for a parent to reap it (orphans go to this machine's PID 1,
 * which may take its time).
 */
export function groupRunning(pgid: number): boolean {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after its last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

/** SIGTERM to `pid` alone; SIGKILL to its group once `stopTimeoutMs` passed with any process of it left. */
export async function stopContainer(pid: number, stopTimeoutMs: number, pollMs = 100): Promise<StopOutcome> {
  const started = Date.now();
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // PID 1 is gone already; whatever else of the group is left meets the SIGKILL below.
  }
  while (groupRunning(pid) && Date.now() - started < stopTimeoutMs) await sleep(pollMs);
  const killed = groupRunning(pid);
  if (killed) {
    killGroup(pid, "SIGKILL");
    while (groupRunning(pid)) await sleep(pollMs);
  }
  return { exitMs: Date.now() - started, killed };
}

/** A crash: SIGKILL to every process of the task. */
export function crashContainer(pid: number): void {
  killGroup(pid, "SIGKILL");
}

/** A hang: SIGSTOP (or SIGCONT to thaw) to every process of the task; the container does not exit. */
export function freezeContainer(pid: number, frozen = true): void {
  killGroup(pid, frozen ? "SIGSTOP" : "SIGCONT");
}
