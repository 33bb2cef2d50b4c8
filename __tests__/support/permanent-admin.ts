import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REMOTE_SCRIPT_PATH, SETUP_SCRIPT_PATH } from "../../modules/database/setup/commands";
import { fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import { STACK, type Host } from "./cluster";
import { resolveCommand } from "./command-stubs";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { runProcess, type RunResult } from "./run-process";
import type { SecretsManagerStub } from "./secrets-manager-stub";

/**
 * Support for the permanent-admin e2e: the operator's script, the database setup exactly as the
 * synthesized null_resource runs it, Keycloak's token endpoint, and what a node's processes hold
 * in their environment.
 */

export const PERMANENT_ADMIN_SCRIPT = join(REPO_ROOT, "tools", "permanent-admin.sh");

/** A `${...}` Terraform reference in synthesized JSON. */
const REFERENCE = /\$\{[^}]+\}/g;

/** The synthesized stack of a synthesizeTaskContainer run into `outDir`. */
export function synthesizedStack(outDir: string): { output: Record<string, { value: string }>; resource: Record<string, Record<string, Record<string, unknown>>> } {
  return JSON.parse(readFileSync(join(outDir, "stacks", STACK, "cdk.tf.json"), "utf8"));
}

/** The remote-exec commands of the stack's database setup, with the script at its place in this repository. */
export function setupCommandsOf(outDir: string): string[] {
  const setups = Object.entries(synthesizedStack(outDir).resource.null_resource ?? {}).filter(([name]) => name.startsWith("database-setup_"));
  if (setups.length !== 1) throw new Error(`${STACK}: expected one database-setup null_resource, found ${setups.length}`);
  const provisioners = setups[0][1].provisioner as { "remote-exec"?: { inline: string[] } }[];
  return provisioners.flatMap((p) => p["remote-exec"]?.inline ?? []).map((command) => command.split(REMOTE_SCRIPT_PATH).join(SETUP_SCRIPT_PATH));
}

/**
 * Runs the setup commands in the bastion's namespace with the stand-in `aws`, each Terraform
 * reference replaced by what `resolve` says it is at apply time (a secret's ARN).
 */
export async function runSynthesizedSetup(commands: string[], bastion: Host, secrets: SecretsManagerStub, resolve: (reference: string) => string): Promise<string> {
  const script = ["set -e", ...commands.map((command) => command.replace(REFERENCE, resolve))].join("\n");
  const argv = bastion.namespace.command([resolveCommand("bash"), "-c", script]);
  const result = await runProcess(argv[0], argv.slice(1), {
    env: { PATH: `${secrets.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root", LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
  if (result.code !== 0 || !/^database keycloak ready$/m.test(result.stdout)) {
    throw new Error(`database setup failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** tools/permanent-admin.sh in the operator's namespace, with the stand-in `aws` first on PATH. */
export function runPermanentAdminScript(operator: Host, secrets: SecretsManagerStub, args: string[], tmpDir: string): Promise<RunResult> {
  const argv = operator.namespace.command([resolveCommand("bash"), PERMANENT_ADMIN_SCRIPT, ...args]);
  return runProcess(argv[0], argv.slice(1), {
    env: { PATH: `${secrets.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root", TMPDIR: tmpDir, LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
}

/** Status of a password grant of admin-cli in the master realm, and the access token on success. */
export async function passwordGrant(baseUrl: string, endpoint: Endpoint, username: string, password: string): Promise<{ status: number; token?: string; error?: string }> {
  const response = await fetchOnce(`${baseUrl}/realms/master/protocol/openid-connect/token`, endpoint, {
    form: { grant_type: "password", client_id: "admin-cli", username, password },
  });
  let body: { access_token?: string; error?: string } = {};
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    // Not Keycloak answering (the proxy's error page): the status says enough.
  }
  return { status: response.status, token: body.access_token, error: body.error };
}

/** The environment of every process in a network namespace (a node's entrypoint, kc.sh and JVM). */
export function namespaceEnvironments(namespace: string): { pid: number; command: string; environment: Record<string, string> }[] {
  const pids = execFileSync(resolveCommand("ip"), ["netns", "pids", namespace], { encoding: "utf8" })
    .split("\n")
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
  return pids.flatMap((pid) => {
    try {
      const environment = Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, "utf8")
          .split("\0")
          .filter((entry) => entry.includes("="))
          .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
      );
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      return [{ pid, command, environment }];
    } catch {
      // The process ended between listing and reading.
      return [];
    }
  });
}
