import { readFileSync } from "node:fs";
import { BUILD_OPTIONS_FILE } from "../shared/constants";
import { projectPath } from "../shared/paths";

/**
 * Keycloak's build-time options from docker/keycloak-build.env, the file the Dockerfile
 * sources before `kc.sh build`. The task definition repeats them at run time so an
 * optimized start never sees a mismatch.
 */
export function readBuildOptions(file = projectPath(BUILD_OPTIONS_FILE)): Record<string, string> {
  const options: Record<string, string> = {};
  readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .forEach((line) => {
      const m = /^(KC_[A-Z0-9_]+)=([^\s"'$`]*)$/.exec(line);
      if (!m) throw new Error(`${file}: expected KC_NAME=value, got "${line}"`);
      options[m[1]] = m[2];
    });
  return options;
}
