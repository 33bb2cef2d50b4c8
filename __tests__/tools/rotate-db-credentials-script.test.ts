import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DB_USER, DB_USER_ALTERNATE } from "../../modules/shared/constants";
import { projectPath } from "../../modules/shared/paths";
import { BinDir, resolveCommand } from "../support/command-stubs";

/**
 * tools/rotate-db-credentials.sh's order of steps, with ssh and aws stood in for: the switch on the
 * bastion, then the deployment, then the wait for it, and the retire only once the deployment is
 * COMPLETED with no other deployment left; a failed or unfinished deployment leaves the old user
 * alone. The bastion half runs against a real database in __tests__/integration/db-rotate.test.ts,
 * and the whole rotation under load in __tests__/e2e/faults-rotation.opt-in.test.ts.
 */

const SCRIPT = projectPath("tools", "rotate-db-credentials.sh");
const BASTION_SCRIPT = projectPath("tools", "db-rotate-bastion.sh");
const DEPLOYMENT = "ecs-svc/1234567890123456789";

let work: string;
let calls: string;
let states: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "kc-rotate-"));
  calls = join(work, "calls");
  states = join(work, "states");
  writeFileSync(calls, "");
  const bin = new BinDir(join(work, "bin")).link("tar", "basename", "dirname", "tr", "cat", "head", "tail", "sed", "sleep");
  // ssh: the upload prints a directory; the bastion script's commands print the secret's user.
  bin.script(
    "ssh",
    `remote=\${!#}
case $remote in
  *mktemp*) cat >/dev/null; echo "ssh upload" >>"$CALLS"; echo /tmp/keycloak-db-rotate.x ;;
  *db-rotate-bastion.sh\\ switch*) echo "ssh switch" >>"$CALLS"; [[ \${SWITCH_EXIT:-0} -eq 0 ]] || exit "$SWITCH_EXIT"; echo "secret-user=${DB_USER_ALTERNATE}" ;;
  *db-rotate-bastion.sh\\ retire*) echo "ssh retire" >>"$CALLS"; [[ \${RETIRE_EXIT:-0} -eq 0 ]] || exit "$RETIRE_EXIT"; echo "secret-user=${DB_USER_ALTERNATE}" ;;
  rm\\ -rf*) echo "ssh cleanup" >>"$CALLS" ;;
  *) echo "ssh unexpected: $remote" >>"$CALLS"; exit 99 ;;
esac`,
  );
  // aws ecs: update-service answers the new deployment's id; each describe-services the next line of $STATES.
  bin.script(
    "aws",
    `echo "aws $*" >>"$CALLS"
case "$1 $2" in
  "ecs update-service") echo "${DEPLOYMENT}" ;;
  "ecs describe-services") line=$(head -n 1 "$STATES"); [[ $(wc -l <"$STATES") -le 1 ]] || sed -i 1d "$STATES"; printf '%s\\n' "$line" ;;
  *) exit 98 ;;
esac`,
  ).link("wc");
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

function rotate(deploymentStates: string[], options: { args?: string[]; env?: Record<string, string> } = {}) {
  writeFileSync(states, deploymentStates.map((s) => `${s}\n`).join(""));
  const result = spawnSync(
    resolveCommand("bash"),
    [
      SCRIPT,
      "--bastion", "ec2-user@192.0.2.1", "--identity", __filename, "--db-host", "db.example",
      "--master-secret-id", "arn:m", "--user-secret-id", "arn:u", "--region", "eu-west-1",
      "--cluster", "kc", "--service", "kc-svc", "--poll-seconds", "1",
      ...(options.args ?? []),
    ],
    { encoding: "utf8", env: { PATH: join(work, "bin"), CALLS: calls, STATES: states, ...options.env } },
  );
  return { code: result.status, stderr: result.stderr, calls: readFileSync(calls, "utf8").trim().split("\n") };
}

/** The calls with the AWS ones shortened to their operation. */
const steps = (lines: string[]) => lines.map((line) => (line.startsWith("aws ") ? line.split(" ").slice(0, 3).join(" ") : line));

describe("tools/rotate-db-credentials.sh", () => {
  test("switch, deploy, wait until the deployment is COMPLETED and the only one left, then retire: the old user is locked only after no old task runs", () => {
    const run = rotate(["IN_PROGRESS\t2", "COMPLETED\t2", "COMPLETED\t1"]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining(`rotated to ${DB_USER_ALTERNATE} in `) });
    expect(steps(run.calls)).toEqual([
      "ssh upload",
      "ssh switch",
      "aws ecs update-service",
      "aws ecs describe-services",
      "aws ecs describe-services",
      "aws ecs describe-services",
      "ssh retire",
      "ssh cleanup",
    ]);
    expect(run.calls[2]).toBe(`aws ecs update-service --region eu-west-1 --cluster kc --service kc-svc --force-new-deployment --query service.deployments[?status=='PRIMARY'].id | [0] --output text`);
    expect(run.calls[3]).toContain(`deployments[?id=='${DEPLOYMENT}'].rolloutState`);
  });

  test("the only AWS calls from the operator's machine are ecs update-service and describe-services: the IAM the README asks for", () => {
    const run = rotate(["COMPLETED\t1"]);
    expect(run.code).toBe(0);
    expect([...new Set(run.calls.filter((line) => line.startsWith("aws ")).map((line) => line.split(" ").slice(1, 3).join(" ")))].sort()).toEqual(["ecs describe-services", "ecs update-service"]);
    const readme = readFileSync(projectPath("README.md"), "utf8");
    expect(readme).toContain("`ecs:UpdateService` and `ecs:DescribeServices` on the service");
  });

  test("a FAILED deployment stops before the retire: the old user keeps working, and the message says so", () => {
    const run = rotate(["IN_PROGRESS\t2", "FAILED\t2"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`deployment ${DEPLOYMENT} FAILED: the old user was NOT locked, both users work and the secret names ${DB_USER_ALTERNATE}`);
    expect(steps(run.calls)).toEqual(["ssh upload", "ssh switch", "aws ecs update-service", "aws ecs describe-services", "aws ecs describe-services", "ssh cleanup"]);
  });

  test("a deployment that does not complete within --deploy-timeout-seconds stops before the retire", () => {
    const run = rotate(["IN_PROGRESS\t2"], { args: ["--deploy-timeout-seconds", "2"] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`did not complete within 2 s: the old user was NOT locked`);
    expect(run.calls).not.toContain("ssh retire");
  });

  test("a retire the bastion refuses (an old task still connected) fails the command and says the old user still works", () => {
    const run = rotate(["COMPLETED\t1"], { env: { RETIRE_EXIT: "1" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the retire failed on the bastion (see above): the old user was NOT locked, both users work and the secret names ${DB_USER_ALTERNATE}`);
    expect(steps(run.calls)).toEqual(["ssh upload", "ssh switch", "aws ecs update-service", "aws ecs describe-services", "ssh retire", "ssh cleanup"]);
  });

  test("a failed switch on the bastion stops before any deployment", () => {
    const run = rotate(["COMPLETED\t1"], { env: { SWITCH_EXIT: "1" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the switch failed on the bastion (see above); the secret and the running tasks are as they were");
    expect(steps(run.calls)).toEqual(["ssh upload", "ssh switch", "ssh cleanup"]);
  });

  test.each([
    [["--cluster", "x"], "missing --bastion"],
    [["--bastion", "b", "--identity", __filename, "--db-host", "d", "--master-secret-id", "m", "--user-secret-id", "u", "--region", "r", "--cluster", "c"], "missing --service"],
    [["--bastion", "b", "--identity", __filename, "--db-host", "d", "--master-secret-id", "m", "--user-secret-id", "u", "--region", "r", "--cluster", "c", "--service", "s", "--poll-seconds", "0"], "--poll-seconds must be a positive integer, got '0'"],
  ])("%j is refused: %s", (args, message) => {
    const result = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`rotate-db-credentials: error: ${message}`);
  });

  test("--help of both halves names the steps; the bastion half's users are the constants'", () => {
    const help = spawnSync("bash", [SCRIPT, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("ecs:UpdateService and ecs:DescribeServices");
    const bastion = spawnSync("bash", [BASTION_SCRIPT, "--help"], { encoding: "utf8" });
    expect(bastion.status).toBe(0);
    for (const command of ["switch", "retire"]) expect(bastion.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(bastion.stdout).toContain(`(${DB_USER} or ${DB_USER_ALTERNATE})`);
  });
});
