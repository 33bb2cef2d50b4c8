import { KEYCLOAK_START_COMMAND } from "../../modules/image/image-content";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { DB_CA_BUNDLE_PATH, KEYCLOAK_VERSION, PORTS, WRITABLE_PATHS } from "../../modules/shared/constants";
import { CONTAINER_HEALTH_CHECK_COMMAND } from "../../modules/service/keycloak-service";
import { IMAGE_ADDED_PROGRAMS, REAL_BASE_PROGRAMS } from "../../modules/image/base-image";
import { synthStack } from "../../modules/synth";
import { emfMetric, metricsSidecar, scrapeOnce } from "../support/cluster-metrics";
import { Teardown } from "../support/cluster";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { runProcess, type RunResult } from "../support/run-process";
import { startSingleNodeStand, type SingleNodeStand } from "../support/single-node-stand";
import { TempDirs } from "../support/temp-dir";

/**
 * The image built from docker/ (buildah, on the stand-in base) and one task run from its
 * filesystem the way Fargate runs it: read-only root, the declared volumes writable, uid 1000,
 * ENTRYPOINT + the task definition's command. What a build alone cannot show is checked on the
 * running container: who it runs as, where it can write, whether ECS's health check passes.
 */

jest.setTimeout(20 * 60_000);

const LOG_DIR = join(REPO_ROOT, ".cache", "e2e-logs", "image");
const teardown = new Teardown();
const tempDirs = new TempDirs();
teardown.add("temporary directories", () => tempDirs.removeAll());

let stand: SingleNodeStand;
let startSeconds = 0;

beforeAll(async () => {
  if (process.env.KEYCLOAK_E2E_RUNTIME === "dist") throw new Error("this test is about the image: unset KEYCLOAK_E2E_RUNTIME=dist");
  mkdirSync(LOG_DIR, { recursive: true });
  const work = tempDirs.make("kc-image-");
  teardown.track("dir", work);
  const started = Date.now();
  stand = await startSingleNodeStand({ work, logDir: LOG_DIR, hostname: "keycloak.e2e.test", clients: {}, settings: () => ({}), teardown });
  startSeconds = (Date.now() - started) / 1000;
  const image = stand.node.image!.image;
  process.stdout.write(
    `image: ${image.built ? `built in ${image.buildSeconds.toFixed(0)} s (base stand-in ${image.baseSeconds.toFixed(0)} s)` : "from the cache"}, ` +
      `${(image.sizeBytes / 1e6).toFixed(0)} MB; node ready ${((stand.node.starts[0].readyAt! - stand.node.starts[0].startedAt) / 1000).toFixed(1)} s after its start (first start: schema migration)\n`,
  );
});

afterAll(async () => {
  await stand?.node.kill();
  await stand?.db.stop();
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
});

/** Runs `argv` in a fresh container of the node's image (own mounts, same volumes), in the node's namespace. */
function inContainer(argv: string[]): Promise<RunResult> {
  const command = stand.node.namespaceCommand(stand.node.image!.exec(argv));
  return runProcess(command[0], command.slice(1), { env: stand.node.image!.environment({}, {}), timeoutMs: 30_000 });
}

describe("the image built from docker/", () => {
  test("declares what the task definition relies on: uid 1000, the entrypoint with the task's command (`start --optimized --import-realm`), the writable paths as volumes, the ports", () => {
    const { config } = stand.node.image!.image;
    expect(config.User).toBe("1000");
    expect(config.Entrypoint).toEqual(["/opt/keycloak/bin/entrypoint.sh"]);
    expect(config.Cmd).toEqual([...KEYCLOAK_START_COMMAND]);
    expect(Object.keys(config.Volumes ?? {}).sort()).toEqual([...WRITABLE_PATHS].sort());
    // The base image's own (8443 too) stay exposed.
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(
      expect.arrayContaining([PORTS.http, PORTS.management, PORTS.jgroups, PORTS.jgroupsFailureDetection].map((port) => `${port}/tcp`)),
    );
    expect(config.Labels?.["org.opencontainers.image.version"]).toBe(KEYCLOAK_VERSION);
  });

  test("holds on its PATH only the real base's programs (modules/image/base-image.ts) and its own, /bin/sh being bash", () => {
    const { rootfs } = stand.node.image!.image;
    const onPath = ["usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin", "opt/keycloak/bin"]
      .filter((dir) => existsSync(join(rootfs, dir)))
      .flatMap((dir) => readdirSync(join(rootfs, dir)).map((name) => ({ dir, name })));
    const allowed = new Set<string>([...REAL_BASE_PROGRAMS, ...IMAGE_ADDED_PROGRAMS]);
    // kc.sh's siblings that are no programs (kc.bat, client/, java options files) are Keycloak's own.
    const extra = onPath.filter(({ dir, name }) => dir !== "opt/keycloak/bin" && !allowed.has(name));
    expect(extra).toEqual([]);
    for (const absent of ["curl", "wget", "awk", "perl", "ps", "dash", "dpkg"]) expect(onPath.map((p) => p.name)).not.toContain(absent);
    expect(onPath.map((p) => p.name)).toEqual(expect.arrayContaining(["bash", "java", "sleep", "grep", "sed", "xargs"]));
    expect(readlinkSync(join(rootfs, "usr/bin/sh"))).toBe("bash");
  });

  test("holds the CA bundle the build fetched from DB_CA_BUNDLE_URL, read-only for uid 1000", () => {
    const image = stand.node.image!.image;
    const bundle = join(image.rootfs, "opt", "keycloak", DB_CA_BUNDLE_PATH);
    expect(readFileSync(bundle, "utf8")).toBe(readFileSync(image.ca.certFile, "utf8"));
    const stat = statSync(bundle);
    expect({ uid: stat.uid, mode: (stat.mode & 0o777).toString(8) }).toEqual({ uid: 1000, mode: "444" });
  });
});

describe("a task from the image", () => {
  test("runs Keycloak as uid 1000 gid 0, not root", () => {
    const owners = stand.node.cgroup.pids().map((pid) => {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return { uid: /^Uid:\s+(\d+)/m.exec(status)![1], gid: /^Gid:\s+(\d+)/m.exec(status)![1] };
    });
    expect(owners.length).toBeGreaterThan(0);
    expect(new Set(owners.map((o) => `${o.uid}:${o.gid}`))).toEqual(new Set(["1000:0"]));
  });

  test("can write only to the declared volumes: the root filesystem is read-only", async () => {
    const result = await inContainer([
      "/bin/bash",
      "-c",
      'for p in /opt/keycloak/data /tmp /opt/keycloak/conf /opt/keycloak/lib /etc /; do if : > "$p/.write-probe" 2>/dev/null; then echo "$p writable"; rm "$p/.write-probe"; else echo "$p read-only"; fi; done',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual([
      "/opt/keycloak/data writable",
      "/tmp writable",
      "/opt/keycloak/conf read-only",
      "/opt/keycloak/lib read-only",
      "/etc read-only",
      "/ read-only",
    ]);
  });

  test("runs the task definition's cluster-metrics sidecar inside the image: one EMF line with the lone node's view of 1", async () => {
    const { stream, line } = await scrapeOnce(stand.node, metricsSidecar(synthStack()));
    expect({ stream, line }).toEqual({ stream: "stdout", line: expect.any(String) });
    expect(emfMetric(line).value).toBe(1);
  });

  test("passes the task definition's container health check while live, fails it once Keycloak is gone", async () => {
    expect(CONTAINER_HEALTH_CHECK_COMMAND[0]).toBe("CMD");
    const check = CONTAINER_HEALTH_CHECK_COMMAND.slice(1);
    const healthy = await inContainer(check);
    expect({ code: healthy.code, stderr: healthy.stderr }).toEqual({ code: 0, stderr: "" });

    await stand.node.kill();
    const gone = await inContainer(check);
    expect(gone.code).not.toBe(0);
    expect(startSeconds).toBeGreaterThan(0);
  });
});
