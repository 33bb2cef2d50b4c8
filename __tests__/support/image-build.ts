import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DB_CA_BUNDLE_PATH, KEYCLOAK_VERSION, PORTS } from "../../modules/shared/constants";
import { makeTestCa, type TestCa } from "./database-tls";
import { REAL_BASE_PROGRAMS } from "../../modules/image/base-image";
import { REALMS_DIR } from "../../modules/image/image-content";
import { distTarball, REPO_ROOT } from "../../tools/keycloak-dist";
import { runProcess } from "./run-process";

/**
 * The image built from docker/ for real, with buildah (`--isolation chroot`, vfs storage: no
 * Docker engine, no overlay mounts here), on a local stand-in for the official base image
 * (scripts/build-keycloak-base-stand-in.sh), and its root filesystem unpacked for the nodes
 * (image-runner.ts). The database CA bundle the build `ADD`s comes from a loopback HTTP server
 * serving the image's test CA, never from the Internet.
 *
 * Cached in the git-ignored .cache/image under a key of every input (each file of the build
 * context, the build args, the base image's ID, the CA): any change to docker/ builds again.
 */

export const IMAGE_CACHE = join(REPO_ROOT, ".cache", "image");
const DOCKER_DIR = join(REPO_ROOT, "docker");
const BASE_SCRIPT = join(REPO_ROOT, "scripts", "build-keycloak-base-stand-in.sh");
const STORAGE_CONF = join(IMAGE_CACHE, "storage.conf");
const IMAGES_DIR = join(IMAGE_CACHE, "images");
const COMPLETE_MARKER = "image.json";
const BUILD_TIMEOUT_MS = 15 * 60_000;
/** makeTestCa's certificates are valid for a day: a CA older than this is made again (and the image with it). */
const CA_MAX_AGE_MS = 12 * 3600_000;
/** Files the container runtime bind-mounts over the image's (Docker and ECS write them per container). */
export const RUNTIME_FILES = ["/etc/hosts", "/etc/resolv.conf"] as const;
/** Directories the runtime mounts (devices, proc, sys). */
export const RUNTIME_DIRS = ["/dev", "/proc", "/sys"] as const;

/** The parts of the OCI image configuration the runner uses (`buildah inspect --type image`). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, object>;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

export interface BuiltImage {
  /** The key its inputs hash to; also its tag. */
  key: string;
  /** The image's root filesystem, unpacked (owners and modes as in the image). */
  rootfs: string;
  config: ImageConfig;
  /** The CA whose certificate the build added as the database CA bundle. */
  ca: TestCa;
  /** The build options the image was built with (docker/keycloak-build.env plus the overrides). */
  buildOptions: string;
  /** `buildah images` size of the image, bytes. */
  sizeBytes: number;
  /** False when the cache had it. */
  built: boolean;
  buildSeconds: number;
  baseSeconds: number;
}

/** Environment for buildah: this project's vfs storage under .cache/image, chroot isolation. */
export function buildahEnvironment(): NodeJS.ProcessEnv {
  if (!existsSync(STORAGE_CONF)) {
    mkdirSync(IMAGE_CACHE, { recursive: true });
    writeFileSync(
      STORAGE_CONF,
      `[storage]\ndriver = "vfs"\ngraphroot = "${join(IMAGE_CACHE, "storage")}"\nrunroot = "${join(IMAGE_CACHE, "run")}"\n`,
    );
  }
  return { ...process.env, CONTAINERS_STORAGE_CONF: STORAGE_CONF, BUILDAH_ISOLATION: "chroot" };
}

async function buildah(args: string[], timeoutMs = 120_000): Promise<string> {
  const result = await runProcess("buildah", args, { env: buildahEnvironment(), timeoutMs });
  if (result.code !== 0) {
    throw new Error(`buildah ${args.join(" ")} failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${(result.stdout + result.stderr).split("\n").slice(-40).join("\n")}`);
  }
  return result.stdout.trim();
}

async function imageId(name: string): Promise<string | undefined> {
  try {
    return await buildah(["inspect", "--type", "image", "--format", "{{.FromImageID}}", name]);
  } catch {
    return undefined;
  }
}

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 16);
}

/**
 * The stand-in base image, built by scripts/build-keycloak-base-stand-in.sh when its inputs
 * (script, distribution, the real base's program list) changed; it keeps only those programs.
 */
async function baseImage(version: string): Promise<{ name: string; id: string; seconds: number }> {
  const dist = distTarball(version);
  const programs = REAL_BASE_PROGRAMS.join(" ");
  const name = `localhost/keycloak-base-stand-in:${version}-${sha256(readFileSync(BASE_SCRIPT), String(statSync(dist).size), programs)}`;
  const existing = await imageId(name);
  if (existing !== undefined) return { name, id: existing, seconds: 0 };
  const started = Date.now();
  const result = await runProcess("bash", [BASE_SCRIPT, "--version", version, "--dist", dist, "--tag", name, "--work-dir", join(IMAGE_CACHE, "base"), "--programs", programs], {
    env: buildahEnvironment(),
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  if (result.code !== 0) throw new Error(`the base stand-in failed to build:\n${result.stderr.split("\n").slice(-40).join("\n")}`);
  return { name, id: (await imageId(name))!, seconds: (Date.now() - started) / 1000 };
}

/** The CA the image trusts for the database: one per cache, so the image is not rebuilt per test file. */
function imageCa(): TestCa {
  const dir = join(IMAGE_CACHE, "ca");
  const ca = { name: "test-rds-ca", certFile: join(dir, "test-rds-ca.pem"), keyFile: join(dir, "test-rds-ca.key") };
  if (existsSync(ca.certFile) && Date.now() - statSync(ca.certFile).mtimeMs < CA_MAX_AGE_MS) return ca;
  rmSync(dir, { recursive: true, force: true });
  return makeTestCa(dir, ca.name);
}

/** docker/ copied to `dir` with `overrides` replacing options in keycloak-build.env (the MariaDB stand-in's KC_DB). */
function buildContext(dir: string, overrides: Record<string, string>): string {
  // Staged as docker/build-and-push.sh stages it: docker/'s files plus the project's realms/.
  cpSync(DOCKER_DIR, dir, { recursive: true });
  cpSync(REALMS_DIR, join(dir, "realms"), { recursive: true });
  const file = join(dir, "keycloak-build.env");
  let text = readFileSync(file, "utf8");
  for (const [name, value] of Object.entries(overrides)) {
    const line = new RegExp(`^${name}=.*$`, "m");
    if (!line.test(text)) throw new Error(`${name} is not in docker/keycloak-build.env`);
    text = text.replace(line, `${name}=${value}`);
  }
  writeFileSync(file, text);
  return text;
}

function contextKey(dir: string): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  return sha256(...files.flatMap((file) => [file.slice(dir.length), readFileSync(file), String(statSync(file).mode)]));
}

/** Serves `file` on 127.0.0.1 while `body` runs; the build's ADD fetches it from there. */
async function servingFile<T>(file: string, body: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((_request, response) => response.writeHead(200, { "content-type": "application/x-pem-file" }).end(readFileSync(file)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/global-bundle.pem`);
  } finally {
    server.close();
  }
}

/** What build-and-push.sh passes, from the same constants (image.test.ts checks Terraform's side). */
function buildArgs(baseImage: string, caUrl: string): Record<string, string> {
  return {
    BASE_IMAGE: baseImage,
    KEYCLOAK_VERSION,
    HTTP_PORT: String(PORTS.http),
    MANAGEMENT_PORT: String(PORTS.management),
    JGROUPS_PORT: String(PORTS.jgroups),
    JGROUPS_FD_PORT: String(PORTS.jgroupsFailureDetection),
    DB_CA_BUNDLE_URL: caUrl,
    DB_CA_BUNDLE_PATH,
  };
}

/** Unpacks the image's filesystem through a working container (`buildah from` + `buildah mount`). */
async function exportRootfs(image: string, target: string): Promise<void> {
  const container = await buildah(["from", "--pull-never", "--quiet", image]);
  try {
    const mountpoint = await buildah(["mount", container]);
    mkdirSync(target);
    const copy = await runProcess("cp", ["-a", `${mountpoint}/.`, target], { timeoutMs: 300_000 });
    if (copy.code !== 0) throw new Error(`copying the image's filesystem failed: ${copy.stderr}`);
  } finally {
    await buildah(["rm", container]);
  }
  // Mount points for what the runtime provides; a container runtime creates them too.
  for (const dir of RUNTIME_DIRS) mkdirSync(join(target, dir), { recursive: true });
  // A file, not a link: a link's target would be resolved outside the container's root.
  for (const file of RUNTIME_FILES) {
    rmSync(join(target, file), { force: true });
    writeFileSync(join(target, file), "");
  }
}

/**
 * The image built from docker/ with the build options `overrides` replaced, on the stand-in
 * base; from the cache when nothing it is made of changed.
 */
export async function builtImage(overrides: Record<string, string> = {}, version = KEYCLOAK_VERSION): Promise<BuiltImage> {
  const base = await baseImage(version);
  const ca = imageCa();
  const staging = join(IMAGES_DIR, `staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const context = join(staging, "context");
  const buildOptions = buildContext(context, overrides);
  const key = sha256(contextKey(context), base.id, readFileSync(ca.certFile), JSON.stringify(buildArgs(base.name, "")));
  const dir = join(IMAGES_DIR, key);
  if (existsSync(join(dir, COMPLETE_MARKER))) {
    rmSync(staging, { recursive: true, force: true });
    return { ...(JSON.parse(readFileSync(join(dir, COMPLETE_MARKER), "utf8")) as BuiltImage), built: false, buildSeconds: 0, baseSeconds: base.seconds };
  }
  const tag = `localhost/keycloak-ha-fargate:test-${key}`;
  const started = Date.now();
  await servingFile(ca.certFile, (url) =>
    buildah(
      [
        "build", "--layers=false", "--pull-never", "--quiet",
        ...Object.entries(buildArgs(base.name, url)).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]),
        "--tag", tag, context,
      ],
      BUILD_TIMEOUT_MS,
    ),
  );
  const buildSeconds = (Date.now() - started) / 1000;
  const config = (JSON.parse(await buildah(["inspect", "--type", "image", tag])) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
  const sizeBytes = Number(await buildah(["images", "--format", "{{.Size}}", "--noheading", "--no-trunc", tag]).then(parseSize));
  await exportRootfs(tag, join(staging, "rootfs"));
  // Only the unpacked filesystem is used: the image and older builds go, vfs keeps full copies.
  await buildah(["rmi", tag]);
  for (const old of existsSync(IMAGES_DIR) ? readdirSync(IMAGES_DIR) : []) {
    if (!old.startsWith("staging-")) rmSync(join(IMAGES_DIR, old), { recursive: true, force: true });
  }
  const image: BuiltImage = { key, rootfs: join(dir, "rootfs"), config, ca, buildOptions, sizeBytes, built: true, buildSeconds, baseSeconds: base.seconds };
  writeFileSync(join(staging, COMPLETE_MARKER), JSON.stringify(image, null, 2));
  rmSync(context, { recursive: true, force: true });
  renameSync(staging, dir);
  return image;
}

/** "1.2 GB", "512 MB" (buildah's decimal units) to bytes. */
export function parseSize(text: string): number {
  const m = /^([0-9.]+)\s*(B|kB|KB|MB|GB)$/.exec(text.trim());
  if (m === null) throw new Error(`'${text}' is not a size buildah prints`);
  return Number(m[1]) * { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as "B"];
}
