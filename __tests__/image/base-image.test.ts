import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { BASH_BUILTINS, IMAGE_ADDED_PROGRAMS, REAL_BASE_PROGRAMS } from "../../modules/image/base-image";
import { onlyResource, synthStack } from "../../modules/synth";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { scriptPrograms } from "../support/shell-programs";

/**
 * Every command the synthesized task definition runs (each container's entryPoint + command or
 * the image's ENTRYPOINT, and its container health check) starts only programs Keycloak's real
 * base image has (modules/image/base-image.ts), or ones it first probes with `command -v`. A
 * Debian host has curl, awk and ps; the image on Fargate has none of them.
 */

interface Container {
  name: string;
  entryPoint?: string[];
  command?: string[];
  healthCheck?: { command: string[] };
}

const SHELLS = new Set(["bash", "sh"]);
/** Directories the image's PATH holds (docker/Dockerfile's ENV PATH on the base's). */
const PATH_DIRS = new Set(["/opt/keycloak/bin", "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);

/** The image's ENTRYPOINT as docker/Dockerfile declares it, and the docker/ file copied there. */
function imageEntrypoint(): { argv: string[]; script: string } {
  const dockerfile = readFileSync(join(REPO_ROOT, "docker", "Dockerfile"), "utf8");
  const argv = JSON.parse(/^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)![1]) as string[];
  const copy = new RegExp(`^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+${argv[0].replace(/[.]/g, "\\.")}\\s*$`, "m").exec(dockerfile);
  if (copy === null) throw new Error(`docker/Dockerfile copies nothing to its ENTRYPOINT ${argv[0]}`);
  return { argv, script: readFileSync(join(REPO_ROOT, "docker", copy[1]), "utf8") };
}

/** A program named in an argv: its base name, refused when its directory is not on the image's PATH. */
function programOf(path: string): string {
  if (path.includes("/") && !PATH_DIRS.has(posix.dirname(path))) throw new Error(`${path} is not on the image's PATH`);
  return posix.basename(path);
}

/** The scripts and programs one argv runs: a shell's `-c` text is read as a script. */
function argvPrograms(argv: string[], where: string): { where: string; program: string; probedBy: string[] }[] {
  const program = programOf(argv[0]);
  const found = [{ where, program, probedBy: [] as string[] }];
  if (SHELLS.has(program) && argv[1] === "-c") found.push(...scriptProgramsOf(argv[2], `${where} (its -c script)`));
  return found;
}

function scriptProgramsOf(script: string, where: string): { where: string; program: string; probedBy: string[] }[] {
  const { programs, functions, probed } = scriptPrograms(script);
  return programs.filter((p) => !functions.includes(p)).map((program) => ({ where, program: programOf(program), probedBy: probed.includes(program) ? ["command -v"] : [] }));
}

/** Every program the task definition of `json` starts, with where it is named. */
function taskDefinitionPrograms(json: ReturnType<typeof synthStack>): { where: string; program: string; probedBy: string[] }[] {
  const containers = JSON.parse(String(onlyResource(json, "aws_ecs_task_definition").container_definitions)) as Container[];
  const found: { where: string; program: string; probedBy: string[] }[] = [];
  for (const c of containers) {
    if (c.entryPoint !== undefined) {
      found.push(...argvPrograms([...c.entryPoint, ...(c.command ?? [])], `${c.name} entryPoint + command`));
    } else {
      // The image's ENTRYPOINT; `command` is its arguments (kc.sh's), not a program.
      const entrypoint = imageEntrypoint();
      found.push(...argvPrograms(entrypoint.argv, `${c.name} image ENTRYPOINT`));
      found.push(...scriptProgramsOf(entrypoint.script, `${c.name} ${entrypoint.argv[0]}`));
    }
    const check = c.healthCheck?.command;
    if (check !== undefined) {
      if (check[0] === "CMD-SHELL") found.push(...argvPrograms(["/bin/sh", "-c", check[1]], `${c.name} healthCheck`));
      else if (check[0] === "CMD") found.push(...argvPrograms(check.slice(1), `${c.name} healthCheck`));
      else throw new Error(`${c.name}'s health check starts with ${check[0]}, neither CMD nor CMD-SHELL`);
    }
  }
  return found;
}

const AVAILABLE = new Set<string>([...REAL_BASE_PROGRAMS, ...BASH_BUILTINS, ...IMAGE_ADDED_PROGRAMS]);

/** What the image lacks, as "program (where)"; a program probed with `command -v` first is optional. */
function missing(found: { where: string; program: string; probedBy: string[] }[]): string[] {
  return found.filter((f) => !AVAILABLE.has(f.program) && f.probedBy.length === 0).map((f) => `${f.program} (${f.where})`);
}

describe("the programs the task definition runs", () => {
  test.each([
    ["the default stack", {}, "test"],
    ["the prod stack", {}, "prod"],
  ])("are all on Keycloak's real base image, or probed first: %s", (_label, settings, environment) => {
    const found = taskDefinitionPrograms(synthStack(settings, environment));
    // The reader saw each command: the entrypoint's exec of kc.sh, the health check's bash, the sidecar's sleep.
    expect(found.map((f) => f.program)).toEqual(expect.arrayContaining(["bash", "kc.sh", "sleep"]));
    expect(missing(found)).toEqual([]);
  });

  test("a command naming a program the real base lacks is caught, wherever it hides", () => {
    const bad = [
      ["done < <(curl -fsS http://127.0.0.1:9000/metrics)", "curl"],
      ['size="$(wget -qO- http://x)"', "wget"],
      ["x=`ps -e`", "ps"],
      ["if true; then awk '{print $1}' f; fi", "awk"],
      ["exec nc -z 127.0.0.1 9000", "nc"],
      ["IFS= read -r a < <(printf x) && timeout 5 python3 -c 1", "python3"],
      ["case $x in a) jq . ;; *) hostname ;; esac", "jq"],
    ] as const;
    for (const [script, program] of bad) {
      expect(missing(scriptProgramsOf(script, "sample"))).toContain(`${program} (sample)`);
    }
  });

  test("words that start nothing are not taken for programs: case patterns, [[ ]], here-documents, arguments, probes", () => {
    const script = [
      "case $line in",
      "  'curl{'*) echo curl ;;",
      "esac",
      "[[ $a == wget ]] && printf '%s' awk",
      "cat <<EOF",
      "ps nc",
      "EOF",
      "command -v ip >/dev/null && ip -4 addr",
      "f() { :; }",
      "f",
    ].join("\n");
    const found = scriptProgramsOf(script, "sample");
    expect(found.map((f) => f.program)).toEqual(["echo", "printf", "cat", "command", "ip", ":"]);
    expect(missing(found)).toEqual([]);
  });

  test("the real base has bash, sleep and the JDK, and neither an HTTP client nor the tools Debian adds", () => {
    expect(REAL_BASE_PROGRAMS).toEqual(expect.arrayContaining(["bash", "sh", "sleep", "java", "grep", "sed", "xargs"]));
    for (const absent of ["curl", "wget", "nc", "awk", "gawk", "mawk", "perl", "python3", "ps", "hostname", "which", "ip", "tar", "gzip", "kill", "dash", "jq"]) {
      expect(REAL_BASE_PROGRAMS).not.toContain(absent);
    }
  });
});
