import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { projectPath } from "../modules/shared/paths";
import { loadWorkflow, parseWorkflow, stepLabel, WORKFLOW_FILES, workflowText, type Job, type Workflow } from "./support/workflow-runner";

/**
 * The users' pipeline in two trust zones (README: CI): pr.yml runs the pull request's code with
 * no way to AWS; plan.yml, started by workflow_run from the default branch's file, is the only
 * job with the plan role and runs only the default branch's code on the pull request's JSON;
 * deploy.yml installs and tests before it takes the deploy role.
 */

const CONFIGURE = "aws-actions/configure-aws-credentials";
/** Steps that install third-party code; none may run once credentials are in the job's environment. */
const INSTALL = /\b(npm (ci|install|i)\b|pip install\b|npx (?!cdktf\b|jest\b))/;

const triggers = (wf: Workflow) => Object.keys(wf.on ?? {});
const runsPullRequestCode = (wf: Workflow) => triggers(wf).some((t) => t === "pull_request" || t === "pull_request_target");
const idToken = (permissions: Job["permissions"] | Workflow["permissions"]) =>
  permissions === "write-all" || (typeof permissions === "object" && permissions["id-token"] === "write");
const credentialSteps = (job: Job) => job.steps.flatMap((s, i) => (s.uses?.startsWith(`${CONFIGURE}@`) ? [i] : []));

/** Every broken trust rule of a workflow, each naming the job and the step. */
function trustViolations(file: string, wf: Workflow): string[] {
  const found: string[] = [];
  if (runsPullRequestCode(wf) && idToken(wf.permissions)) found.push(`${file}: id-token: write for a workflow that runs a pull request's code`);
  for (const [name, job] of Object.entries(wf.jobs)) {
    const configured = credentialSteps(job);
    if (runsPullRequestCode(wf)) {
      if (idToken(job.permissions)) found.push(`${file} job ${name}: id-token: write in a job that runs a pull request's code`);
      if (configured.length > 0) found.push(`${file} job ${name}: AWS credentials in a job that runs a pull request's code`);
      continue;
    }
    if (configured.length === 0) continue;
    if (!idToken(job.permissions)) found.push(`${file} job ${name}: AWS credentials without OIDC (id-token: write)`);
    job.steps.forEach((step, i) => {
      if (i > configured[0] && INSTALL.test(step.run ?? "")) found.push(`${file} job ${name}: AWS credentials before '${stepLabel(step)}'`);
      const ref = step.with?.ref ?? step.with?.repository;
      if (step.uses?.startsWith("actions/checkout@") && ref !== undefined) found.push(`${file} job ${name}: checks out ${String(ref)}, not the triggering branch's trusted code`);
    });
  }
  return found;
}

const workflows = Object.fromEntries(WORKFLOW_FILES.map((f) => [f, loadWorkflow(f)])) as Record<(typeof WORKFLOW_FILES)[number], Workflow>;
const pr = workflows["pr.yml"];
const plan = workflows["plan.yml"];
const deploy = workflows["deploy.yml"];
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const indexOf = (job: Job, test: (s: Job["steps"][number]) => boolean) => job.steps.findIndex(test);

describe("trust zones: a pull request's code never meets AWS credentials", () => {
  test.each(WORKFLOW_FILES)("%s breaks no trust rule", (file) => {
    expect(trustViolations(file, workflows[file])).toEqual([]);
  });

  test("the rules catch a credentials step moved before npm ci, into the pull request's job, or a checkout of the pull request's head", () => {
    const moved = parseWorkflow(workflowText("deploy.yml"));
    const steps = moved.jobs.deploy.steps;
    const credentials = steps.splice(indexOf(moved.jobs.deploy, (s) => s.uses?.startsWith(CONFIGURE) === true), 1)[0];
    steps.splice(indexOf(moved.jobs.deploy, (s) => s.run === "npm ci"), 0, credentials);
    expect(trustViolations("deploy.yml", moved)).toEqual(["deploy.yml job deploy: AWS credentials before 'npm ci'"]);

    const inPr = parseWorkflow(workflowText("pr.yml"));
    inPr.jobs.test.permissions = { contents: "read", "id-token": "write" };
    inPr.jobs.test.steps.unshift(credentials);
    expect(trustViolations("pr.yml", inPr)).toEqual([
      "pr.yml job test: id-token: write in a job that runs a pull request's code",
      "pr.yml job test: AWS credentials in a job that runs a pull request's code",
    ]);

    const head = parseWorkflow(workflowText("plan.yml"));
    head.jobs.plan.steps[0].with = { ref: "${{ github.event.workflow_run.head_sha }}" };
    expect(trustViolations("plan.yml", head)).toEqual(["plan.yml job plan: checks out ${{ github.event.workflow_run.head_sha }}, not the triggering branch's trusted code"]);
  });

  test("pr.yml builds, tests and synthesizes the pull request and hands on only its JSON, skips and number as the artifact 'synth'", () => {
    const job = pr.jobs.test;
    for (const command of ["npm ci", "npm run build", "npm test", "npm run synth"]) expect(job.steps.map((s) => s.run)).toContain(command);
    expect(runs(job)).toContain('cp "cdktf.out/stacks/$stack/cdk.tf.json" "synth/stacks/$stack/"');
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with).toMatchObject({ name: "synth", path: "synth" });
    expect(JSON.stringify(pr)).not.toMatch(/AWS_PLAN_ROLE_ARN|configure-aws-credentials/);
    // The skip list depends on the same settings as the synth.
    const keycloakEnv = (s?: Job["steps"][number]) => Object.entries(s?.env ?? {}).filter(([k]) => k.startsWith("KEYCLOAK_"));
    const synth = job.steps.find((s) => s.run === "npm run synth");
    expect(keycloakEnv(synth).length).toBeGreaterThan(0);
    expect(keycloakEnv(job.steps.find((s) => s.name === "Collect the synthesized stacks"))).toEqual(keycloakEnv(synth));
  });

  test("plan.yml runs from the default branch (workflow_run of pull-request), checks the JSON before credentials and plans with the default branch's script", () => {
    expect(plan.on).toEqual({ workflow_run: { workflows: [pr.name], types: ["completed"] } });
    const job = plan.jobs.plan;
    expect(job.if).toContain("github.event.workflow_run.conclusion == 'success'");
    const order = [
      indexOf(job, (s) => s.run === "npm ci"),
      indexOf(job, (s) => s.uses?.startsWith("actions/download-artifact@") === true && s.with?.name === "synth"),
      indexOf(job, (s) => (s.run ?? "").includes("node --import tsx tools/ci/check-synth.ts pr-synth/stacks ${{ matrix.stack }}")),
      indexOf(job, (s) => s.uses?.startsWith(CONFIGURE) === true),
      indexOf(job, (s) => (s.run ?? "").startsWith("bash tools/ci/plan-stack.sh")),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(job.steps.find((s) => s.with?.name === "synth")?.with?.["run-id"]).toBe("${{ github.event.workflow_run.id }}");
  });

  test("fork pull requests plan only in the plan-fork environment (required reviewers); the checkov job has no credentials", () => {
    expect(plan.jobs.plan.environment).toBe("${{ github.event.workflow_run.head_repository.full_name == github.repository && 'plan' || 'plan-fork' }}");
    expect(plan.permissions).toEqual({});
    expect(plan.jobs.checkov.permissions).toEqual({ contents: "read", actions: "read" });
    expect(runs(plan.jobs.checkov)).toContain("checkov -f plan-output/${{ matrix.stack }}/plan.json --framework terraform_plan");
  });

  test("the plan matrix covers exactly the stacks main.ts synthesizes from cdktf.json, in pr.yml's artifact and in both plan.yml jobs", () => {
    const environments = Object.keys(JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context.environments).map((e) => `keycloak-${e}`).sort();
    for (const job of [plan.jobs.plan, plan.jobs.checkov]) expect([...(job as unknown as { strategy: { matrix: { stack: string[] } } }).strategy.matrix.stack].sort()).toEqual(environments);
    expect(runs(pr.jobs.test)).toContain(`for stack in ${environments.join(" ")}; do`);
  });

  test("the plan job publishes only plan-stack.sh's output directory, and no step runs terraform itself", () => {
    const job = plan.jobs.plan;
    const outDir = /^bash tools\/ci\/plan-stack\.sh \$\{\{ matrix\.stack \}\} (.+)$/.exec(job.steps.map((s) => s.run ?? "").find((r) => r.includes("plan-stack.sh")) ?? "")?.[1];
    expect(outDir).toBe("plan-output/${{ matrix.stack }}");
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with?.path).toBe(outDir);
    expect(String(job.steps.find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script)).toContain("fs.readFileSync(`plan-output/${process.env.STACK}/plan.txt`");
    expect(runs(job)).not.toMatch(/^\s*terraform /m);
  });

  test("plans and deploys use GitHub OIDC role credentials, never stored keys", () => {
    expect(plan.jobs.plan.steps.find((s) => s.uses?.startsWith(CONFIGURE))?.with?.["role-to-assume"]).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
    expect(deploy.jobs.deploy.steps.find((s) => s.uses?.startsWith(CONFIGURE))?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    for (const file of WORKFLOW_FILES) expect(workflowText(file)).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key/);
  });
});

describe("pinned: every action by commit, checkov by version", () => {
  test.each(WORKFLOW_FILES)("%s references every action by a full commit SHA with its tag in a comment", (file) => {
    const uses = workflowText(file).split("\n").filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect([line, /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(line)]).toEqual([line, true]);
  });

  test("one action is one commit everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const file of WORKFLOW_FILES) {
      for (const m of workflowText(file).matchAll(/uses: ([\w.-]+\/[\w./-]+)@([0-9a-f]{40})/g)) pins.set(m[1], new Set([...(pins.get(m[1]) ?? []), m[2]]));
    }
    for (const [action, shas] of pins) expect([action, shas.size]).toEqual([action, 1]);
  });

  test("checkov is installed from the requirements file at one exact version, with --require-hashes once it carries hashes", () => {
    const requirements = readFileSync(projectPath("tools", "ci", "checkov-requirements.txt"), "utf8");
    expect(requirements).toMatch(/^checkov==\d+\.\d+\.\d+/m);
    const install = runs(plan.jobs.checkov).split("\n").find((l) => l.includes("pip install"));
    expect(install).toContain("-r tools/ci/checkov-requirements.txt");
    expect(install?.includes("--require-hashes")).toBe(requirements.includes("--hash="));
  });
});

describe("users' CI workflows", () => {
  test("every npm script the workflows run exists in package.json", () => {
    const scripts = Object.keys(JSON.parse(readFileSync(projectPath("package.json"), "utf8")).scripts);
    const used = WORKFLOW_FILES.flatMap((f) => [...workflowText(f).matchAll(/npm (?:run )?(\w[\w:-]*)/g)].map((m) => m[1])).filter((s) => s !== "ci");
    expect(used.length).toBeGreaterThan(0);
    for (const s of used) expect(scripts).toContain(s);
  });

  test("the browser e2e job runs the real-clients e2e and keeps its screenshots as an artifact even when it fails", () => {
    const job = pr.jobs["browser-e2e"];
    expect(runs(job)).toContain("__tests__/e2e/real-clients.test.ts");
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))).toMatchObject({ if: "always()", with: { name: "browser-e2e-screenshots", path: ".cache/browser-e2e" } });
  });

  test("the test job installs terraform and declares the full validation the runner can do", () => {
    expect(pr.jobs.test.steps.some((s) => s.uses?.startsWith("hashicorp/setup-terraform@"))).toBe(true);
    expect(pr.jobs.test.env?.TERRAFORM_VALIDATION_MODE).toBe("full");
  });

  test("deploying prod waits for approval through the production environment", () => {
    expect(deploy.jobs.deploy.environment).toBe("production");
    expect(runs(deploy.jobs.deploy)).toContain("npx cdktf deploy keycloak-prod --auto-approve");
  });

  test.each(["plan-stack.sh", "bastion-access.sh", "upgrade-metadata.sh"])("tools/ci/%s documents itself and refuses bad usage", (script) => {
    const help = spawnSync("bash", [projectPath("tools", "ci", script), "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain(`usage: ${script} `);
    const bad = spawnSync("bash", [projectPath("tools", "ci", script)], { encoding: "utf8" });
    expect(bad.status).toBe(2);
  });

  test("plan-stack.sh refuses a stack that was not synthesized", () => {
    const missing = spawnSync("bash", [projectPath("tools", "ci", "plan-stack.sh"), "keycloak-nowhere"], { encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("run 'npx cdktf synth' first");
  });
});
