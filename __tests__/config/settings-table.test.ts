import { readFileSync } from "node:fs";
import { configTable } from "../../scripts/config-table";
import { projectPath } from "../../modules/shared/paths";

/**
 * Each setting's text - what it does, what it accepts, its default - is what users read in the
 * README. readme.test checks every generated section; this checks the configuration table alone,
 * fast enough for the mutation benchmark's config areas to run on every settings mutant.
 */
describe("the README's configuration table", () => {
  test("is exactly what the settings say: key, env var, default (and dev's), allowed values, what it does", () => {
    const readme = readFileSync(projectPath("README.md"), "utf8");
    const table = readme.split("<!-- generated:config -->\n")[1].split("\n<!-- /generated:config -->")[0];
    expect(table).toBe(configTable());
  });
});
