/**
 * What every operator command (`npm run <command> -- <stack> ...`) knows about a stack: its
 * configuration, read from cdktf.json and KEYCLOAK_* exactly as synth reads it, and the outputs of
 * its deployed state, read one by one with `terraform output -raw NAME` in the synthesized stack's
 * folder. Never the whole `terraform output -json`: that prints every sensitive output (the
 * bastion's private key) in clear into the process, whatever the command needs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type KeycloakConfig, type RawSettings } from "../modules/config";
import { projectPath } from "../modules/shared/paths";

/** The stack's configuration (profile, region, ...), from cdktf.json and KEYCLOAK_* exactly as synth reads them. */
export function stackConfig(stack: string, env: NodeJS.ProcessEnv = process.env): KeycloakConfig {
  const context = JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context as { keycloak?: RawSettings; environments?: Record<string, RawSettings> };
  const environment = stack.replace(/^keycloak-/, "");
  const perEnvironment = context.environments?.[environment];
  if (!stack.startsWith("keycloak-") || perEnvironment === undefined) {
    throw new Error(`unknown stack ${stack}: cdktf.json defines ${Object.keys(context.environments ?? {}).map((e) => `keycloak-${e}`).join(", ")}`);
  }
  return loadConfig({ environment, shared: context.keycloak, perEnvironment, env, warn: () => {} });
}

/** cdktf's output folder: CDKTF_OUTDIR, as cdktf itself reads it, or cdktf.out. */
export function cdktfOut(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDKTF_OUTDIR || projectPath("cdktf.out");
}

/** The synthesized stack's folder, where `terraform output` finds its state. */
export function stackDir(stack: string, outDir = cdktfOut()): string {
  return join(outDir, "stacks", stack);
}

/** The output names the synthesized stack declares; fails when it is not synthesized. */
export function declaredOutputs(stack: string, outDir?: string): string[] {
  const synthesized = join(stackDir(stack, outDir), "cdk.tf.json");
  if (!existsSync(synthesized)) throw new Error(`${synthesized} is missing: run 'npm run synth' first`);
  return Object.keys((JSON.parse(readFileSync(synthesized, "utf8")) as { output?: Record<string, unknown> }).output ?? {});
}

function requireDeclared(stack: string, names: readonly string[], outDir?: string): void {
  const declared = declaredOutputs(stack, outDir);
  const missing = names.filter((name) => !declared.includes(name));
  if (missing.length > 0) throw new Error(`the synthesized ${stack} has no output ${missing.join(", ")}`);
}

function terraformOutput(stack: string, name: string, stdout: "pipe" | number, outDir?: string): string {
  try {
    return execFileSync("terraform", ["output", "-raw", name], { cwd: stackDir(stack, outDir), encoding: "utf8", stdio: ["ignore", stdout, "pipe"] }) ?? "";
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`terraform output ${name} of ${stack} failed: is the stack deployed? ${stderr}`.trim());
  }
}

/** The named string outputs of the deployed stack, each asked for on its own. */
export function stackOutputs<Name extends string>(stack: string, names: readonly Name[], outDir?: string): Record<Name, string> {
  requireDeclared(stack, names, outDir);
  return Object.fromEntries(
    names.map((name) => {
      const value = terraformOutput(stack, name, "pipe", outDir);
      if (value === "") throw new Error(`terraform output ${name} of ${stack} is empty: is the stack deployed?`);
      return [name, value];
    }),
  ) as Record<Name, string>;
}

/**
 * Writes a (sensitive) output straight from terraform into a new 0600 file in a private
 * temporary folder, without passing through this process. `remove` deletes the folder.
 */
export function outputToFile(stack: string, name: string, outDir?: string): { file: string; remove: () => void } {
  requireDeclared(stack, [name], outDir);
  const dir = mkdtempSync(join(tmpdir(), "keycloak-output-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const file = join(dir, name);
  const fd = openSync(file, "wx", 0o600);
  try {
    terraformOutput(stack, name, fd, outDir);
    if (fstatSync(fd).size === 0) throw new Error(`terraform output ${name} of ${stack} is empty: is the stack deployed?`);
  } catch (error) {
    remove();
    throw error;
  } finally {
    closeSync(fd);
  }
  return { file, remove };
}

/** Runs one of the operator scripts next to this file with bash, the terminal passed through; returns its exit code. */
export function runScript(script: string, args: readonly string[]): number {
  const run = spawnSync("bash", [join(__dirname, script), ...args], { stdio: "inherit" });
  if (run.error) throw run.error;
  return run.status ?? 1;
}

/** `npm run <command> -- <stack> ...`'s entry point: exit code, or the error's message and 1. */
export function runCommand(name: string, main: (argv: string[]) => number): void {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
