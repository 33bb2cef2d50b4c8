import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEYCLOAK_VERSION } from "../../modules/constants";
import { check, runCompatibility } from "../../tools/upgrade";
import { keycloakDist } from "../support/keycloak-dist";
import { MARIADB_STAND_IN_OVERRIDES } from "../support/task-definition";
import { FIXTURE_ENVIRONMENT, fixtureFile, recordMetadata } from "../support/upgrade-fixtures";

/**
 * Keycloak's own `kc.sh update-compatibility check` of this project's release, run for real
 * against the metadata earlier releases wrote (recorded from their distributions: see
 * support/upgrade-fixtures.ts), decides the upgrade path. The distribution is the one the
 * cluster e2e builds, so this costs CI a few JVM starts.
 */

jest.setTimeout(10 * 60_000);

const dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES, KEYCLOAK_VERSION);
const work = mkdtempSync(join(tmpdir(), "kc-upgrade-check-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test(`a patch release (26.7.0 -> ${KEYCLOAK_VERSION}) may roll: the check answers exit 0 "Rolling Update is available"`, () => {
  expect(check(fixtureFile("26.7.0"), FIXTURE_ENVIRONMENT, { home: dist.home })).toEqual({ strategy: "rolling", reason: "[OK] Rolling Update is available." });
});

test(`a minor release (26.5.0 -> ${KEYCLOAK_VERSION}) must be recreated: the check answers exit 3 and names the version`, () => {
  expect(check(fixtureFile("26.5.0"), FIXTURE_ENVIRONMENT, { home: dist.home })).toEqual({
    strategy: "recreate",
    reason: `[keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> ${KEYCLOAK_VERSION}.`,
  });
});

test("the same release with the JGroups mTLS switched off must be recreated: configuration counts, not only the version", () => {
  const file = join(work, "same.json");
  recordMetadata(KEYCLOAK_VERSION, file);
  expect(check(file, FIXTURE_ENVIRONMENT, { home: dist.home }).strategy).toBe("rolling");
  expect(check(file, { KC_CACHE_EMBEDDED_MTLS_ENABLED: "false" }, { home: dist.home })).toEqual({
    strategy: "recreate",
    reason: "[jgroupsMtls] Rolling Update is not available. 'jgroupsMtls.enabled' is incompatible: true -> false.",
  });
});

test("metadata the check cannot read (exit 1) is refused with the check's output, not guessed at", () => {
  expect(runCompatibility("check", join(work, "missing.json"), FIXTURE_ENVIRONMENT, { home: dist.home }).exitCode).toBe(1);
  const corrupt = join(work, "corrupt.json");
  writeFileSync(corrupt, "{ not json");
  expect(() => check(corrupt, FIXTURE_ENVIRONMENT, { home: dist.home })).toThrow("the compatibility check exited 1");
});
