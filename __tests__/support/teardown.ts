import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";

/**
 * Undoing what a test started: one synchronous undo list for afterAll, and a detached guard
 * process for when the test process dies without running it.
 */

/**
 * What the guard undoes when the test process is gone: kill a process group or process, delete a
 * namespace, link, directory, or a cgroup (a directory whose processes must be gone first).
 */
export type ResourceKind = "group" | "pid" | "netns" | "link" | "dir" | "cgroup";

/** Hands out manifest entries; the returned function drops the entry once the resource is gone by itself. */
export interface Guard {
  track(kind: ResourceKind, value: string): () => void;
}

// Waits for the test process to end, then undoes the manifest's entries newest first. A cgroup is
// removed last-registered-first like the rest; its processes were killed by an earlier (newer)
// entry, but the kernel frees a group only once they have exited, hence the retries.
const GUARD_SCRIPT = `
parent=$1 manifest=$2 ip=$3
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$manifest" ] || exit 0
tac "$manifest" | while read -r kind value; do
  case "$kind" in
    group) kill -KILL -- "-$value" 2>/dev/null ;;
    pid) kill -KILL "$value" 2>/dev/null ;;
    link) "$ip" link del "$value" 2>/dev/null ;;
    netns) "$ip" netns del "$value" 2>/dev/null ;;
    dir) rm -rf -- "$value" ;;
    cgroup) for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir -- "$value" 2>/dev/null && break; sleep 1; done ;;
  esac
done
rm -f -- "$manifest"
`;

/**
 * Everything a test started, undone in reverse order by `run()` (afterAll). Jest hands test code
 * a copy of `process` whose signal listeners never fire, and a runner stopped by SIGINT, SIGTERM
 * or SIGKILL runs no afterAll; so a detached guard process watches the test process and, once it
 * is gone without `run()`, undoes what the manifest lists. Entries are dropped as soon as their
 * resource is gone, so the guard never signals a process ID that may have been reused.
 */
export class Teardown implements Guard {
  private readonly steps: { name: string; undo: () => void }[] = [];
  private readonly entries: { kind: ResourceKind; value: string }[] = [];
  private readonly manifest = join(tmpdir(), `kc-e2e-guard-${process.pid}-${Date.now()}.list`);
  private readonly guard: ChildProcess;

  constructor() {
    writeFileSync(this.manifest, "");
    this.guard = spawn(resolveCommand("bash"), ["-c", GUARD_SCRIPT, "guard", String(process.pid), this.manifest, resolveCommand("ip")], {
      detached: true,
      stdio: "ignore",
    });
    this.guard.unref();
  }

  /** The file the guard reads: one `<kind> <value>` line per resource it would undo. */
  get manifestFile(): string {
    return this.manifest;
  }

  /** An undo step for `run()`, and optionally what the guard undoes if the test process dies first. */
  add(name: string, undo: () => void, resource?: { kind: ResourceKind; value: string }): void {
    this.steps.push({ name, undo });
    if (resource !== undefined) this.track(resource.kind, resource.value);
  }

  track(kind: ResourceKind, value: string): () => void {
    const entry = { kind, value };
    this.entries.push(entry);
    this.writeManifest();
    return () => {
      const index = this.entries.indexOf(entry);
      if (index >= 0) {
        this.entries.splice(index, 1);
        this.writeManifest();
      }
    };
  }

  /** Runs every step (newest first) even when some fail, then stops the guard; returns the failures. */
  run(): string[] {
    const errors: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step.undo();
      } catch (error) {
        errors.push(`cleanup "${step.name}" failed: ${String(error)}`);
      }
    }
    killGroup(this.guard.pid, "SIGTERM");
    rmSync(this.manifest, { force: true });
    return errors;
  }

  private writeManifest(): void {
    // Replaced in one rename, so the guard never reads half a file.
    writeFileSync(`${this.manifest}.new`, this.entries.map((e) => `${e.kind} ${e.value}\n`).join(""));
    renameSync(`${this.manifest}.new`, this.manifest);
  }
}

/** Sends `signal` to a whole process group (a node is entrypoint, kc.sh and the JVM). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new directory for this run's logs under `root`, keeping the `keep` newest earlier runs for
 * inspection: test runs in parallel must not write into each other's files.
 */
export function runLogDir(root: string, keep = 4): string {
  mkdirSync(root, { recursive: true });
  const runs = readdirSync(root)
    .filter((name) => /^run-\d+-\d+$/.test(name))
    .sort((x, y) => Number(x.split("-")[1]) - Number(y.split("-")[1]));
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
  const dir = join(root, `run-${Date.now()}-${process.pid}`);
  mkdirSync(dir);
  return dir;
}
