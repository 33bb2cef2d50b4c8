import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { projectPath } from "../../modules/shared/paths";
import { RULES } from "../../policy/rules";
import { CHECKOV_SKIPS, EXCEPTIONS } from "../../policy/exceptions";

// pr.yml writes each stack's skip list with the pull request's code; plan.yml's checkov job reads it as data.
const prWorkflow = readFileSync(projectPath(".github", "workflows", "pr.yml"), "utf8");
const workflow = readFileSync(projectPath(".github", "workflows", "plan.yml"), "utf8");

/** What the workflow's checkov step gets: the tool's output for a stack, under the given KEYCLOAK_* variables. */
function skipList(stack: string, env: Record<string, string> = {}): string[] {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEYCLOAK_")));
  const run = spawnSync("node", ["--import", "tsx", projectPath("policy", "checkov-skips.ts"), stack], {
    cwd: projectPath(), encoding: "utf8", env: { ...clean, ...env },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout.trim().split(",");
}

describe("checkov in the users' CI", () => {
  // One run of the tool per case (each loads the whole configuration module).
  let prod: string[];
  let dev: string[];
  beforeAll(() => {
    prod = skipList("keycloak-prod");
    dev = skipList("keycloak-dev");
  });

  test("the workflow's checkov step skips exactly the generated list and names no check itself", () => {
    expect(prWorkflow).toContain('node --import tsx policy/checkov-skips.ts "$stack" > "synth/checkov-skips/$stack.txt"');
    const step = workflow.slice(workflow.indexOf("name: checkov"));
    expect(step).toContain('skips="$(cat pr-synth/checkov-skips/${{ matrix.stack }}.txt)"');
    expect(step).toMatch(/\n\s*checkov -f [^\n]* --framework terraform_plan [^\n]*--skip-check "\$skips"\n/);
    for (const text of [prWorkflow, workflow]) expect(text).not.toMatch(/CKV2?_[A-Z]+_\d+/);
  });

  test("prod skips the bastion's public IP, IAM database auth and the open port 80, but keeps Multi-AZ, flow logs and task public IPs checked", () => {
    expect(prod).toEqual(expect.arrayContaining(["CKV_AWS_88", "CKV_AWS_161", "CKV_AWS_260"]));
    for (const kept of ["CKV_AWS_157", "CKV2_AWS_11", "CKV_AWS_333", "CKV_AWS_62", "CKV_AWS_24"]) expect(prod).not.toContain(kept);
  });

  test("dev also skips what its profile's exceptions waive: Multi-AZ, flow logs, task public IPs", () => {
    expect(dev).toEqual(expect.arrayContaining(["CKV_AWS_157", "CKV2_AWS_11", "CKV_AWS_333"]));
  });

  test("the skip list follows the KEYCLOAK_* variables the workflow synthesizes with", () => {
    expect(skipList("keycloak-prod", { KEYCLOAK_EGRESS_MODE: "public-ip" })).toContain("CKV_AWS_333");
  });

  test("every skipped check is an exception's checkov id or a deliberate skip with a reason, and every deliberate skip is used", () => {
    const exceptionIds = EXCEPTIONS.map((e) => RULES.find((r) => r.id === e.rule)?.checkov?.id).filter(Boolean);
    const lists = [...prod, ...dev];
    for (const id of lists) expect([...exceptionIds, ...CHECKOV_SKIPS.map((s) => s.check)]).toContain(id);
    for (const s of CHECKOV_SKIPS) {
      expect(lists).toContain(s.check);
      expect(s.reason.length).toBeGreaterThan(30);
    }
  });

  test("a deliberate skip never silences a check one of our rules claims to mirror", () => {
    const mirrored = RULES.flatMap((r) => (r.checkov ? [r.checkov.id] : []));
    expect(CHECKOV_SKIPS.filter((s) => mirrored.includes(s.check)).map((s) => s.check)).toEqual([]);
  });

  test("every checkov id names the checkov source file it was verified against, and no id is claimed twice", () => {
    const all = [...RULES.flatMap((r) => (r.checkov ? [r.checkov] : [])), ...CHECKOV_SKIPS.map((s) => ({ id: s.check, source: s.source }))];
    for (const c of all) {
      expect(c.id).toMatch(/^CKV2?_AWS_\d+$/);
      expect(c.source).toMatch(c.id.startsWith("CKV2_") || c.source.endsWith(".yaml") ? /^graph_checks\/aws\/\w+\.yaml$/ : /^resource\/aws\/\w+\.py$/);
    }
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
  });
});
