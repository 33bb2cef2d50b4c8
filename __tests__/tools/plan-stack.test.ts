/**
 * The pull-request plan step, run for real: the `run:` line of plan.yml that calls
 * tools/ci/plan-stack.sh plans an offline stack (aws provider from the mirror, no refresh)
 * whose prior state holds the bastion key as a sensitive output, the certificate key in the
 * ACM certificate, a master password on the database and a secret version with a password.
 * What the step leaves for upload and for the PR comment must hold none of them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import { scanForSecrets } from "../../policy/secret-scan";
import { OFFLINE_SETTINGS, onlyResourceName, synthStack, type TerraformJson } from "../../modules/synth";
import { offlineAwsProvider, offlineTerraformEnv, validationMode, withoutUnavailableProviders } from "../support/terraform";
import { TempDirs } from "../support/temp-dir";

jest.setTimeout(300_000);

const STACK = `keycloak-plantest-${process.pid}`;
const OUT_DIR = projectPath("plan-output", STACK);
const temp = new TempDirs();

/** The one `run:` line of plan.yml that plans a stack, for the given stack. */
function workflowPlanCommand(stack: string): string {
  const lines = readFileSync(projectPath(".github", "workflows", "plan.yml"), "utf8")
    .split("\n")
    .filter((l) => /^\s*- run: .*tools\/ci\/plan-stack\.sh/.test(l));
  if (lines.length !== 1) throw new Error(`expected one run line with tools/ci/plan-stack.sh in plan.yml, found ${lines.length}`);
  return lines[0].replace(/^\s*- run:\s*/, "").replace(/\$\{\{ matrix\.stack \}\}/g, stack);
}

const planted = {
  key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string,
  password: `Planted-${randomUUID()}`,
};
/** A line from the middle of the key: no header, just key material. */
const keyBody = planted.key.split("\n")[5];

/** A state as a first deploy leaves it, reduced to the attributes that carry secrets. */
function priorState(json: TerraformJson): unknown {
  const aws = 'provider["registry.terraform.io/hashicorp/aws"]';
  const resource = (type: string, name: string, schemaVersion: number, attributes: Record<string, unknown>) => ({
    mode: "managed", type, name, provider: aws,
    instances: [{ schema_version: schemaVersion, attributes, sensitive_attributes: [] }],
  });
  const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";
  return {
    version: 4, terraform_version: "1.11.4", serial: 7, lineage: randomUUID(),
    outputs: {
      bastion_private_key: { value: planted.key, type: "string", sensitive: true },
      legacy_db_password: { value: planted.password, type: "string", sensitive: true },
    },
    resources: [
      resource("aws_acm_certificate", onlyResourceName(json, "aws_acm_certificate"), 0, { id: arn, arn, private_key: planted.key }),
      resource("aws_db_instance", onlyResourceName(json, "aws_db_instance"), 2, { id: "db-PLANTEST", identifier: "keycloak-plantest-db", username: "admin", password: planted.password }),
      resource("aws_secretsmanager_secret_version", "legacy", 0, {
        id: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy|v1",
        secret_id: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy",
        secret_string: JSON.stringify({ username: "keycloak", password: planted.password }),
      }),
    ],
  };
}

let run: ReturnType<typeof spawnSync>;
let raw: Record<string, unknown>;

beforeAll(() => {
  const root = temp.make("kc-plan-");
  const stackDir = join(root, "stacks", STACK);
  mkdirSync(stackDir, { recursive: true });
  const offline = offlineAwsProvider(synthStack(OFFLINE_SETTINGS));
  const json = validationMode() === "full" ? offline : withoutUnavailableProviders(offline);
  writeFileSync(join(stackDir, "cdk.tf.json"), JSON.stringify(json, null, 2));
  writeFileSync(join(stackDir, "terraform.tfstate"), JSON.stringify(priorState(json), null, 2));
  // Differences from the workflow: where the stacks are, the mirror, fake credentials, no refresh.
  const env = { ...offlineTerraformEnv(root), STACKS_DIR: join(root, "stacks"), TF_CLI_ARGS_plan: "-refresh=false" };
  run = spawnSync("bash", ["-c", workflowPlanCommand(STACK)], { cwd: projectPath(), env, encoding: "utf8", timeout: 300_000 });
  if (run.status !== 0) throw new Error(`the workflow's plan command failed:\n${run.stdout}\n${run.stderr}`);
  raw = JSON.parse(execFileSync("terraform", ["show", "-json", "tfplan"], { cwd: stackDir, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }));
});

afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  temp.removeAll();
});

const published = () => Object.fromEntries(readdirSync(OUT_DIR).map((f) => [f, readFileSync(join(OUT_DIR, f), "utf8")]));

describe("the pull request's published plan", () => {
  test("the unsanitized plan JSON holds the planted key and password, and the secret scan finds them", () => {
    const text = JSON.stringify(raw);
    expect(text).toContain(keyBody);
    expect(text).toContain(planted.password);
    const reasons = new Set(scanForSecrets(raw).map((f) => f.reason));
    expect(reasons).toContain("literal PEM private key");
    expect(reasons).toContain("literal value in password");
    expect(reasons).toContain("value marked sensitive by Terraform");
  });

  test("the step publishes exactly the text plan and the sanitized JSON, and the secret scan finds nothing in them", () => {
    const files = published();
    expect(Object.keys(files).sort()).toEqual(["plan.json", "plan.txt"]);
    expect(scanForSecrets(JSON.parse(files["plan.json"]))).toEqual([]);
    expect(scanForSecrets(files["plan.txt"])).toEqual([]);
  });

  test("no published file holds the planted key, the password or any private key header", () => {
    for (const [name, content] of Object.entries(published())) {
      expect([name, content.includes(keyBody)]).toEqual([name, false]);
      expect([name, content.includes(planted.password)]).toEqual([name, false]);
      expect([name, /PRIVATE KEY/.test(content)]).toEqual([name, false]);
    }
  });

  test("the sanitized JSON has no prior_state but every change, planned resource and configured resource checkov reads", () => {
    const plan = JSON.parse(published()["plan.json"]);
    expect(plan.prior_state).toBeUndefined();
    const addresses = (changes: { address: string }[]) => changes.map((c) => c.address).sort();
    const rawPlan = raw as { resource_changes: { address: string }[]; planned_values: { root_module: { resources: { address: string }[] } }; configuration: { root_module: { resources: { address: string }[] } } };
    expect(rawPlan.resource_changes.length).toBeGreaterThan(50);
    expect(addresses(plan.resource_changes)).toEqual(addresses(rawPlan.resource_changes));
    expect(addresses(plan.planned_values.root_module.resources)).toEqual(addresses(rawPlan.planned_values.root_module.resources));
    expect(addresses(plan.configuration.root_module.resources)).toEqual(addresses(rawPlan.configuration.root_module.resources));
  });

  test("the text plan shows the planned changes with sensitive values hidden", () => {
    const text = published()["plan.txt"];
    expect(text).toMatch(/Plan: \d+ to add, \d+ to change, \d+ to destroy/);
    expect(text).toContain("(sensitive value)");
  });
});
