import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runCompatibility } from "../../tools/upgrade";
import { keycloakDist, REPO_ROOT } from "./keycloak-dist";
import { MARIADB_STAND_IN_OVERRIDES } from "./task-definition";

/**
 * The update-compatibility metadata that earlier Keycloak releases write, recorded once from their
 * real distributions (built as the e2e builds them) so CI can run today's check against them
 * without fetching and building those releases. Regenerate (under the heavy lock) with
 * `node --import tsx __tests__/support/upgrade-fixtures.ts 26.7.0 26.5.0`.
 */

export const FIXTURE_DIR = join(REPO_ROOT, "__tests__", "fixtures", "update-compatibility");

/** Only the build options: the checks that read these fixtures run with the same (empty) environment. */
export const FIXTURE_ENVIRONMENT: Record<string, string> = {};

export function fixtureFile(version: string): string {
  return join(FIXTURE_DIR, `${version}.json`);
}

export function recordMetadata(version: string, file = fixtureFile(version)): void {
  const dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES, version);
  const run = runCompatibility("metadata", file, FIXTURE_ENVIRONMENT, { home: dist.home });
  if (run.exitCode !== 0) throw new Error(`kc.sh ${version} update-compatibility metadata exited ${run.exitCode}:\n${run.output}`);
}

if (require.main === module) {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const version of process.argv.slice(2)) {
    recordMetadata(version);
    process.stdout.write(`${fixtureFile(version)}\n`);
  }
}
