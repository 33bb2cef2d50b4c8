/**
 * What the Terraform state holds and where it lands, against the README's "Secrets and
 * Terraform state": the state has private keys in clear text, so the README must name every
 * resource that puts one there, and the local state file must never be committed.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { LocalBackend, TerraformStack, Testing } from "cdktf";
import { projectPath } from "../modules/shared/paths";
import { synthStack } from "../modules/synth";

const readme = readFileSync(projectPath("README.md"), "utf8");
const stateSection = readme.split("### Secrets and Terraform state")[1]?.split("\n### ")[0] ?? "";
const stacks = Object.keys(JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context.environments).map((e) => `keycloak-${e}`);

/** The path cdktf's default local backend gives a stack's state, relative to the project. */
function localStatePath(stackName: string): string {
  const stack = new TerraformStack(Testing.app(), stackName);
  const local = new LocalBackend(stack, {}).toTerraform() as { terraform: { backend: { local: { path: string } } } };
  return relative(process.cwd(), local.terraform.backend.local.path);
}

test.each(stacks)("the local state of %s and Terraform's backup of it are git-ignored (they hold private keys)", (stack) => {
  const state = localStatePath(stack);
  expect(state).toBe(`terraform.${stack}.tfstate`);
  for (const file of [state, `${state}.backup`]) {
    const r = spawnSync("git", ["check-ignore", "--no-index", "-q", file], { cwd: projectPath() });
    expect([file, r.status]).toEqual([file, 0]);
  }
});

test("the README's state table names every resource that puts a private key into the state, and the key output", () => {
  const json = synthStack();
  // A provisioner's connection block (the database setup's SSH key) is not kept in state.
  const stored = (resource: Record<string, unknown>) => JSON.stringify({ ...resource, connection: undefined });
  const holdsKey = Object.entries(json.resource ?? {})
    .filter(([type, byName]) => type === "tls_private_key" || Object.values(byName).some((r) => stored(r).includes(".private_key_pem}")))
    .map(([type]) => type);
  expect(holdsKey.sort()).toEqual(["aws_acm_certificate", "tls_private_key", "tls_self_signed_cert"]);
  for (const type of holdsKey) expect([type, stateSection.includes(`\`${type}\``)]).toEqual([type, true]);
  const keyOutputs = Object.entries(json.output ?? {}).filter(([, o]) => JSON.stringify(o.value).includes("private_key_pem")).map(([name]) => name);
  expect(keyOutputs).toEqual(["bastion_private_key"]);
  expect(stateSection).toContain("`bastion_private_key`");
});
