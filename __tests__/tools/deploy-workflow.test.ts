/**
 * deploy.yml's job, run step by step from the YAML (__tests__/support/workflow-runner.ts) with
 * the real tools/ci scripts and stand-ins for npm, npx, aws and curl that record their calls:
 * the upgrade gate decides between rolling, the recreate path and a stop; the runner's /32 is
 * added to the bastion's CI access group for the deploy and removed again, also when the deploy
 * fails. The gate's verdict itself comes from real `kc.sh update-compatibility` runs in
 * __tests__/integration/upgrade-check.test.ts.
 */
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import { nameOf, onlyResource, resourcesOf, synthStack } from "../../modules/synth";
import { BinDir } from "../support/command-stubs";
import { TempDirs } from "../support/temp-dir";
import { loadWorkflow, runJob, type StepRun } from "../support/workflow-runner";

// Each scenario runs about fifteen bash steps; a loaded shared machine makes that seconds.
jest.setTimeout(120_000);

const job = loadWorkflow("deploy.yml").jobs.deploy;
const RUNNER_IP = "203.0.113.9";
const temp = new TempDirs();
afterAll(() => temp.removeAll());

interface Scenario {
  /** What `npm run upgrade -- gate` answers. */
  gate: "rolling" | "recreate" | "stop";
  /** What reading the last deploy's metadata from S3 meets. */
  metadata?: "found" | "missing" | "denied";
  deployFails?: boolean;
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
}

/** Runs the job; returns each step's run and every recorded command, in order. */
function deploy(scenario: Scenario): { steps: StepRun[]; calls: string[]; ran: (label: RegExp) => boolean } {
  const dir = temp.make("kc-deploy-wf-");
  symlinkSync(projectPath("tools"), join(dir, "tools"));
  const calls = join(dir, "calls.log");
  writeFileSync(calls, "");
  const record = 'echo "$(basename "$0") $*" >> "$CALLS"';
  const bin = new BinDir(join(dir, "bin"))
    .link("bash", "mkdir", "tee", "grep", "cat", "tr", "dirname", "basename")
    .script("npm", `${record}
if [[ "$*" == *" gate "* ]]; then
  [[ $GATE == stop ]] && { echo "upgrade gate: the compatibility check requires a recreate" >&2; exit 1; }
  echo "strategy=$GATE"
elif [[ "$*" == *" metadata "* ]]; then
  args="$*"; out="\${args##*--out }"; echo '{"keycloak":{}}' > "\${out%% *}"
fi`)
    .script("npx", `${record}\n[[ "$*" == *"cdktf deploy"* && $DEPLOY_FAILS == 1 ]] && exit 1 || true`)
    .script("curl", `${record}\necho ${RUNNER_IP}`)
    .script("aws", `${record}
case "$1 $2" in
  "s3 cp")
    if [[ $4 == s3://* ]]; then
      case $METADATA in
        found) echo '{"keycloak":{}}' > "$5" ;;
        missing) echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key \\"keycloak/prod.update-compatibility.json\\" does not exist" >&2; exit 1 ;;
        *) echo "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden" >&2; exit 1 ;;
      esac
    fi ;;
  "ec2 describe-security-groups") echo sg-0ci ;;
  "ec2 describe-security-group-rules") echo sgr-0runner ;;
esac`);
  const steps = runJob(job, {
    cwd: dir,
    path: bin.path,
    context: { vars: { TF_STATE_BUCKET: "state-bucket", ...scenario.vars }, inputs: scenario.inputs ?? {}, steps: {} },
    env: { CALLS: calls, GATE: scenario.gate, METADATA: scenario.metadata ?? "found", DEPLOY_FAILS: scenario.deployFails ? "1" : "0", JAVA_HOME_21_X64: "/jdk" },
  });
  const ran = (label: RegExp) => steps.some((s) => s.ran && label.test(s.label));
  return { steps, calls: readFileSync(calls, "utf8").trim().split("\n"), ran };
}

const upgradeCalls = (calls: string[]) => calls.filter((c) => c.startsWith("npm run upgrade")).map((c) => c.split(" ")[4]);
const deployCall = "npx cdktf deploy keycloak-prod --auto-approve";

describe("deploy.yml: Keycloak's compatibility check gates the deploy", () => {
  test("rolling verdict: checked against the last deploy's metadata, deployed as a rolling update, the new metadata stored", () => {
    const { calls } = deploy({ gate: "rolling" });
    expect(calls).toContain("npm run upgrade -- gate --stack keycloak-prod --metadata .upgrade/previous.json --on-recreate stop");
    expect(upgradeCalls(calls)).toEqual(["gate", "metadata"]);
    expect(calls).toContain(deployCall);
    expect(calls.at(-1)).toBe("aws s3 cp --only-show-errors .upgrade/current.json s3://state-bucket/keycloak/prod.update-compatibility.json");
  });

  test("recreate verdict with on-recreate=recreate: every task stopped before the deploy, started after it", () => {
    const { calls } = deploy({ gate: "recreate", inputs: { "on-recreate": "recreate" } });
    expect(calls).toContain("npm run upgrade -- gate --stack keycloak-prod --metadata .upgrade/previous.json --on-recreate recreate");
    const order = calls.filter((c) => c.startsWith("npm run upgrade") || c === deployCall).map((c) => (c === deployCall ? "deploy" : c.split(" ")[4]));
    expect(order).toEqual(["gate", "stop", "deploy", "start", "metadata"]);
    expect(calls).toContain("npm run upgrade -- stop --stack keycloak-prod --metadata .upgrade/previous.json --execute");
  });

  test("recreate verdict with the default on-recreate=stop: the run fails at the gate and nothing is deployed or opened", () => {
    const { steps, calls, ran } = deploy({ gate: "stop" });
    expect(steps.find((s) => s.label === "Upgrade gate")?.output).toContain("requires a recreate");
    expect(ran(/^Deploy$/)).toBe(false);
    expect(calls).not.toContain(deployCall);
    expect(calls.some((c) => c.includes("authorize-security-group-ingress"))).toBe(false);
    expect(upgradeCalls(calls)).toEqual(["gate"]);
  });

  test("the repository variable UPGRADE_ON_RECREATE is the setting when no input is given", () => {
    expect(deploy({ gate: "recreate", vars: { UPGRADE_ON_RECREATE: "recreate" } }).calls).toContain(
      "npm run upgrade -- gate --stack keycloak-prod --metadata .upgrade/previous.json --on-recreate recreate",
    );
  });

  test("no metadata yet (404): a first deploy, the gate is told so; an unreadable object stops the run before the gate", () => {
    expect(deploy({ gate: "rolling", metadata: "missing" }).calls).toContain("npm run upgrade -- gate --stack keycloak-prod --first-deploy --on-recreate stop");
    const denied = deploy({ gate: "rolling", metadata: "denied" });
    expect(upgradeCalls(denied.calls)).toEqual([]);
    expect(denied.calls).not.toContain(deployCall);
  });
});

describe("deploy.yml: SSH to the bastion for this runner only, for this run only", () => {
  const authorize = `aws ec2 authorize-security-group-ingress --group-id sg-0ci --ip-permissions IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=${RUNNER_IP}/32,Description=CI run local}]`;
  const revoke = "aws ec2 revoke-security-group-ingress --group-id sg-0ci --security-group-rule-ids sgr-0runner";

  test("the runner's /32 is added to the CI access group before the deploy and removed after it", () => {
    const { calls } = deploy({ gate: "rolling" });
    expect(calls).toContain("aws ec2 describe-security-groups --filters Name=group-name,Values=keycloak-prod-bastion-ci-access --query SecurityGroups[0].GroupId --output text");
    const [open, run, close] = [calls.indexOf(authorize), calls.indexOf(deployCall), calls.indexOf(revoke)];
    expect(open).toBeGreaterThan(-1);
    expect([open < run, run < close]).toEqual([true, true]);
  });

  test("a failed deploy still removes the rule, and nothing after the deploy but the removal runs", () => {
    const { calls, ran } = deploy({ gate: "recreate", inputs: { "on-recreate": "recreate" }, deployFails: true });
    expect(calls).toContain(authorize);
    expect(calls.at(-1)).toBe(revoke);
    expect(ran(/^Recreate, after the deploy/)).toBe(false);
    expect(ran(/^Record the metadata/)).toBe(false);
  });
});

test("the group the workflow opens and closes is the one the prod stack attaches to its bastion", () => {
  const groups = job.steps.flatMap((s) => [...(s.run ?? "").matchAll(/bastion-access\.sh (?:open|close) (\S+)/g)].map((m) => m[1]));
  expect(groups).toHaveLength(2);
  const prod = synthStack({}, "prod");
  const name = nameOf(prod, "aws_security_group", "-ci-access");
  expect(new Set(groups)).toEqual(new Set([resourcesOf(prod, "aws_security_group")[name].name]));
  expect(onlyResource(prod, "aws_instance").vpc_security_group_ids).toContain(`\${aws_security_group.${name}.id}`);
});
