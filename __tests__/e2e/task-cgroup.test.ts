import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JAVA_HOME, REPO_ROOT } from "../../tools/keycloak-dist";
import { NetworkNamespace } from "../support/netns";
import { TaskCgroup, withCgroupsMounted } from "../support/task-cgroup";
import { Teardown } from "../support/teardown";
import { TempDirs } from "../support/temp-dir";
import { waitFor } from "../support/waiting";

/**
 * The Fargate-sized cgroups every Keycloak node of the e2e runs in: the JVM reads them as it reads
 * a Fargate task's limits, going past the memory limit fails the harness's check with a message
 * naming the limit, and the groups go away also when the test process dies.
 */

const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());
afterAll(() => {
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
});

/** The dev profile's task size (modules/config/index.ts: taskCpu 512, taskMemory 2048). */
const DEV_TASK = { cpu: 512, memory: 2048 };
const java = join(JAVA_HOME, "bin", "java");

function runIn(cgroup: TaskCgroup, argv: string[]) {
  const wrapped = cgroup.wrap(argv);
  return spawnSync(wrapped[0], wrapped.slice(1), { encoding: "utf8", timeout: 60_000 });
}

function group(name: string, size: { cpu: number; memory: number }): TaskCgroup {
  const cgroup = new TaskCgroup(`kc-cgtest-${process.pid}-${name}`, size, teardown);
  teardown.add(`cgroup ${name}`, () => cgroup.remove());
  return cgroup;
}

test("the JVM in a task-sized cgroup (0.5 vCPU / 2048 MiB) reads the limits from cgroup v1: one processor, a 50 % CPU quota, 2 GiB of memory", () => {
  const result = runIn(group("jvm", DEV_TASK), [java, "-XshowSettings:system", "-version"]);
  const settings = `${result.stdout}${result.stderr}`;
  const line = (label: string) => new RegExp(`^\\s*${label}: (.+)$`, "m").exec(settings)?.[1]?.trim();
  expect({
    status: result.status,
    provider: line("Provider"),
    cpus: line("Effective CPU Count"),
    quota: line("CPU Quota"),
    period: line("CPU Period"),
    memory: line("Memory Limit"),
  }).toEqual({ status: 0, provider: "cgroupv1", cpus: "1", quota: "50000us", period: "100000us", memory: "2.00G" });
});

test("the JVM started the way the nodes are (task cgroup, then `ip netns exec`) still reads the task's limits", () => {
  const namespace = NetworkNamespace.create("kccgtest");
  teardown.add(`namespace ${namespace.name}`, () => namespace.delete(), { kind: "netns", value: namespace.name });
  const cgroup = group("netns", DEV_TASK);
  const argv = cgroup.wrap(namespace.command(withCgroupsMounted([java, "-XshowSettings:system", "-version"])));
  const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60_000 });
  const settings = `${result.stdout}${result.stderr}`;
  const line = (label: string) => new RegExp(`^\\s*${label}: (.+)$`, "m").exec(settings)?.[1]?.trim();
  expect({ status: result.status, cpus: line("Effective CPU Count"), memory: line("Memory Limit") }).toEqual({ status: 0, cpus: "1", memory: "2.00G" });
});

test("a process that goes past its task memory limit is killed and fails the harness's check with a message naming the limit", () => {
  const tiny = group("tiny", { cpu: 1024, memory: 64 });
  // A heap of 256 MiB, touched at start: four times the limit.
  const result = runIn(tiny, [java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-version"]);
  expect(result.signal).toBe("SIGKILL");
  expect(() => tiny.assertWithinLimit("tiny-node")).toThrow(/^tiny-node hit its memory limit of 64 MiB \(task memory, memory.limit_in_bytes 67108864\): memory.failcnt [1-9]\d*, OOM kills 1/);
});

test("a process within its task memory limit passes the harness's check", () => {
  const roomy = group("roomy", DEV_TASK);
  expect(runIn(roomy, [java, "-version"]).status).toBe(0);
  expect(() => roomy.assertWithinLimit("roomy-node")).not.toThrow();
  expect(roomy.usage().peakBytes).toBeGreaterThan(0);
});

test("when the test process dies, its guard kills the processes in a task cgroup and removes the group", async () => {
  const dir = tempDirs.make("kc-cgtest-");
  const script = join(dir, "dies.ts");
  // A test process that starts a task in its own cgroup and is then killed without any cleanup.
  writeFileSync(
    script,
    `import { spawn } from "node:child_process";
import { TaskCgroup } from ${JSON.stringify(join(REPO_ROOT, "__tests__/support/task-cgroup"))};
import { Teardown } from ${JSON.stringify(join(REPO_ROOT, "__tests__/support/teardown"))};
const teardown = new Teardown();
const cgroup = new TaskCgroup("kc-cgtest-dies-" + process.pid, { cpu: 512, memory: 256 }, teardown);
const argv = cgroup.wrap(["sleep", "600"]);
const task = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore" });
teardown.track("group", String(task.pid));
setTimeout(() => console.log(JSON.stringify({ pid: task.pid, pids: cgroup.pids(), manifest: teardown.manifestFile })), 500);
setInterval(() => {}, 1000);
`,
  );
  // node itself with tsx's loader (not the tsx wrapper, which would run the script in a grandchild).
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (data: Buffer) => resolve(data.toString()));
      child.once("exit", (code) => reject(new Error(`the dying test process exited early (${code})`)));
    });
    const started = JSON.parse(line) as { pid: number; pids: number[]; manifest: string };
    expect(started.pids).toContain(started.pid);
    const manifest = readFileSync(started.manifest, "utf8");
    const groups = [...manifest.matchAll(/^cgroup (.+)$/gm)].map((m) => m[1]);
    expect(groups).toHaveLength(3);

    child.kill("SIGKILL");
    const alive = () => {
      try {
        process.kill(started.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor("the guard to kill the task and remove its cgroups", 30_000, () => (!alive() && groups.every((g) => !existsSync(g)) ? true : undefined));
  } finally {
    child.kill("SIGKILL");
  }
}, 60_000);
