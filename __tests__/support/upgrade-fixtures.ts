import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEYCLOAK_VERSION } from "../../modules/shared/constants";
import type { UpgradeDecision } from "../../modules/service/upgrade";
import { check, runCompatibility } from "../../tools/upgrade";
import type { ClusterStand } from "./cluster-stand";
import { keycloakDist, type KeycloakDist } from "../../tools/keycloak-dist";
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

/** The releases the upgrade e2e start from: a patch release (Keycloak rolls it) and a minor one (recreate). */
export const PATCH_FROM = process.env.UPGRADE_PATCH_FROM ?? "26.7.0";
export const MINOR_FROM = process.env.UPGRADE_MINOR_FROM ?? "26.5.0";

/**
 * tools/upgrade.ts's decision for a stand's running release, as after its deploy: that release
 * writes its metadata with the task definition's environment, KEYCLOAK_VERSION's distribution
 * (returned as `target`) checks it.
 */
export function decideStandUpgrade(stand: ClusterStand): { decision: UpgradeDecision; target: KeycloakDist } {
  const metadata = join(mkdtempSync(join(tmpdir(), "kc-upgrade-e2e-")), "metadata.json");
  const written = runCompatibility("metadata", metadata, stand.container.environment, { home: stand.dist!.home });
  expect({ exit: written.exitCode, output: written.exitCode === 0 ? "" : written.output }).toEqual({ exit: 0, output: "" });
  const target = keycloakDist(MARIADB_STAND_IN_OVERRIDES, KEYCLOAK_VERSION);
  const decision = check(metadata, stand.container.environment, { home: target.home });
  process.stdout.write(`${stand.dist!.version} -> ${KEYCLOAK_VERSION}: ${decision.strategy} (${decision.reason})\n`);
  return { decision, target };
}
