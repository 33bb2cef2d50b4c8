import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { HELP_PATH, README_PATH, renderReadme, sections } from "../../scripts/readme";
import { helpScript, helpText, namedNpmScripts } from "../../scripts/commands";
import { PROJECT_ROOT, projectPath } from "../../modules/shared/paths";
import { SETTINGS, envVarName } from "../../modules/config";

describe("README", () => {
  const readme = readFileSync(README_PATH, "utf8");

  const generated = sections();

  test("every generated section matches the code (run `npm run docs` after changing it)", () => {
    expect(renderReadme(readme, generated)).toBe(readme);
  });

  test("the committed README's configuration table lists every setting with its env var", () => {
    const table = readme.split("<!-- generated:config -->")[1].split("<!-- /generated:config -->")[0];
    expect(table).toContain("| `bastionAllowedCidrs` | `KEYCLOAK_BASTION_ALLOWED_CIDRS` |");
    for (const s of SETTINGS) expect(table).toContain(`| \`${s.key}\` | \`${envVarName(s.key)}\` |`);
  });

  test.each([
    ["a setting row removed", (text: string) => text.replace(/^\| `azCount` .*\n/m, "")],
    ["a policy rule's text edited", (text: string) => text.replace("| `RDS_ENCRYPTED` |", "| `RDS_ENCRYPTED_MAYBE` |")],
    ["the Keycloak version changed", (text: string) => text.replace(/Keycloak \*\*[0-9.]+\*\*/, "Keycloak **1.0.0**")],
  ])("a README with %s fails the generated-section check", (_what, tamper) => {
    const tampered = tamper(readme);
    expect(tampered).not.toBe(readme);
    expect(renderReadme(tampered, generated)).not.toBe(tampered);
    expect(renderReadme(tampered, generated)).toBe(readme);
  });

  test("the quick start is exactly two commands, and CI runs the README's test command", () => {
    const quickStart = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0].trim().split("\n");
    expect(quickStart).toHaveLength(2);
    const testCommand = quickStart[1].split("#")[0].trim();
    expect(readFileSync(`${__dirname}/../../.ci/run`, "utf8")).toContain(testCommand);
  });
});

describe("./help and the command list", () => {
  test("./help is executable, in the work tree and in git, and prints the command list", () => {
    expect(statSync(HELP_PATH).mode & 0o111).toBe(0o111);
    // `:/help` names the file from the repository's top: also right when the tests run in a copy
    // of the project inside the repository (the mutation benchmark's sandbox, which git ignores).
    const mode = execFileSync("git", ["ls-files", "--stage", "--", ":/help"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(mode.startsWith("100755 ")).toBe(true);
    expect(readFileSync(HELP_PATH, "utf8")).toBe(helpScript());
    expect(execFileSync(HELP_PATH, { encoding: "utf8" })).toBe(helpText());
  });

  test("the command list names every npm script and only scripts package.json has", () => {
    const scripts = Object.keys(JSON.parse(readFileSync(projectPath("package.json"), "utf8")).scripts as object).sort();
    expect([...new Set(namedNpmScripts())].sort()).toEqual(scripts);
  });
});
