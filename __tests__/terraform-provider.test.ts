/**
 * The synthesized stack against the real hashicorp/aws provider: `terraform validate` and
 * an offline `terraform plan` (fake credentials, skip_* flags, explicit zones and AMI).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_SETTINGS, synthStack, type TerraformJson } from "../modules/synth";
import {
  PLUGIN_MIRROR,
  TerraformWorkdir,
  VALIDATION_MODE_ENV,
  expectedValidationMode,
  managedResourceCount,
  offlineAwsProvider,
  validationMode,
  withoutUnavailableProviders,
} from "./support/terraform";
import type { RawSettings } from "../modules/config";

jest.setTimeout(300_000);

const mode = validationMode();
const prepare = (settings: RawSettings): TerraformJson => {
  const json = offlineAwsProvider(synthStack({ ...OFFLINE_SETTINGS, ...settings }));
  return mode === "full" ? json : withoutUnavailableProviders(json);
};

let work: TerraformWorkdir;

beforeAll(() => {
  work = new TerraformWorkdir(prepare({}));
  const init = work.run("init", "-input=false", "-backend=false", "-no-color");
  if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`);
});

afterAll(() => work?.dispose());

test(`terraform validation runs in the mode this machine declares (${VALIDATION_MODE_ENV}, default full)`, () => {
  const expected = expectedValidationMode();
  if (mode === expected) return;
  throw new Error(
    mode === "aws-only"
      ? `terraform validation mode is aws-only, expected ${expected}: the tls and null providers are not in ${PLUGIN_MIRROR}, so their resources would be removed ` +
          `and references replaced by placeholders. Put them in the mirror, or accept the weaker check by declaring ${VALIDATION_MODE_ENV}=aws-only (as .ci/run does).`
      : `terraform validation mode is full, but ${VALIDATION_MODE_ENV}=${expected} was declared: this machine now validates every provider; ` +
          `declare ${VALIDATION_MODE_ENV}=full (in .ci/run) to keep the stronger check.`,
  );
});

const use = (json: TerraformJson) => writeFileSync(join(work.dir, "main.tf.json"), JSON.stringify(json, null, 2));

const shapes: [string, RawSettings][] = [
  ["prod defaults (nat egress, Multi-AZ)", {}],
  ["dev profile (public-ip egress, throw-away)", { profile: "dev" }],
  ["endpoints egress with per-AZ settings and 3 zones", { egressMode: "endpoints", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }],
  ["nat per zone, ARM64, admin allow-list, prebuilt image", {
    natGateways: "per-az", cpuArchitecture: "ARM64", adminAllowedCidrs: ["198.51.100.0/24"],
    imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26.7.3",
  }],
  ["custom domain with DNS-validated certificate", { hostname: "login.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" }],
  ["ALB access logs on (S3 bucket, its policy, expiry and encryption)", { albAccessLogs: true }],
];

test.each(shapes)("terraform validate accepts the %s stack", (_name, settings) => {
  use(prepare(settings));
  const r = work.run("validate", "-no-color");
  expect(`${r.stdout}${r.stderr}`).toContain("The configuration is valid");
  expect(r.status).toBe(0);
});

test.each([
  ["prod defaults", {}],
  ["dev profile", { profile: "dev" }],
] as [string, RawSettings][])("offline terraform plan of %s adds every resource in the JSON", (_name, settings) => {
  const json = prepare(settings);
  use(json);
  const plan = work.run("plan", "-input=false", "-refresh=false", "-lock=false", "-no-color", "-out=plan.bin");
  if (plan.status !== 0) throw new Error(`terraform plan failed:\n${plan.stdout}\n${plan.stderr}`);
  const changes = work.plannedChanges("plan.bin");
  const creates = changes.filter((c) => c.actions.join() === "create");
  const expected = managedResourceCount(json);
  console.log(`offline plan (${_name}, ${mode}): ${creates.length} to add`);
  expect(creates).toHaveLength(expected);
  expect(changes.filter((c) => c.actions.join() !== "create" && c.actions.join() !== "read")).toEqual([]);
  expect(plan.stdout).toMatch(new RegExp(`Plan: ${expected} to add, 0 to change, 0 to destroy`));
});

test("terraform plan stops before creating anything when no CIDR may SSH to the bastion, naming the setting", () => {
  use(prepare({ bastionAllowedCidrs: [] }));
  const plan = work.run("plan", "-input=false", "-refresh=false", "-lock=false", "-no-color");
  expect(plan.status).not.toBe(0);
  const output = `${plan.stdout}${plan.stderr}`.replace(/\s*│\s*/g, " ");
  expect(output).toContain("Resource precondition failed");
  expect(output).toContain("bastionAllowedCidrs (env KEYCLOAK_BASTION_ALLOWED_CIDRS)");
});
