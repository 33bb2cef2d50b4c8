import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformJson } from "../../modules/synth";

/** Where this machine keeps providers for offline use. */
export const PLUGIN_MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

const mirrored = (name: string) => existsSync(join(PLUGIN_MIRROR, "registry.terraform.io", "hashicorp", name));

/** Without a local mirror (e.g. a GitHub runner) providers come from the public registry. */
export const USE_MIRROR = existsSync(PLUGIN_MIRROR);

export type ValidationMode = "full" | "aws-only";
const MODES: readonly ValidationMode[] = ["full", "aws-only"];

/** `full` when tls and null can be installed too, else `aws-only`. */
export function validationMode(): ValidationMode {
  return !USE_MIRROR || (mirrored("tls") && mirrored("null")) ? "full" : "aws-only";
}

/** Where a machine states which validation it expects (`.ci/run` does). */
export const VALIDATION_MODE_ENV = "TERRAFORM_VALIDATION_MODE";

/**
 * The validation mode this machine is expected to run: the declared one, else `full`. The
 * weaker `aws-only` is never chosen silently: a machine whose mirror lacks tls/null must
 * declare it, and a machine that declared it fails once it could do more.
 */
export function expectedValidationMode(env: NodeJS.ProcessEnv = process.env): ValidationMode {
  const declared = env[VALIDATION_MODE_ENV];
  if (declared === undefined || declared === "") return "full";
  if (!(MODES as readonly string[]).includes(declared)) {
    throw new Error(`${VALIDATION_MODE_ENV}=${declared} is not a validation mode; allowed: ${MODES.join(", ")}`);
  }
  return declared as ValidationMode;
}

/** Type-correct stand-ins for attributes of the providers that are not installable here. */
const PLACEHOLDERS: Record<string, string> = {
  private_key_pem: "-----BEGIN RSA PRIVATE KEY-----\nPLACEHOLDER\n-----END RSA PRIVATE KEY-----\n",
  public_key_openssh: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDplaceholder placeholder\n",
  cert_pem: "-----BEGIN CERTIFICATE-----\nPLACEHOLDER\n-----END CERTIFICATE-----\n",
  validity_end_time: "2027-11-29T00:00:00Z",
  id: "placeholder-id",
};

const DROPPED = /^(tls_|null_)/;

/**
 * Removes tls_* and null_* resources and their providers, and replaces references to them
 * by placeholders of the same type, so the rest validates with the aws provider alone.
 */
export function withoutUnavailableProviders(json: TerraformJson): TerraformJson {
  const copy = JSON.parse(JSON.stringify(json)) as TerraformJson;
  for (const type of Object.keys(copy.resource ?? {})) if (DROPPED.test(type)) delete copy.resource![type];
  for (const name of ["tls", "null"]) {
    delete copy.provider?.[name];
    delete (copy.terraform?.required_providers as Record<string, unknown> | undefined)?.[name];
  }
  const reference = /\$\{(tls_[a-z_]+|null_resource)\.[A-Za-z0-9_-]+\.([a-z_]+)\}/g;
  const rewrite = (value: unknown): unknown => {
    if (typeof value === "string") {
      return value.replace(reference, (_, type: string, attr: string) => {
        const placeholder = PLACEHOLDERS[attr];
        if (placeholder === undefined) throw new Error(`no placeholder for ${type}.${attr}`);
        return placeholder;
      });
    }
    if (Array.isArray(value)) {
      return value
        .filter((v) => !(typeof v === "string" && /^(tls_[a-z_]+|null_resource)\.[A-Za-z0-9_-]+$/.test(v)))
        .map(rewrite);
    }
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    }
    return value;
  };
  const result = rewrite(copy) as TerraformJson;
  const leftover = JSON.stringify(result).match(/\b(tls_[a-z_]+|null_resource)\.[A-Za-z0-9_-]+/);
  if (leftover) throw new Error(`reference left after removing unavailable providers: ${leftover[0]}`);
  return result;
}

/**
 * Provider settings that keep the aws provider away from any AWS endpoint during plan. The
 * fake credentials come from the environment (`offlineTerraformEnv`), not the configuration,
 * so a plan JSON holds no access key a secret scan would rightly report.
 */
export function offlineAwsProvider(json: TerraformJson): TerraformJson {
  const copy = JSON.parse(JSON.stringify(json)) as TerraformJson;
  const aws = (copy.provider?.aws ?? [{}]) as Record<string, unknown>[];
  copy.provider = {
    ...copy.provider,
    aws: aws.map((p) => ({
      ...p,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    })),
  };
  delete copy.terraform?.backend;
  return copy;
}

export interface TerraformRun {
  readonly dir: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Environment for terraform runs that stay on this machine: a CLI config (written into
 * `dir`) that installs providers only from the mirror, fake credentials, and with a mirror
 * an HTTP(S) proxy on a closed loopback port, so a call that would leave the machine fails
 * here instead.
 */
export function offlineTerraformEnv(dir: string): NodeJS.ProcessEnv {
  const cliConfig = join(dir, "terraform.rc");
  writeFileSync(
    cliConfig,
    USE_MIRROR ? `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGIN_MIRROR}"\n  }\n}\n` : "",
  );
  const noNetwork = USE_MIRROR ? { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" } : {};
  return {
    ...process.env,
    ...noNetwork,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ACCESS_KEY_ID: "offline-planning-only",
    AWS_SECRET_ACCESS_KEY: "offline-planning-only",
  };
}

/** A working directory with the JSON and a CLI config that installs only from the mirror. */
export class TerraformWorkdir {
  readonly dir = mkdtempSync(join(tmpdir(), "kc-tf-"));
  private readonly env: NodeJS.ProcessEnv;

  constructor(json: TerraformJson) {
    writeFileSync(join(this.dir, "main.tf.json"), JSON.stringify(json, null, 2));
    this.env = offlineTerraformEnv(this.dir);
  }

  run(...args: string[]): TerraformRun {
    const r = spawnSync("terraform", args, { cwd: this.dir, env: this.env, encoding: "utf8", timeout: 300_000 });
    return { dir: this.dir, status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Planned resource changes from a saved plan. */
  plannedChanges(planFile: string): { address: string; actions: string[] }[] {
    const show = execFileSync("terraform", ["show", "-json", planFile], { cwd: this.dir, env: this.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const plan = JSON.parse(show) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
    return (plan.resource_changes ?? []).map((c) => ({ address: c.address, actions: c.change.actions }));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Managed resources in the JSON (none of ours uses count or for_each). */
export function managedResourceCount(json: TerraformJson): number {
  return Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
}
