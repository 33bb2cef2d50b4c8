import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";
import type { Guard, Teardown } from "./teardown";

/**
 * What Fargate gives a task, on this machine: a cgroup v1 group per task with the task
 * definition's CPU (a CFS quota of `cpu`/1024 CPUs) and memory (a hard limit of `memory` MiB,
 * past which the kernel kills the task's processes). The JVM's container support reads both, as
 * it does on Fargate. Groups nest under the test process's own group of each controller, so any
 * limit the machine puts on the test applies to them as well.
 */

/** The task definition's size: `cpu` in CPU units (1024 to a vCPU) and `memory` in MiB. */
export interface TaskSize {
  cpu: number;
  memory: number;
}

export const CGROUP_ROOT = "/sys/fs/cgroup";
/** The CFS period the quota is a share of (the kernel's default). */
export const CFS_PERIOD_US = 100_000;
const CONTROLLERS = ["cpu", "cpuacct", "memory"] as const;
type Controller = (typeof CONTROLLERS)[number];
const MIB = 1024 * 1024;

export interface CgroupUsage {
  /** memory.max_usage_in_bytes: the peak since creation or the last `resetPeak()`. */
  peakBytes: number;
  /** memory.failcnt: how often usage reached the limit (the kernel then reclaims or kills). */
  failcnt: number;
  /** `oom_kill` of memory.oom_control: processes the kernel killed for going over the limit. */
  oomKills: number;
  /** cpuacct.usage: CPU time of every process that ran in the group, in seconds. */
  cpuSeconds: number;
  /** cpu.stat nr_throttled: CFS periods in which the quota ran out. */
  throttledPeriods: number;
}

/** The test process's own group of `controller`, from /proc/self/cgroup. */
function ownGroup(controller: Controller): string {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers !== undefined && controllers.split(",").includes(controller)) return join(CGROUP_ROOT, controller, path);
  }
  throw new Error(`no cgroup v1 '${controller}' hierarchy in /proc/self/cgroup: the tasks cannot be sized as on Fargate`);
}

// `ip netns exec` gives its command a fresh /sys, without the cgroup mounts: the limits still
// apply, but the JVM could not read them and would size itself from the whole machine. This
// mounts the hierarchies of cpu, cpuacct, cpuset (the JVM requires it) and memory again (in the command's private mount
// namespace), with the controller sets /proc/self/cgroup names, so the JVM reads them as in a container.
const MOUNT_CGROUPS_SCRIPT = `
if [ ! -e /sys/fs/cgroup/memory ] && [ ! -e /sys/fs/cgroup/memory,cpu ]; then
  mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
  while IFS=: read -r _ controllers _; do
    case ",$controllers," in
      *,cpu,* | *,cpuacct,* | *,cpuset,* | *,memory,*)
        mkdir -p "/sys/fs/cgroup/$controllers"
        mount -t cgroup -o "$controllers" cgroup "/sys/fs/cgroup/$controllers" ;;
    esac
  done < /proc/self/cgroup
fi
exec "$@"
`;

/** `argv` run inside a network namespace with the cgroup hierarchies visible again (see MOUNT_CGROUPS_SCRIPT). */
export function withCgroupsMounted(argv: string[]): string[] {
  return [resolveCommand("bash"), "-c", MOUNT_CGROUPS_SCRIPT, "mount-cgroups", ...argv];
}

export class TaskCgroup {
  private readonly dirs: Record<Controller, string>;
  private readonly untrack: (() => void)[] = [];

  /** Creates the groups (cpu, cpuacct, memory) named `name` and registers them with `guard` for removal. */
  constructor(
    readonly name: string,
    readonly size: TaskSize,
    guard: Guard,
  ) {
    this.dirs = Object.fromEntries(CONTROLLERS.map((c) => [c, join(ownGroup(c), name)])) as Record<Controller, string>;
    for (const controller of CONTROLLERS) {
      mkdirSync(this.dirs[controller]);
      this.untrack.push(guard.track("cgroup", this.dirs[controller]));
    }
    this.write("cpu", "cpu.cfs_period_us", CFS_PERIOD_US);
    this.write("cpu", "cpu.cfs_quota_us", Math.round((size.cpu / 1024) * CFS_PERIOD_US));
    this.write("memory", "memory.limit_in_bytes", this.limitBytes);
  }

  get limitBytes(): number {
    return this.size.memory * MIB;
  }

  /** "1 vCPU / 2048 MiB", as the summary prints it. */
  describe(): string {
    return `${this.size.cpu / 1024} vCPU / ${this.size.memory} MiB`;
  }

  /**
   * `argv` prefixed so that its process joins the groups before it execs: everything it starts
   * (kc.sh, the JVM) is then counted and limited from its first instruction, as in a container.
   */
  wrap(argv: string[]): string[] {
    const procs = CONTROLLERS.map((c) => join(this.dirs[c], "cgroup.procs"));
    return [resolveCommand("bash"), "-c", `for f in ${procs.map((p) => `'${p}'`).join(" ")}; do echo $$ > "$f"; done; exec "$@"`, "join-cgroup", ...argv];
  }

  /**
   * Moves the running process `pid` (all its threads) into the groups: a process started before
   * the group existed (the database, the proxy, the benchmark's own load generator) is counted
   * and limited from then on. `releaseAll` moves it out again before the groups are removed.
   */
  adopt(pid: number): void {
    for (const controller of CONTROLLERS) writeFileSync(join(this.dirs[controller], "cgroup.procs"), String(pid));
  }

  /** Moves every process of the groups to their parent groups (the kernel removes only empty groups). */
  releaseAll(): void {
    for (const controller of CONTROLLERS) {
      const procs = readFileSync(join(this.dirs[controller], "cgroup.procs"), "utf8").split("\n").filter((line) => line !== "");
      for (const pid of procs) {
        try {
          writeFileSync(join(this.dirs[controller], "..", "cgroup.procs"), pid);
        } catch (error) {
          // A process that exited meanwhile has left the group by itself.
          if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
        }
      }
    }
  }

  /** Processes in the group right now. */
  pids(): number[] {
    return this.read("memory", "cgroup.procs")
      .split("\n")
      .filter((line) => line !== "")
      .map(Number);
  }

  usage(): CgroupUsage {
    const oom = /^oom_kill (\d+)$/m.exec(this.read("memory", "memory.oom_control"));
    return {
      peakBytes: Number(this.read("memory", "memory.max_usage_in_bytes")),
      failcnt: Number(this.read("memory", "memory.failcnt")),
      oomKills: oom === null ? 0 : Number(oom[1]),
      cpuSeconds: Number(this.read("cpuacct", "cpuacct.usage")) / 1e9,
      throttledPeriods: Number(/^nr_throttled (\d+)$/m.exec(this.read("cpu", "cpu.stat"))?.[1] ?? 0),
    };
  }

  /** Starts a new peak-memory measurement (memory.max_usage_in_bytes restarts from current usage). */
  resetPeak(): void {
    this.write("memory", "memory.max_usage_in_bytes", 0);
  }

  /**
   * Throws when the group's processes reached the memory limit: on Fargate the task would have
   * been killed (the kernel kills here too, or reclaims and counts a failure first).
   */
  assertWithinLimit(who: string): void {
    const usage = this.usage();
    if (usage.failcnt > 0 || usage.oomKills > 0) {
      throw new Error(
        `${who} hit its memory limit of ${this.size.memory} MiB (task memory, memory.limit_in_bytes ${this.limitBytes}): ` +
          `memory.failcnt ${usage.failcnt}, OOM kills ${usage.oomKills}, peak ${(usage.peakBytes / MIB).toFixed(0)} MiB`,
      );
    }
  }

  /**
   * Removes the groups. The kernel refuses to remove a group with processes, and a killed JVM takes
   * a moment to exit, so a busy group is retried for up to 5 s.
   */
  remove(): void {
    for (const controller of CONTROLLERS) {
      for (let attempt = 0; existsSync(this.dirs[controller]); attempt++) {
        try {
          rmdirSync(this.dirs[controller]);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EBUSY" || attempt >= 50) throw error;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    }
    for (const untrack of this.untrack.splice(0)) untrack();
  }

  private read(controller: Controller, file: string): string {
    return readFileSync(join(this.dirs[controller], file), "utf8");
  }

  private write(controller: Controller, file: string, value: number): void {
    writeFileSync(join(this.dirs[controller], file), String(value));
  }
}

/**
 * A node's task-sized cgroup, as Fargate gives a task of `task`'s definition: created now, removed
 * by `teardown.run()` or, should the test process die, by its guard.
 */
export function taskCgroupFor(name: string, task: TaskSize, teardown: Teardown): TaskCgroup {
  const cgroup = new TaskCgroup(`kc-e2e-${process.pid}-${name}`, { cpu: task.cpu, memory: task.memory }, teardown);
  teardown.add(`cgroup of ${name}`, () => cgroup.remove());
  return cgroup;
}
