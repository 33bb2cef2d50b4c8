import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DB_CA_BUNDLE_PATH, DB_CA_BUNDLE_URL, KEYCLOAK_VERSION } from "../../modules/shared/constants";
import { resourcesOf, synthStack } from "../../modules/synth";
import { BinDir, resolveCommand } from "../support/command-stubs";
import { runProcess, type RunResult } from "../support/run-process";
import { TempDirs } from "../support/temp-dir";

/**
 * build-and-push.sh against stand-ins for docker and aws that record their calls, and the rules
 * for the Dockerfile that a real build (__tests__/e2e/image.test.ts) cannot show.
 */

const ROOT = resolve(__dirname, "..", "..");
const DOCKER_DIR = join(ROOT, "docker");
const dockerfileText = readFileSync(join(DOCKER_DIR, "Dockerfile"), "utf8");
/** The Dockerfile's ARG declarations, with the default when one is given. */
const BUILD_ARGS = [...dockerfileText.matchAll(/^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S+))?\s*$/gm)].map((m) => ({ name: m[1], defaultValue: m[2] }));

const tempDirs = new TempDirs();
afterAll(() => tempDirs.removeAll());

const REPOSITORY_URL = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak";

/**
 * Build inputs exactly as Terraform passes them: the local-exec environment of the
 * synthesized image build (ARM64 stack), with the one reference Terraform resolves at
 * apply time, the repository URL, replaced by a concrete one.
 */
function synthesizedBuildEnvironment(): Record<string, string> {
  const build = Object.entries(resourcesOf(synthStack({ cpuArchitecture: "ARM64" }), "null_resource")).find(([name]) => name.startsWith("image_build"));
  if (!build) throw new Error("the synthesized stack has no image build");
  const environment = (build[1] as { provisioner: { "local-exec": { environment: Record<string, string> } }[] }).provisioner[0]["local-exec"].environment;
  if (!/^\$\{aws_ecr_repository\.[^}]+\.repository_url\}$/.test(environment.REPOSITORY_URL)) {
    throw new Error(`REPOSITORY_URL is not the repository's reference: ${environment.REPOSITORY_URL}`);
  }
  const resolved = { ...environment, REPOSITORY_URL };
  const unresolved = Object.entries(resolved).filter(([, value]) => value.includes("${"));
  if (unresolved.length > 0) throw new Error(`unresolved Terraform references in the build environment: ${JSON.stringify(unresolved)}`);
  return resolved;
}

const BUILD_ENV = synthesizedBuildEnvironment();

type AwsBehaviour = "image-missing" | "image-present" | "access-denied";

interface BuildRun {
  result: RunResult;
  /** Every docker call's arguments, in order. */
  docker: string[][];
  /** What docker login read on stdin. */
  loginPassword: string;
  /** The files of the context `docker build` got, relative (`./Dockerfile`). */
  context: string[];
}

function splitCalls(file: string): string[][] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\0").slice(0, -1));
}

async function runBuildScript(options: {
  env?: Record<string, string | undefined>;
  aws?: AwsBehaviour;
  tools?: ("docker" | "aws")[];
  args?: string[];
  /** Where the script runs from. @default DOCKER_DIR */
  scriptDir?: string;
}): Promise<BuildRun> {
  const { env = BUILD_ENV, aws = "image-missing", tools = ["docker", "aws"], args = [], scriptDir = DOCKER_DIR } = options;
  const dir = tempDirs.make("kc-build-");
  const bin = new BinDir(join(dir, "bin")).link("cat", "dirname", "mktemp", "cp", "rm", "find", "sort"); // find and sort: the docker stand-in lists its context
  if (tools.includes("docker")) {
    // A build records the files of its context (the last argument), which the script removes afterwards.
    bin.script(
      "docker",
      `printf '%s\\0' "$@" >> '${dir}/docker-calls'; printf '\\n' >> '${dir}/docker-calls'
if [[ "$1" == login ]]; then cat > '${dir}/login-password'; fi
if [[ "$1" == build ]]; then (cd "\${@: -1}" && find . -type f | sort > '${dir}/build-context'); fi`,
    );
  }
  if (tools.includes("aws")) {
    bin.script(
      "aws",
      `case "$1 $2" in
  "ecr get-login-password") printf 'stub-ecr-password' ;;
  "ecr describe-images")
    case '${aws}' in
      image-present) printf '{"imageDetails": [{"imageTags": ["%s"]}]}\\n' "$IMAGE_TAG" ;;
      image-missing) echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'$IMAGE_TAG'} does not exist" >&2; exit 254 ;;
      access-denied) echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized" >&2; exit 254 ;;
    esac ;;
  *) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac`,
    );
  }
  const childEnv = Object.fromEntries(Object.entries({ ...env, PATH: bin.path }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const result = await runProcess(resolveCommand("bash"), [join(scriptDir, "build-and-push.sh"), ...args], { env: childEnv });
  let loginPassword = "";
  try {
    loginPassword = readFileSync(join(dir, "login-password"), "utf8");
  } catch {
    // docker login was not called.
  }
  const contextFile = join(dir, "build-context");
  const context = existsSync(contextFile) ? readFileSync(contextFile, "utf8").split("\n").filter((line) => line !== "") : [];
  return { result, docker: splitCalls(join(dir, "docker-calls")), loginPassword, context };
}

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]))
    .sort();
}

function buildArgsOf(call: string[]): Record<string, string> {
  const pairs: [string, string][] = [];
  call.forEach((word, index) => {
    if (word === "--build-arg") {
      const [name, ...value] = call[index + 1].split("=");
      pairs.push([name, value.join("=")]);
    }
  });
  return Object.fromEntries(pairs);
}

// The build itself (every instruction, the image's configuration, a container run from it) is
// __tests__/e2e/image.test.ts; these are the rules a successful build does not show.
describe("Dockerfile", () => {
  test("every build arg but BASE_IMAGE is without a default: all come from modules/shared/constants.ts via build-and-push.sh", () => {
    expect(BUILD_ARGS.length).toBeGreaterThan(1);
    expect(BUILD_ARGS.filter((arg) => arg.defaultValue !== undefined)).toEqual([
      { name: "BASE_IMAGE", defaultValue: "quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}" },
    ]);
  });

  test("the database CA bundle comes over HTTPS and lands under conf/truststores, where Keycloak picks up PEM files", () => {
    // The e2e builds with a loopback URL instead; what Terraform passes is fixed here.
    expect(DB_CA_BUNDLE_URL).toMatch(/^https:\/\//);
    expect(DB_CA_BUNDLE_PATH).toMatch(/^conf\/truststores\/[^/]+\.pem$/);
  });

  test("the Dockerfile sets no Keycloak (KC_) option of its own", () => {
    const code = dockerfileText
      .split("\n")
      .filter((line) => !line.trim().startsWith("#"))
      .join("\n");
    expect(code).not.toMatch(/KC_/);
  });
});

describe("build-and-push.sh", () => {
  test("passes exactly the Dockerfile's build args, with the values Terraform gives it", async () => {
    const { result, docker } = await runBuildScript({});
    expect(result.code).toBe(0);
    const build = docker.find((call) => call[0] === "build")!;
    // BASE_IMAGE keeps its default, the official image.
    const declared = new Set(BUILD_ARGS.filter((arg) => arg.name !== "BASE_IMAGE").map((arg) => arg.name));
    expect(Object.keys(buildArgsOf(build)).sort()).toEqual([...declared].sort());
    expect(buildArgsOf(build)).toEqual({
      KEYCLOAK_VERSION,
      HTTP_PORT: "8080",
      MANAGEMENT_PORT: "9000",
      JGROUPS_PORT: "7800",
      JGROUPS_FD_PORT: "57800",
      DB_CA_BUNDLE_URL: "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
      DB_CA_BUNDLE_PATH: "conf/truststores/database-ca-bundle.pem",
    });
  });

  test("builds on the base image pinned by digest when the baseImageDigest setting gives one, and refuses a BASE_IMAGE without a digest", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const build = Object.entries(resourcesOf(synthStack({ baseImageDigest: digest }), "null_resource")).find(([name]) => name.startsWith("image_build"))!;
    const environment = (build[1] as { provisioner: { "local-exec": { environment: Record<string, string> } }[] }).provisioner[0]["local-exec"].environment;
    expect(environment.BASE_IMAGE).toBe(`quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}@${digest}`);
    // Another base, another image: the tag follows the digest.
    expect(environment.IMAGE_TAG).not.toBe(BUILD_ENV.IMAGE_TAG);
    const pinned = await runBuildScript({ env: { ...BUILD_ENV, BASE_IMAGE: environment.BASE_IMAGE } });
    expect(pinned.result.code).toBe(0);
    expect(buildArgsOf(pinned.docker.find((call) => call[0] === "build")!).BASE_IMAGE).toBe(environment.BASE_IMAGE);
    const tagged = await runBuildScript({ env: { ...BUILD_ENV, BASE_IMAGE: `quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}` } });
    expect({ code: tagged.result.code, builds: tagged.docker.filter((call) => call[0] === "build").length }).toEqual({ code: 1, builds: 0 });
    expect(tagged.result.stderr).toContain("is not pinned by digest");
  }, 60_000);

  test("logs in to the registry, builds this directory for the platform, and pushes the tag", async () => {
    const { result, docker, loginPassword } = await runBuildScript({});
    const image = `${BUILD_ENV.REPOSITORY_URL}:${BUILD_ENV.IMAGE_TAG}`;
    expect(result.code).toBe(0);
    expect(docker.map((call) => call[0])).toEqual(["login", "build", "push"]);
    expect(docker[0]).toEqual(["login", "--username", "AWS", "--password-stdin", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]);
    expect(loginPassword).toBe("stub-ecr-password");
    const build = docker[1];
    expect(build.slice(0, 3)).toEqual(["build", "--platform", "linux/arm64"]);
    expect(build.slice(-3, -1)).toEqual(["--tag", image]);
    expect(docker[2]).toEqual(["push", image]);
  });

  test("builds a staged context: docker/'s files plus the project's realms/ as realms/, removed afterwards", async () => {
    const { result, docker, context } = await runBuildScript({});
    expect(result.code).toBe(0);
    const staged = docker[1].at(-1)!;
    expect(staged).not.toBe(DOCKER_DIR);
    expect(existsSync(staged)).toBe(false);
    const expected = [
      ...filesUnder(DOCKER_DIR).map((file) => `./${file}`),
      ...filesUnder(join(ROOT, "realms")).map((file) => `./realms/${file}`),
    ].sort();
    expect(context).toEqual(expected);
    expect(context).toContain("./realms/example.json");
  });

  test("stops before building when the project has no realms/ folder to stage into the build context", async () => {
    const scriptDir = join(tempDirs.make("kc-norealms-"), "docker");
    mkdirSync(scriptDir);
    copyFileSync(join(DOCKER_DIR, "build-and-push.sh"), join(scriptDir, "build-and-push.sh"));
    const { result, docker } = await runBuildScript({ scriptDir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no realms folder at .*kc-norealms-[^/]+\/realms/);
    expect(docker).toEqual([]);
  });

  test("builds nothing when the tag is already in ECR (tags are immutable)", async () => {
    const { result, docker } = await runBuildScript({ aws: "image-present" });
    expect(result.code).toBe(0);
    expect(docker).toEqual([]);
    expect(result.stderr).toMatch(/already in ECR/);
  });

  test("stops with the AWS error when it cannot check ECR, instead of building blindly", async () => {
    const { result, docker } = await runBuildScript({ aws: "access-denied" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot check ECR .*AccessDeniedException/);
    expect(docker).toEqual([]);
  });

  test.each(["docker", "aws"] as const)("without %s on PATH it says to install it or to use a prebuilt image", async (missing) => {
    const { result, docker } = await runBuildScript({ tools: missing === "docker" ? ["aws"] : ["docker"] });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`'${missing}' is not on PATH\\. Install .*imageUri.*KEYCLOAK_IMAGE_URI`));
    expect(docker).toEqual([]);
  });

  test("names every missing environment variable", async () => {
    const { result, docker } = await runBuildScript({ env: { ...BUILD_ENV, IMAGE_TAG: undefined, JGROUPS_FD_PORT: "" } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/missing environment variable\(s\): IMAGE_TAG JGROUPS_FD_PORT\./);
    expect(docker).toEqual([]);
  });

  test("rejects a platform Fargate does not run", async () => {
    const { result, docker } = await runBuildScript({ env: { ...BUILD_ENV, PLATFORM: "linux/386" } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/PLATFORM='linux\/386' is not supported/);
    expect(docker).toEqual([]);
  });

  test("--help documents every input and touches nothing", async () => {
    const { result, docker } = await runBuildScript({ env: {}, args: ["--help"] });
    expect(result.code).toBe(0);
    for (const name of Object.keys(BUILD_ENV)) {
      expect(result.stdout).toContain(name);
    }
    expect(docker).toEqual([]);
  });
});
