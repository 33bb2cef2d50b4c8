import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { KEYCLOAK_START_COMMAND, PROVIDERS_FOLDER, REALM_IMPORT_DIR, THEMES_FOLDER } from "../modules/image-content";
import { BUILD_OPTIONS_FILE, DB_CA_BUNDLE_PATH, DB_CA_BUNDLE_URL, KEYCLOAK_VERSION, WRITABLE_PATHS } from "../modules/constants";
import { resourcesOf, synthStack } from "./support/synth";
import { BinDir, resolveCommand } from "./support/command-stubs";
import {
  argDeclarations,
  envNames,
  execForm,
  parseCopy,
  parseDockerfile,
  referencedVariables,
  type Instruction,
  type Stage,
} from "./support/dockerfile";
import { runProcess, type RunResult } from "./support/run-process";
import { TempDirs } from "./support/temp-dir";

/**
 * The image build checked without a Docker engine: the Dockerfile is read as text and
 * build-and-push.sh runs against stand-ins for docker and aws that record their calls.
 */

const ROOT = resolve(__dirname, "..");
const DOCKER_DIR = join(ROOT, "docker");
const dockerfileText = readFileSync(join(DOCKER_DIR, "Dockerfile"), "utf8");
const dockerfile = parseDockerfile(dockerfileText);
const finalStage = dockerfile.stages[dockerfile.stages.length - 1];
const PORT_ARGS = ["HTTP_PORT", "MANAGEMENT_PORT", "JGROUPS_PORT", "JGROUPS_FD_PORT"];
/** Instructions whose arguments Docker itself expands (RUN is expanded by the shell instead). */
const EXPANDED_BY_DOCKER = new Set(["ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]);

function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

function last(stage: Stage, keyword: string): Instruction {
  const found = only(stage, keyword);
  if (found.length === 0) throw new Error(`the final stage has no ${keyword}`);
  return found[found.length - 1];
}

function stageNamed(name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`the Dockerfile has no stage named ${name}`);
  return stage;
}

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
  const bin = new BinDir(join(dir, "bin")).link("cat", "dirname");
  if (tools.includes("docker")) {
    bin.script(
      "docker",
      `printf '%s\\0' "$@" >> '${dir}/docker-calls'; printf '\\n' >> '${dir}/docker-calls'
if [[ "$1" == login ]]; then cat > '${dir}/login-password'; fi`,
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
  return { result, docker: splitCalls(join(dir, "docker-calls")), loginPassword };
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

describe("Dockerfile", () => {
  test("the final stage runs `start --optimized --import-realm` (the task definition's command) through the entrypoint", () => {
    expect(execForm(last(finalStage, "ENTRYPOINT"))).toEqual(["/opt/keycloak/bin/entrypoint.sh"]);
    expect(execForm(last(finalStage, "CMD"))).toEqual([...KEYCLOAK_START_COMMAND]);
  });

  test("the builder puts providers and themes into /opt/keycloak before `kc.sh build`, and the realms into the import directory of the data volume", () => {
    const builder = stageNamed("builder");
    const indexOf = (match: (i: Instruction) => boolean) => builder.instructions.findIndex(match);
    const copyIndex = (source: string) => indexOf((i) => i.keyword === "COPY" && parseCopy(i).sources.includes(source));
    const build = indexOf((i) => i.keyword === "RUN" && i.args.includes("kc.sh build"));
    expect(only(builder, "COPY").map(parseCopy)).toEqual(
      expect.arrayContaining([
        { flags: {}, sources: [PROVIDERS_FOLDER], destination: "/opt/keycloak/providers/" },
        { flags: {}, sources: [THEMES_FOLDER], destination: "/opt/keycloak/themes/" },
        { flags: { from: "realms" }, sources: ["."], destination: `${REALM_IMPORT_DIR}/` },
      ]),
    );
    expect(copyIndex(PROVIDERS_FOLDER)).toBeLessThan(build);
    expect(copyIndex(THEMES_FOLDER)).toBeLessThan(build);
    // The data volume (WRITABLE_PATHS) starts with the image's content: the import directory is in it.
    expect(WRITABLE_PATHS.some((path) => REALM_IMPORT_DIR.startsWith(`${path}/`))).toBe(true);
  });

  test("the entrypoint is copied from the build context to the ENTRYPOINT path, executable", () => {
    const [entrypoint] = execForm(last(finalStage, "ENTRYPOINT"))!;
    const copies = only(finalStage, "COPY").map(parseCopy);
    expect(copies).toContainEqual({ flags: { chmod: "0755" }, sources: ["entrypoint.sh"], destination: entrypoint });
  });

  test("kc.sh is on PATH, where the entrypoint looks for it", () => {
    const pathEnv = only(finalStage, "ENV").find((instruction) => instruction.args.startsWith("PATH="));
    expect(pathEnv?.args).toBe("PATH=/opt/keycloak/bin:$PATH");
  });

  test("the final stage runs as a non-root user", () => {
    const user = last(finalStage, "USER").args.split(":")[0];
    expect(["root", "0", ""]).not.toContain(user);
  });

  test("EXPOSE lists exactly the four port build args", () => {
    const exposes = only(finalStage, "EXPOSE").flatMap((instruction) => instruction.args.split(/\s+/));
    expect(exposes.every((token) => /^\$\{[A-Z_]+\}$/.test(token))).toBe(true);
    expect(exposes.flatMap(referencedVariables).sort()).toEqual([...PORT_ARGS].sort());
  });

  test("the paths the task definition mounts writable are declared as volumes, so Fargate keeps their ownership", () => {
    const volumes = only(finalStage, "VOLUME").flatMap((instruction) => execForm(instruction) ?? []);
    expect(volumes).toEqual([...WRITABLE_PATHS]);
  });

  test("no build arg has a default: all come from modules/constants.ts via build-and-push.sh", () => {
    const declarations = [...argDeclarations(dockerfile.preamble), ...dockerfile.stages.flatMap((stage) => argDeclarations(stage.instructions))];
    expect(declarations.length).toBeGreaterThan(0);
    expect(declarations.filter((declaration) => declaration.hasDefault)).toEqual([]);
  });

  test("every variable Docker expands is declared as ARG (or set by ENV) in the stage that uses it", () => {
    const globalArgs = new Set(argDeclarations(dockerfile.preamble).map((declaration) => declaration.name));
    const undeclared: string[] = [];
    for (const stage of dockerfile.stages) {
      for (const name of referencedVariables(stage.image)) {
        if (!globalArgs.has(name)) undeclared.push(`FROM line ${stage.from.line}: ${name}`);
      }
      const known = new Set([...argDeclarations(stage.instructions).map((d) => d.name), ...envNames(stage.instructions), "PATH"]);
      for (const instruction of stage.instructions.filter((i) => EXPANDED_BY_DOCKER.has(i.keyword))) {
        for (const name of referencedVariables(instruction.args)) {
          if (!known.has(name)) undeclared.push(`line ${instruction.line}: ${name}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  test("the builder runs `kc.sh build` with the options from docker/keycloak-build.env only", () => {
    const builder = stageNamed("builder");
    const optionsFile = posix.normalize(relative(DOCKER_DIR, join(ROOT, BUILD_OPTIONS_FILE)));
    const copy = only(builder, "COPY").map(parseCopy).find((c) => c.sources.includes(optionsFile));
    expect(copy).toBeDefined();
    const runs = only(builder, "RUN").map((instruction) => instruction.args);
    expect(runs).toContainEqual(`set -a && . ${copy!.destination} && set +a && /opt/keycloak/bin/kc.sh build`);
  });

  test("the Dockerfile sets no Keycloak (KC_) option of its own", () => {
    const code = dockerfileText
      .split("\n")
      .filter((line) => !line.trim().startsWith("#"))
      .join("\n");
    expect(code).not.toMatch(/KC_/);
  });

  test("the final stage starts from the builder's image and takes its optimized /opt/keycloak", () => {
    const builder = stageNamed("builder");
    expect(builder.image).toBe("quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}");
    expect(finalStage.image).toBe(builder.image);
    const copies = only(finalStage, "COPY").map(parseCopy);
    expect(copies).toContainEqual(expect.objectContaining({ sources: ["/opt/keycloak/"], destination: "/opt/keycloak/", flags: expect.objectContaining({ from: "builder" }) }));
  });

  test("curl and jq for the entrypoint come from a ubi9 stage's installroot, without weak deps or docs", () => {
    const ubi = dockerfile.stages.find((stage) => stage.image.startsWith("registry.access.redhat.com/ubi9"));
    expect(ubi?.name).toBeDefined();
    const install = only(ubi!, "RUN").map((instruction) => instruction.args).join(" ");
    expect(install).toMatch(/dnf install --installroot \/mnt\/rootfs (\S+ )*curl(-minimal)? (\S+ )*jq /);
    expect(install).toContain("--setopt install_weak_deps=false");
    expect(install).toContain("--nodocs");
    expect(only(finalStage, "COPY").map(parseCopy)).toContainEqual({ flags: { from: ubi!.name! }, sources: ["/mnt/rootfs"], destination: "/" });
  });

  test("the database CA bundle is downloaded from the DB_CA_BUNDLE_URL build arg into Keycloak's conf/truststores, readable by uid 1000, after the optimized /opt/keycloak", () => {
    const instructions = finalStage.instructions;
    const adds = only(finalStage, "ADD").map(parseCopy);
    expect(adds).toEqual([
      { flags: { chown: "1000:0", chmod: "0444" }, sources: ["${DB_CA_BUNDLE_URL}"], destination: "/opt/keycloak/${DB_CA_BUNDLE_PATH}" },
    ]);
    // Keycloak scans conf/truststores (and below) for PEM files by default.
    expect(DB_CA_BUNDLE_PATH).toMatch(/^conf\/truststores\/[^/]+\.pem$/);
    expect(DB_CA_BUNDLE_URL).toMatch(/^https:\/\//);
    const addIndex = instructions.findIndex((i) => i.keyword === "ADD");
    const keycloakCopy = instructions.findIndex((i) => i.keyword === "COPY" && parseCopy(i).flags.from === "builder");
    expect(addIndex).toBeGreaterThan(keycloakCopy);
  });

  test("the image is labelled with the Keycloak version", () => {
    const labels = only(finalStage, "LABEL").map((instruction) => instruction.args).join(" ");
    expect(labels).toContain('org.opencontainers.image.version="${KEYCLOAK_VERSION}"');
  });

  test(".dockerignore lets through exactly the files the Dockerfile copies from the build context", () => {
    const patterns = readFileSync(join(DOCKER_DIR, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(patterns[0]).toBe("*");
    const allowed = patterns.slice(1).map((pattern) => pattern.replace(/^!/, "")).sort();
    const fromContext = dockerfile.stages
      .flatMap((stage) => only(stage, "COPY").map(parseCopy))
      .filter((copy) => copy.flags.from === undefined)
      .flatMap((copy) => copy.sources)
      .sort();
    expect(allowed).toEqual(fromContext);
  });
});

describe("build-and-push.sh", () => {
  test("passes exactly the Dockerfile's build args, with the values Terraform gives it", async () => {
    const { result, docker } = await runBuildScript({});
    expect(result.code).toBe(0);
    const build = docker.find((call) => call[0] === "build")!;
    const declared = new Set([...argDeclarations(dockerfile.preamble), ...dockerfile.stages.flatMap((s) => argDeclarations(s.instructions))].map((d) => d.name));
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

  test("logs in to the registry, builds this directory for the platform, and pushes the tag", async () => {
    const { result, docker, loginPassword } = await runBuildScript({});
    const image = `${BUILD_ENV.REPOSITORY_URL}:${BUILD_ENV.IMAGE_TAG}`;
    expect(result.code).toBe(0);
    expect(docker.map((call) => call[0])).toEqual(["login", "build", "push"]);
    expect(docker[0]).toEqual(["login", "--username", "AWS", "--password-stdin", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]);
    expect(loginPassword).toBe("stub-ecr-password");
    const build = docker[1];
    expect(build.slice(0, 3)).toEqual(["build", "--platform", "linux/arm64"]);
    expect(build.slice(-5)).toEqual(["--build-context", `realms=${join(ROOT, "realms")}`, "--tag", image, DOCKER_DIR]);
    expect(docker[2]).toEqual(["push", image]);
  });

  test("stops before building when the project has no realms/ folder to pass as the build context `realms`", async () => {
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
