import { readFileSync } from "node:fs";
import { README_PATH, renderReadme, sections } from "../tools/readme";
import { SETTINGS, envVarName } from "../modules/config";

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
    expect(readFileSync(`${__dirname}/../.ci/run`, "utf8")).toContain(testCommand);
  });
});
