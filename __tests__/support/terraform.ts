import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformJson } from "./synth";

/** Where this machine keeps providers for offline use. */
export const PLUGIN_MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

const mirrored = (name: string) => existsSync(join(PLUGIN_MIRROR, "registry.terraform.io", "hashicorp", name));

/** Without a local mirror (e.g. a GitHub runner) providers come from the public registry. */
export const USE_MIRROR = existsSync(PLUGIN_MIRROR);

/** `full` when tls and null can be installed too, else `aws-only`. */
export function validationMode(): "full" | "aws-only" {
  return !USE_MIRROR || (mirrored("tls") && mirrored("null")) ? "full" : "aws-only";
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

/** Provider settings that keep the aws provider away from any AWS endpoint during plan. */
export function offlineAwsProvider(json: TerraformJson): TerraformJson {
  const copy = JSON.parse(JSON.stringify(json)) as TerraformJson;
  const aws = (copy.provider?.aws ?? [{}]) as Record<string, unknown>[];
  copy.provider = {
    ...copy.provider,
    aws: aws.map((p) => ({
      ...p,
      access_key: "AKIAOFFLINEPLANNING0",
      secret_key: "offline-planning-only",
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

/** A working directory with the JSON and a CLI config that installs only from the mirror. */
export class TerraformWorkdir {
  readonly dir = mkdtempSync(join(tmpdir(), "kc-tf-"));
  private readonly env: NodeJS.ProcessEnv;

  constructor(json: TerraformJson) {
    writeFileSync(join(this.dir, "main.tf.json"), JSON.stringify(json, null, 2));
    const cliConfig = join(this.dir, "terraform.rc");
    writeFileSync(
      cliConfig,
      USE_MIRROR ? `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGIN_MIRROR}"\n  }\n}\n` : "",
    );
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ACCESS_KEY_ID: "AKIAOFFLINEPLANNING0",
      AWS_SECRET_ACCESS_KEY: "offline-planning-only",
    };
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
