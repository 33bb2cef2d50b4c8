import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_OPTIONS_FILE, KEYCLOAK_VERSION } from "../modules/shared/constants";
import { readBuildOptions } from "../modules/image/build-options";
import { DOCKER_DIR, filesDigest } from "../modules/image/image";
import { PROVIDERS_FOLDER, REALM_IMPORT_DIR, REALMS_DIR, THEMES_FOLDER } from "../modules/image/image-content";
import { PROJECT_ROOT } from "../modules/shared/paths";

/**
 * The Keycloak server distribution for tests that run Keycloak without Docker: fetched from Maven
 * Central (tools/fetch-keycloak-dist.sh), unpacked into the git-ignored `.cache/keycloak/<version>`
 * and built once with the build options the Dockerfile uses (docker/keycloak-build.env), so the
 * test starts the same optimized server the image holds. As the Dockerfile does, the project's
 * providers and themes are copied in before the build and the realm exports into data/import
 * after it. The build is cached under a key of the version, the options and that content: a
 * change to any of them builds again, anything else reuses it.
 */

export const REPO_ROOT = PROJECT_ROOT;
/** Keycloak 26 runs on Java 17, 21 and 25; these machines have Temurin 25 here (KEYCLOAK_TEST_JAVA_HOME overrides). */
export const JAVA_HOME = process.env.KEYCLOAK_TEST_JAVA_HOME ?? "/usr/lib/jvm/temurin-25-jdk-amd64";

const CACHE_ROOT = join(REPO_ROOT, ".cache", "keycloak");
const FETCH_SCRIPT = join(REPO_ROOT, "tools", "fetch-keycloak-dist.sh");
const COMPLETE_MARKER = ".build-complete.json";
const BUILD_TIMEOUT_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 10 * 60_000;

export interface KeycloakDist {
  version: string;
  /** The built distribution (read-only for callers: nodes get their own copy, see `nodeHome`). */
  home: string;
  /** The options it was built with. */
  buildOptions: Record<string, string>;
  /** False when a cached build was reused. */
  built: boolean;
  buildSeconds: number;
}

/** What the Dockerfile copies into /opt/keycloak besides the server: the project's providers, themes and realms. */
const IMAGE_CONTENT = {
  [PROVIDERS_FOLDER]: join(DOCKER_DIR, PROVIDERS_FOLDER),
  [THEMES_FOLDER]: join(DOCKER_DIR, THEMES_FOLDER),
  realms: REALMS_DIR,
};
/** REALM_IMPORT_DIR inside a Keycloak home (the image's /opt/keycloak). */
const IMPORT_DIR_IN_HOME = REALM_IMPORT_DIR.replace(/^\/opt\/keycloak\//, "");

/** Cache key of a build: the version plus every option, order-independent, plus a digest of the image content. */
export function buildKey(version: string, options: Record<string, string>, content = filesDigest(IMAGE_CONTENT)): string {
  const canonical = Object.keys(options)
    .sort()
    .map((name) => `${name}=${options[name]}`)
    .join("\n");
  return createHash("sha256").update(`${version}\n${canonical}\n${content}`).digest("hex").slice(0, 16);
}

/** The Dockerfile's builder stage, on an unpacked distribution: providers and themes before `kc.sh build`. */
function copyBuildContent(home: string): void {
  for (const folder of [PROVIDERS_FOLDER, THEMES_FOLDER] as const) cpSync(IMAGE_CONTENT[folder], join(home, folder), { recursive: true });
}

/** ... and the realm exports into the data directory, whose content each task's data volume starts with. */
function copyRealms(home: string): void {
  mkdirSync(join(home, IMPORT_DIR_IN_HOME), { recursive: true });
  if (existsSync(REALMS_DIR)) cpSync(REALMS_DIR, join(home, IMPORT_DIR_IN_HOME), { recursive: true });
}

/** The distribution archive of `version`, fetched from Maven Central when not cached. */
export function distTarball(version: string): string {
  const dir = join(CACHE_ROOT, version);
  const file = join(dir, `keycloak-quarkus-dist-${version}.tar.gz`);
  if (!existsSync(file)) {
    execFileSync("bash", [FETCH_SCRIPT, "--version", version, "--output-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: FETCH_TIMEOUT_MS,
    });
  }
  return file;
}

/**
 * The built distribution for `version` with the project's build options, each of `overrides`
 * replacing the option of the same name. Builds it when the cache has no build for that key.
 */
export function keycloakDist(overrides: Record<string, string> = {}, version = KEYCLOAK_VERSION): KeycloakDist {
  if (!existsSync(join(JAVA_HOME, "bin", "java"))) {
    throw new Error(`no JDK at ${JAVA_HOME}: install Temurin 25 there or set KEYCLOAK_TEST_JAVA_HOME to a JDK 17, 21 or 25`);
  }
  const buildOptions = { ...readBuildOptions(join(REPO_ROOT, BUILD_OPTIONS_FILE)), ...overrides };
  const buildDir = join(CACHE_ROOT, version, `build-${buildKey(version, buildOptions)}`);
  const home = join(buildDir, `keycloak-${version}`);
  if (existsSync(join(buildDir, COMPLETE_MARKER))) {
    return { version, home, buildOptions, built: false, buildSeconds: 0 };
  }
  const started = Date.now();
  const archive = distTarball(version);
  // Built next to the final place and renamed at the end, so an interrupted build is never reused.
  const staging = `${buildDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync("tar", ["-xzf", archive, "-C", staging], { stdio: ["ignore", "ignore", "pipe"] });
    const stagedHome = join(staging, `keycloak-${version}`);
    copyBuildContent(stagedHome);
    execFileSync(join(stagedHome, "bin", "kc.sh"), ["build"], {
      // Only the build options and Java: an option in the caller's environment must not leak in.
      env: { PATH: "/usr/bin:/bin", JAVA_HOME, HOME: staging, ...buildOptions },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    copyRealms(stagedHome);
    writeFileSync(join(staging, COMPLETE_MARKER), JSON.stringify({ version, buildOptions }, null, 2));
    rmSync(buildDir, { recursive: true, force: true });
    renameSync(staging, buildDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const failure = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${failure.stdout?.toString() ?? ""}${failure.stderr?.toString() ?? ""}`.split("\n").slice(-30).join("\n");
    throw new Error(`building Keycloak ${version} with ${JSON.stringify(buildOptions)} failed: ${failure.message}\n${output}`);
  }
  return { version, home, buildOptions, built: true, buildSeconds: (Date.now() - started) / 1000 };
}

/**
 * A node's own Keycloak home under `dir`, as each container has its own /opt/keycloak: hard links
 * to the built distribution (cheap; an optimized start writes nothing there) and a `data`
 * directory with the distribution's content (the realm exports in data/import), recreated on
 * every call like a replacement task's fresh data volume, which starts with the image's content.
 */
export function nodeHome(dist: KeycloakDist, dir: string): string {
  const home = join(dir, `keycloak-${dist.version}`);
  if (!existsSync(home)) {
    mkdirSync(dir, { recursive: true });
    execFileSync("cp", ["-al", dist.home, home], { stdio: ["ignore", "ignore", "pipe"] });
  }
  rmSync(join(home, "data"), { recursive: true, force: true });
  cpSync(join(dist.home, "data"), join(home, "data"), { recursive: true });
  return home;
}
