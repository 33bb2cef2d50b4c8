import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { projectPath } from "../modules/shared/paths";

const read = (name: string) => readFileSync(projectPath(".github", "workflows", name), "utf8");
const pr = read("pr.yml");
const deploy = read("deploy.yml");
const scripts = Object.keys(JSON.parse(readFileSync(projectPath("package.json"), "utf8")).scripts);

describe("users' CI workflows", () => {
  test("every npm script the workflows run exists in package.json", () => {
    const used = [...`${pr}\n${deploy}`.matchAll(/npm (?:run )?(\w[\w:-]*)/g)].map((m) => m[1]).filter((s) => s !== "ci");
    expect(used.length).toBeGreaterThan(0);
    for (const s of used) expect(scripts).toContain(s);
  });

  test("the plan matrix covers exactly the stacks main.ts synthesizes from cdktf.json", () => {
    const environments = Object.keys(JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context.environments);
    const matrix = /stack: \[([^\]]+)\]/.exec(pr)![1].split(",").map((s) => s.trim());
    expect(matrix.sort()).toEqual(environments.map((e) => `keycloak-${e}`).sort());
  });

  test("plans and deploys use GitHub OIDC role credentials, never stored keys", () => {
    for (const wf of [pr, deploy]) {
      expect(wf).toContain("id-token: write");
      expect(wf).toMatch(/role-to-assume: \$\{\{ vars\.AWS_(PLAN|DEPLOY)_ROLE_ARN \}\}/);
      expect(wf).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key/);
    }
  });

  test("the pull-request workflow tests, synthesizes, plans, publishes the plan and runs checkov", () => {
    for (const step of ["npm test", "npx cdktf synth", "tools/ci/plan-stack.sh", "upload-artifact", "createComment", "checkov"]) expect(pr).toContain(step);
  });

  test("the plan job publishes only plan-stack.sh's output directory: the artifact, the PR comment and checkov read from it", () => {
    const outDir = /- run: bash tools\/ci\/plan-stack\.sh \$\{\{ matrix\.stack \}\} (.+)\n/.exec(pr)?.[1];
    expect(outDir).toBe("plan-output/${{ matrix.stack }}");
    expect(/uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: .+\n\s+path: (.+)\n/.exec(pr)?.[1]).toBe(outDir);
    expect(pr).toContain("fs.readFileSync(`plan-output/${process.env.STACK}/plan.txt`");
    expect(pr).toContain(`-f ${outDir}/plan.json`);
    // Any other terraform command in a step could write the unsanitized plan next to it.
    expect(pr.match(/^\s*(- run: )?terraform /gm)).toBeNull();
  });

  test("the browser e2e job runs the real-clients e2e and keeps its screenshots as an artifact even when it fails", () => {
    const job = pr.split("\n  browser-e2e:\n")[1];
    expect(job).toBeDefined();
    expect(job).toContain("__tests__/e2e/real-clients.test.ts");
    expect(job).toMatch(/- uses: actions\/upload-artifact@v4\n\s+if: always\(\)\n\s+with:\n\s+name: browser-e2e-screenshots\n\s+path: \.cache\/browser-e2e\n/);
  });

  test("the test job installs terraform and declares the full validation the runner can do", () => {
    const testJob = pr.split("\n  plan:\n")[0];
    expect(testJob).toContain("uses: hashicorp/setup-terraform@v3");
    expect(testJob).toContain("TERRAFORM_VALIDATION_MODE: full");
  });

  test("deploying prod waits for approval through the production environment", () => {
    expect(deploy).toContain("environment: production");
    expect(deploy).toContain("npx cdktf deploy keycloak-prod --auto-approve");
  });

  test("plan-stack.sh documents itself and refuses a stack that was not synthesized", () => {
    const help = spawnSync("bash", [projectPath("tools", "ci", "plan-stack.sh"), "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: plan-stack.sh STACK");
    const missing = spawnSync("bash", [projectPath("tools", "ci", "plan-stack.sh"), "keycloak-nowhere"], { encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("run 'npx cdktf synth' first");
  });
});
