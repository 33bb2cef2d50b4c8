import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import { OFFLINE_SETTINGS, synthStack } from "../../modules/synth";
import { ALLOWED_PROVIDERS, checkSynth, STACK_FILE, type Expectations } from "../../tools/ci/check-synth";
import { TempDirs } from "../support/temp-dir";

/**
 * The plan job's gate (tools/ci/check-synth.ts): the project's own stacks pass, and each thing a
 * pull request could add to run code or read files at init or plan time is refused by name.
 */

const BUCKET = "keycloak-state-123456789012";
const expected: Expectations = { stateBucket: BUCKET, stateKey: "keycloak/test.tfstate" };
const synthesized = JSON.stringify(synthStack({ ...OFFLINE_SETTINGS, stateBucket: BUCKET }));
/** A fresh copy of this project's stack, for a test to edit. */
const ours = () => JSON.parse(synthesized) as Record<string, any>;
const DATA_RULE = "only aws_availability_zones, aws_elb_service_account and aws_ssm_parameter under /aws/service/ may be read at plan time";
const temp = new TempDirs();
afterAll(() => temp.removeAll());

describe("the synthesized-JSON check in front of the credentialed plan", () => {
  test("this project's stack passes, with its apply-time provisioners listed, not refused", () => {
    const verdict = checkSynth(ours(), expected);
    expect(verdict.refusals).toEqual([]);
    // The default settings read the availability zones and the public AMI parameter.
    const lookups = synthStack({ stateBucket: BUCKET });
    expect(Object.keys(lookups.data ?? {}).sort()).toEqual(["aws_availability_zones", "aws_ssm_parameter"]);
    expect(checkSynth(lookups as never, expected).refusals).toEqual([]);
    expect(verdict.notes.some((n) => /local-exec provisioner: apply-time only/.test(n))).toBe(true);
    // ALB access logs read the regional ELB account (a table inside the provider).
    const withLogs = synthStack({ stateBucket: BUCKET, albAccessLogs: true });
    expect(Object.keys(withLogs.data ?? {}).sort()).toEqual(["aws_availability_zones", "aws_elb_service_account", "aws_ssm_parameter"]);
    expect(checkSynth(withLogs as never, expected).refusals).toEqual([]);
  });

  test("the allowed provider versions are the ones the installed @cdktf/provider-* packages synthesize", () => {
    const required = ours().terraform.required_providers as Record<string, { source: string; version: string }>;
    expect(Object.fromEntries(Object.entries(required).map(([name, r]) => [name, r.version]))).toEqual(
      Object.fromEntries(Object.entries(ALLOWED_PROVIDERS).map(([name, p]) => [name, p.version])),
    );
  });

  test("an external data source (runs a program at plan time) is refused, naming it and its provider", () => {
    const json = ours();
    json.terraform.required_providers.external = { source: "hashicorp/external", version: "2.3.4" };
    json.data = { ...json.data, external: { steal: { program: ["bash", "-c", "env"] } } };
    const { refusals } = checkSynth(json, expected);
    expect(refusals).toContain(`data source external.steal: ${DATA_RULE}`);
    expect(refusals).toContain('provider "external" (hashicorp/external): only hashicorp/aws, hashicorp/tls, hashicorp/null may run in the plan job');
  });

  test.each([
    ["an http data source", (j: any) => (j.data = { http: { call: { url: "https://example.com" } } }), `data source http.call: ${DATA_RULE}`],
    ["tls_certificate (fetches a URL)", (j: any) => (j.data = { tls_certificate: { peek: { url: "https://example.com" } } }), `data source tls_certificate.peek: ${DATA_RULE}`],
    ["terraform_remote_state", (j: any) => (j.data = { terraform_remote_state: { other: { backend: "s3" } } }), `data source terraform_remote_state.other: ${DATA_RULE}`],
    ["the state file through aws_s3_object", (j: any) => (j.data = { aws_s3_object: { state: { bucket: BUCKET, key: "keycloak/prod.tfstate" } } }), `data source aws_s3_object.state: ${DATA_RULE}`],
    ["the account's own SSM parameter", (j: any) => (j.data = { aws_ssm_parameter: { p: { name: "/keycloak/prod/secret" } } }), `data source aws_ssm_parameter.p: ${DATA_RULE}`],
    ["a module (its source is downloaded at init)", (j: any) => (j.module = { m: { source: "git::https://example.com/m.git" } }), '"module" block: not used by this project\'s stacks (module sources and checks run code at init or plan)'],
    ["aws at another version", (j: any) => (j.terraform.required_providers.aws.version = ">= 5.0"), 'provider "aws" at version ">= 5.0": the locked version is 5.100.0'],
    ["aws from another namespace", (j: any) => (j.terraform.required_providers.aws.source = "evil/aws"), 'provider "aws" (evil/aws): only hashicorp/aws, hashicorp/tls, hashicorp/null may run in the plan job'],
    ["assume_role to another account", (j: any) => (j.provider.aws[0].assume_role = [{ role_arn: "arn:aws:iam::999999999999:role/x" }]), 'provider "aws" sets "assume_role": only region, default_tags allowed'],
    ["another state bucket", (j: any) => (j.terraform.backend.s3.bucket = "someone-elses"), `backend "s3" bucket "someone-elses": expected ${BUCKET}`],
    ["a backend role", (j: any) => (j.terraform.backend.s3.role_arn = "arn:aws:iam::999999999999:role/x"), 'backend "s3" sets "role_arn": only bucket, key, region, encrypt, use_lockfile allowed'],
    ["another backend type", (j: any) => (j.terraform.backend = { http: { address: "https://example.com" } }), `backend "http": expected the s3 backend on ${BUCKET}`],
    ["file() of the runner's environment", (j: any) => (j.output.leak = { value: '${file("/proc/self/environ")}' }), 'function file() in "${file("/proc/self/environ")}": reads the runner\'s files at plan time'],
    ["a resource of another provider", (j: any) => (j.resource.local_file = { x: { filename: "/tmp/x", content: "x" } }), 'resource local_file.x: provider "local" not allowed'],
  ])("%s is refused by name", (_what, edit, refusal) => {
    const json = ours();
    edit(json);
    expect(checkSynth(json, expected).refusals).toContain(refusal);
  });

  test("an escaped $${...} is shell text, not a Terraform call", () => {
    const json = ours();
    json.output.shell = { value: 'echo "$${file}" ; f() { :; }; $${x(1)}' };
    expect(checkSynth(json, expected).refusals).toEqual([]);
  });

  test("the command refuses a file beside cdk.tf.json and exits 1 naming it, and passes the clean stack", () => {
    const dir = temp.make("kc-check-synth-");
    for (const stack of ["keycloak-test", "keycloak-evil"]) {
      mkdirSync(join(dir, stack));
      writeFileSync(join(dir, stack, STACK_FILE), JSON.stringify(ours()));
    }
    writeFileSync(join(dir, "keycloak-evil", "override.tf"), 'data "external" "x" { program = ["id"] }');
    const run = (stack: string) =>
      spawnSync("node", ["--import", "tsx", projectPath("tools", "ci", "check-synth.ts"), dir, stack], {
        cwd: projectPath(), encoding: "utf8", env: { ...process.env, KEYCLOAK_STATE_BUCKET: BUCKET },
      });
    const clean = run("keycloak-test");
    expect([clean.status, clean.stderr]).toEqual([0, ""]);
    const evil = run("keycloak-evil");
    expect(evil.status).toBe(1);
    expect(evil.stderr).toContain("keycloak-evil: refused: file override.tf beside cdk.tf.json: terraform would read it");
  });
});
