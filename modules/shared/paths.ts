import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The project root: the nearest folder above this file with cdktf.json. Found rather than
 * assumed because the synth app runs these modules from a bundle in .cache/app.
 */
export const PROJECT_ROOT = (() => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no cdktf.json above ${__dirname}`);
  }
})();

/** A path inside the project. */
export function projectPath(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}
