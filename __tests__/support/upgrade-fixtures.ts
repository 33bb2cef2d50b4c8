import { runCompatibility } from "../../tools/upgrade";
import { keycloakDist } from "./keycloak-dist";
import { MARIADB_STAND_IN_OVERRIDES } from "./task-definition";

/** Update-compatibility metadata written by a real Keycloak distribution, for the check's tests. */

/** Only the build options: the checks that read this metadata run with the same (empty) environment. */
export const FIXTURE_ENVIRONMENT: Record<string, string> = {};

/** Writes `version`'s metadata (its distribution built as the e2e builds it) to `file`. */
export function recordMetadata(version: string, file: string): void {
  const dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES, version);
  const run = runCompatibility("metadata", file, FIXTURE_ENVIRONMENT, { home: dist.home });
  if (run.exitCode !== 0) throw new Error(`kc.sh ${version} update-compatibility metadata exited ${run.exitCode}:\n${run.output}`);
}
