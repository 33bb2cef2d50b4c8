import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The checkout the synth app's bundle was built from (scripts/app.js defines it); undefined elsewhere. */
declare const __APP_PROJECT_ROOT__: string | undefined;

/**
 * The project root: the checkout that built the synth app's bundle (in .cache/app, which may be
 * shared), else the nearest folder above this file with cdktf.json.
 */
export const PROJECT_ROOT = (() => {
  if (typeof __APP_PROJECT_ROOT__ === "string") return __APP_PROJECT_ROOT__;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no cdktf.json above ${__dirname}`);
  }
})();

/** A path inside the project. */
export function projectPath(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}
