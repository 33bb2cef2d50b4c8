import { readFileSync } from "node:fs";
import { README_PATH, renderReadme, sections } from "../tools/readme";
import { SETTINGS, envVarName } from "../modules/config";

describe("README", () => {
  const readme = readFileSync(README_PATH, "utf8");

  test("every generated section matches the code (run `npm run docs` after changing it)", () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  test("the configuration table lists every setting with its env var", () => {
    const table = sections().config;
    for (const s of SETTINGS) expect(table).toContain(`| \`${s.key}\` | \`${envVarName(s.key)}\` |`);
  });

  test("the quick start is exactly two commands, and CI runs the README's test command", () => {
    const quickStart = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0].trim().split("\n");
    expect(quickStart).toHaveLength(2);
    const testCommand = quickStart[1].split("#")[0].trim();
    expect(readFileSync(`${__dirname}/../.ci/run`, "utf8")).toContain(testCommand);
  });
});
