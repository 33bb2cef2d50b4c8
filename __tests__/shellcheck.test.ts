import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/**
 * Every shell script in the repository, found when the tests run (tracked or not), must pass
 * shellcheck, so a new script is covered without touching this file.
 */

const ROOT = resolve(__dirname, "..");
/** Generated or third-party trees. */
const SKIPPED_DIRS = new Set(["node_modules", "cdktf.out", ".cache", ".git"]);

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : shellScripts(path);
    return entry.isFile() && entry.name.endsWith(".sh") ? [relative(ROOT, path)] : [];
  });
}

const scripts = shellScripts(ROOT).sort();

test("the repository has shell scripts to check", () => {
  expect(scripts.length).toBeGreaterThan(0);
});

test.each(scripts.length > 0 ? scripts : ["(none found)"])("%s passes shellcheck", (script) => {
  const result = spawnSync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", script], { cwd: ROOT, encoding: "utf8" });
  expect(result.error).toBeUndefined();
  expect(`${result.stdout}${result.stderr}`).toBe("");
  expect(result.status).toBe(0);
});
