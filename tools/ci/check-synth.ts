/**
 * The gate in front of the credentialed plan job: decides whether a pull request's synthesized
 * Terraform JSON may be planned with the plan role's credentials.
 *
 * `terraform init` and `terraform plan` run code the configuration names, before any reviewer
 * looks: every provider's binary (installed from wherever `required_providers` points), every
 * data source (the `external` data source runs a program, `http` calls a URL, tls's
 * `tls_certificate` fetches one), module sources (downloaded at init), the backend (init
 * contacts it) and functions that read the runner's files (`file("/proc/self/environ")` would
 * put the role's session token into the published plan). This check runs from the base
 * branch's checkout, so a pull request cannot change it, and refuses everything outside what
 * this project's own stacks use: the aws, tls and null providers at the versions the base
 * branch's packages pin, only the aws provider's `region` and `default_tags`, only the S3 state
 * backend this pipeline names, and only the data sources the stacks read (availability
 * zones, AWS's public AMI parameter, and with ALB access logs the regional ELB account). Provisioners (local-exec,
 * remote-exec, file) run at apply only, never during a plan, and are reported, not refused:
 * the deploy runs main's reviewed code.
 *
 * usage: node --import tsx tools/ci/check-synth.ts STACKS_DIR STACK...
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The providers a stack may use, at the versions @cdktf/provider-* of package-lock.json pin (a test compares them with a synth). */
export const ALLOWED_PROVIDERS: Record<string, { source: string; version: string }> = {
  aws: { source: "hashicorp/aws", version: "5.100.0" },
  tls: { source: "hashicorp/tls", version: "4.1.0" },
  null: { source: "hashicorp/null", version: "3.2.4" },
};

/** Provider settings a stack may give, per provider: anything else (assume_role, endpoints, profile...) could point the credentials elsewhere. */
const ALLOWED_PROVIDER_SETTINGS: Record<string, readonly string[]> = {
  aws: ["region", "default_tags"],
  tls: [],
  null: [],
};

/** The S3 backend settings the stack writes (modules/stack.ts). */
const ALLOWED_BACKEND_SETTINGS = ["bucket", "key", "region", "encrypt", "use_lockfile"];

/** Terraform functions that read the runner's file system during a plan. */
const FILE_FUNCTIONS = [
  "file", "fileexists", "fileset", "filebase64", "filebase64sha256", "filebase64sha512",
  "filemd5", "filesha1", "filesha256", "filesha512", "templatefile", "abspath", "pathexpand",
];

/**
 * The data sources the stacks read, and what they may read: the role can read the state and
 * more, and whatever a data source returns can reach the published plan through an output
 * (encoded past the secret scan). An aws_s3_object of the state bucket is the obvious case.
 */
const ALLOWED_DATA_SOURCES: Record<string, (config: JsonObject) => boolean> = {
  aws_availability_zones: () => true,
  // Only AWS's public parameters (the Amazon Linux AMI id), never the account's own.
  aws_ssm_parameter: (config) => typeof config.name === "string" && config.name.startsWith("/aws/service/") && !config.name.includes("${"),
  // A table compiled into the provider (Region to ELB account id): no API call, nothing of the account's.
  aws_elb_service_account: () => true,
};
const DATA_SOURCE_RULE = "only aws_availability_zones, aws_elb_service_account and aws_ssm_parameter under /aws/service/ may be read at plan time";

/** Top-level keys of a stack's JSON this check knows; any other (module, check, import...) is refused. */
const KNOWN_SECTIONS = ["terraform", "provider", "resource", "data", "output", "locals", "variable", "//"];

/** The one file the plan job takes from the artifact; terraform would read any other *.tf or *.tf.json beside it. */
export const STACK_FILE = "cdk.tf.json";

export interface Expectations {
  /** The state bucket the pipeline uses (empty: local state, no backend allowed). */
  stateBucket: string;
  /** The state key of this stack, e.g. keycloak/prod.tfstate. */
  stateKey: string;
}

export interface Verdict {
  refusals: string[];
  /** Apply-time only, listed for the reviewer. */
  notes: string[];
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const entries = (v: Json | undefined): [string, Json][] => (isObject(v) ? Object.entries(v) : []);
/** A JSON block that Terraform accepts as an object or a list of objects. */
const blocks = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);

/** Every Terraform template expression (`${...}`, not the escaped `$${`) in any string of `value`. */
function expressions(value: Json, into: string[] = []): string[] {
  if (typeof value === "string") {
    for (const m of value.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) into.push(m[1]);
  } else if (Array.isArray(value)) value.forEach((v) => expressions(v, into));
  else if (isObject(value)) Object.values(value).forEach((v) => expressions(v, into));
  return into;
}

function checkProviders(json: JsonObject, refusals: string[]): void {
  const terraform = isObject(json.terraform) ? json.terraform : {};
  for (const [name, requirement] of entries(terraform.required_providers)) {
    const allowed = ALLOWED_PROVIDERS[name];
    const source = isObject(requirement) ? String(requirement.source ?? name) : String(requirement);
    const version = isObject(requirement) ? String(requirement.version ?? "") : "";
    const normalized = source.replace(/^registry\.terraform\.io\//, "").replace(/^([^/]+)$/, "hashicorp/$1");
    if (allowed === undefined || normalized !== allowed.source) {
      refusals.push(`provider "${name}" (${source}): only ${Object.values(ALLOWED_PROVIDERS).map((p) => p.source).join(", ")} may run in the plan job`);
    } else if (version !== allowed.version) {
      refusals.push(`provider "${name}" at version "${version}": the locked version is ${allowed.version}`);
    }
  }
  for (const [name, configs] of entries(json.provider)) {
    if (ALLOWED_PROVIDERS[name] === undefined) {
      refusals.push(`provider block "${name}": not an allowed provider`);
      continue;
    }
    for (const config of blocks(configs)) {
      for (const key of Object.keys(config)) {
        if (!ALLOWED_PROVIDER_SETTINGS[name].includes(key)) refusals.push(`provider "${name}" sets "${key}": only ${ALLOWED_PROVIDER_SETTINGS[name].join(", ") || "no setting"} allowed`);
      }
    }
  }
}

function checkTerraformBlock(json: JsonObject, expected: Expectations, refusals: string[]): void {
  const terraform = isObject(json.terraform) ? json.terraform : {};
  for (const key of Object.keys(terraform)) {
    if (!["required_providers", "backend"].includes(key)) refusals.push(`terraform block sets "${key}": only required_providers and the S3 backend allowed`);
  }
  const backends = entries(terraform.backend);
  if (expected.stateBucket === "") {
    if (backends.length > 0) refusals.push(`backend "${backends.map(([type]) => type).join(", ")}": this pipeline plans with local state, no backend allowed`);
    return;
  }
  if (backends.length !== 1 || backends[0][0] !== "s3") {
    refusals.push(`backend ${backends.map(([type]) => `"${type}"`).join(", ") || "(none)"}: expected the s3 backend on ${expected.stateBucket}`);
    return;
  }
  const s3 = isObject(backends[0][1]) ? backends[0][1] : {};
  for (const key of Object.keys(s3)) if (!ALLOWED_BACKEND_SETTINGS.includes(key)) refusals.push(`backend "s3" sets "${key}": only ${ALLOWED_BACKEND_SETTINGS.join(", ")} allowed`);
  if (s3.bucket !== expected.stateBucket) refusals.push(`backend "s3" bucket "${String(s3.bucket)}": expected ${expected.stateBucket}`);
  if (s3.key !== expected.stateKey) refusals.push(`backend "s3" key "${String(s3.key)}": expected ${expected.stateKey}`);
}

function checkBlocks(json: JsonObject, refusals: string[], notes: string[]): void {
  for (const key of Object.keys(json)) if (!KNOWN_SECTIONS.includes(key)) refusals.push(`"${key}" block: not used by this project's stacks (module sources and checks run code at init or plan)`);
  for (const [type, named] of entries(json.data)) {
    for (const [name, config] of entries(named)) {
      const allowed = ALLOWED_DATA_SOURCES[type];
      if (allowed === undefined || !allowed(isObject(config) ? config : {})) refusals.push(`data source ${type}.${name}: ${DATA_SOURCE_RULE}`);
    }
  }
  for (const [type, named] of entries(json.resource)) {
    const provider = type.split("_")[0];
    for (const [name, resource] of entries(named)) {
      if (ALLOWED_PROVIDERS[provider] === undefined) refusals.push(`resource ${type}.${name}: provider "${provider}" not allowed`);
      for (const provisioner of blocks(isObject(resource) ? resource.provisioner : null)) {
        for (const kind of Object.keys(provisioner)) notes.push(`resource ${type}.${name} has a ${kind} provisioner: apply-time only, not run by plan`);
      }
    }
  }
  for (const expression of expressions(json)) {
    const called = FILE_FUNCTIONS.filter((f) => new RegExp(`(^|[^\\w.:])${f}\\s*\\(`).test(expression));
    for (const f of called) refusals.push(`function ${f}() in "\${${expression.slice(0, 80)}}": reads the runner's files at plan time`);
    if (/provider::/.test(expression)) refusals.push(`provider-defined function in "\${${expression.slice(0, 80)}}"`);
  }
}

/** What a stack's JSON would run at init or plan beyond this project's own providers and data sources. */
export function checkSynth(json: JsonObject, expected: Expectations): Verdict {
  const refusals: string[] = [];
  const notes: string[] = [];
  checkProviders(json, refusals);
  checkTerraformBlock(json, expected, refusals);
  checkBlocks(json, refusals, notes);
  return { refusals, notes };
}

/** Files in a stack's directory other than cdk.tf.json: terraform would read them too. */
export function strayFiles(stackDir: string): string[] {
  return readdirSync(stackDir).filter((f) => f !== STACK_FILE);
}

function main(args: string[]): number {
  if (args.length < 2 || args[0] === "--help") {
    (args[0] === "--help" ? console.log : console.error)(
      "usage: check-synth.ts STACKS_DIR STACK...\n" +
        "  refuses a stack whose cdk.tf.json uses other providers or versions than the locked aws, tls and null,\n" +
        "  another backend than s3://$KEYCLOAK_STATE_BUCKET, or anything that runs or reads files at plan time",
    );
    return args[0] === "--help" ? 0 : 2;
  }
  const [stacksDir, ...stacks] = args;
  let refused = false;
  for (const stack of stacks) {
    const dir = join(stacksDir, stack);
    const environment = stack.replace(/^keycloak-/, "");
    const verdict = checkSynth(JSON.parse(readFileSync(join(dir, STACK_FILE), "utf8")) as JsonObject, {
      stateBucket: process.env.KEYCLOAK_STATE_BUCKET ?? "",
      stateKey: `keycloak/${environment}.tfstate`,
    });
    const refusals = [...strayFiles(dir).map((f) => `file ${f} beside ${STACK_FILE}: terraform would read it`), ...verdict.refusals];
    for (const note of verdict.notes) console.log(`${stack}: note: ${note}`);
    for (const refusal of refusals) console.error(`${stack}: refused: ${refusal}`);
    if (refusals.length > 0) refused = true;
    else console.log(`${stack}: only the locked aws, tls and null providers and nothing that runs at plan time`);
  }
  return refused ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
