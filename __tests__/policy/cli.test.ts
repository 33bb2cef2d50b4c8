import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformJson } from "../../modules/synth";
import { projectPath } from "../../modules/shared/paths";
import { PORTS } from "../../modules/shared/constants";

/** `npm run policy`: the rules on the stacks a user synthesized, as a command with an exit code. */

jest.setTimeout(120_000);

const CLEAN_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: "1" };
let work: string;
let fresh: string;

function policy(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", projectPath("policy", "cli.ts"), ...args], { encoding: "utf8", cwd: projectPath(), env: CLEAN_ENV });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** An output folder holding `stack` as `edit` leaves the fresh synth's JSON of `from`. */
function outWith(name: string, stack: string, edit: (json: TerraformJson) => void, from = stack): string {
  const out = join(work, name);
  const json = JSON.parse(readFileSync(join(fresh, "stacks", from, "cdk.tf.json"), "utf8")) as TerraformJson;
  edit(json);
  mkdirSync(join(out, "stacks", stack), { recursive: true });
  writeFileSync(join(out, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
  return out;
}

/** The finding lines: `<stack>: <rule> <resource>: ...`. */
const findings = (stdout: string) => stdout.split("\n").filter((l) => /^keycloak-\w+: [A-Z0-9_]+ /.test(l)).map((l) => l.split(":").slice(0, 2).join(":"));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "kc-policy-cli-"));
  fresh = join(work, "fresh");
  // The synth npm run synth does, into a folder of the test's own.
  const synth = spawnSync(process.execPath, ["--import", "tsx", projectPath("main.ts")], { encoding: "utf8", cwd: projectPath(), env: { ...CLEAN_ENV, CDKTF_OUTDIR: fresh } });
  if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run policy", () => {
  test("a fresh synth of every stack in cdktf.json passes: exit 0 and one summary line", () => {
    const run = policy("--out", fresh);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toMatch(/^policy: no findings in keycloak-dev \(dev, [a-z-]+ egress\), keycloak-prod \(prod, nat egress\); \d+ rules, \d+ excused by policy\/exceptions\.ts\n$/);
  });

  test("an RDS instance with storage_encrypted false is found, and nothing else: rule, resource, why; exit 1", () => {
    let db = "";
    const out = outWith("unencrypted", "keycloak-prod", (json) => {
      db = Object.keys(json.resource!.aws_db_instance)[0];
      json.resource!.aws_db_instance[db].storage_encrypted = false;
    });
    const run = policy("--out", out);
    expect(run.status).toBe(1);
    expect(findings(run.stdout)).toEqual([`keycloak-prod: RDS_ENCRYPTED aws_db_instance.${db}`]);
    expect(run.stdout).toMatch(new RegExp(`^keycloak-prod: RDS_ENCRYPTED aws_db_instance\\.${db}: .+\\n    why: .{20,}$`, "m"));
    expect(run.stdout).toMatch(/^policy: 1 finding in keycloak-prod \(prod, nat egress\)/m);
  });

  test("a security group rule opening SSH to 0.0.0.0/0 is found by the two SSH/open-ingress rules, on that rule only", () => {
    const out = outWith("open-ssh", "keycloak-prod", (json) => {
      const rules = json.resource!.aws_vpc_security_group_ingress_rule;
      const [, bastionDb] = Object.entries(rules).find(([name]) => name.includes("in-bastion"))!;
      rules["ssh-anywhere"] = { ...bastionDb, description: "SSH from anywhere", from_port: PORTS.ssh, to_port: PORTS.ssh, cidr_ipv4: "0.0.0.0/0", referenced_security_group_id: undefined };
    });
    const run = policy("--out", out, "keycloak-prod");
    expect(run.status).toBe(1);
    expect(findings(run.stdout).sort()).toEqual([
      "keycloak-prod: SG_NO_OPEN_INGRESS aws_vpc_security_group_ingress_rule.ssh-anywhere",
      "keycloak-prod: SG_NO_SSH_FROM_ANYWHERE aws_vpc_security_group_ingress_rule.ssh-anywhere",
    ]);
  });

  test("the shape comes from the stack's configuration, not its JSON: the dev stack's resources named keycloak-prod get no dev exceptions", () => {
    const out = outWith("dev-as-prod", "keycloak-prod", () => {}, "keycloak-dev");
    const run = policy("--out", out);
    expect(run.status).toBe(1);
    const rules = new Set(findings(run.stdout).map((f) => f.split(" ")[1]));
    for (const rule of ["RDS_MULTI_AZ", "VPC_FLOW_LOGS", "ALB_ADMIN_PLANE_CLOSED"]) expect(rules.has(rule)).toBe(true);
  });

  test("no synthesized stack, or an unknown stack, stops with exit 2 and says what to do", () => {
    expect(policy("--out", join(work, "nothing"))).toEqual({ status: 2, stdout: "", stderr: expect.stringMatching(/^policy: no synthesized stack in .*nothing\/stacks: run 'npm run synth' first\n$/) });
    expect(policy("--out", fresh, "keycloak-nowhere").stderr).toMatch(/^policy: .*keycloak-nowhere.* is missing: run 'npm run synth' first\n$/);
  });
});
