import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEYCLOAK_VERSION } from "../../modules/shared/constants";
import { decideUpgrade, UnknownCheckResult } from "../../modules/service/upgrade";
import { check, gate, runCompatibility } from "../../tools/upgrade";
import { keycloakDist } from "../../tools/keycloak-dist";
import { MARIADB_STAND_IN_OVERRIDES } from "../support/task-definition";
import { FIXTURE_ENVIRONMENT, MINOR_FROM, PATCH_FROM, recordMetadata } from "../support/upgrade-fixtures";

/**
 * Keycloak's own `kc.sh update-compatibility check` of this project's release, run for real on
 * metadata its `update-compatibility metadata` wrote, decides the upgrade path and is refused
 * when it cannot answer. The distribution is the one the cluster e2e builds, so this costs CI a
 * few JVM starts. The deploy pipeline's gate is driven with the metadata of the releases the
 * upgrade e2e start from (26.5.0: recreate, 26.7.0: rolling), fetched and built once like
 * KEYCLOAK_VERSION's; __tests__/e2e/upgrade.opt-in.test.ts carries those upgrades out.
 */

jest.setTimeout(10 * 60_000);

const dist = keycloakDist(MARIADB_STAND_IN_OVERRIDES, KEYCLOAK_VERSION);
const work = mkdtempSync(join(tmpdir(), "kc-upgrade-check-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("the same release with the JGroups mTLS switched off must be recreated: configuration counts, not only the version", () => {
  const file = join(work, "same.json");
  recordMetadata(KEYCLOAK_VERSION, file);
  expect(check(file, FIXTURE_ENVIRONMENT, { home: dist.home }).strategy).toBe("rolling");
  expect(check(file, { KC_CACHE_EMBEDDED_MTLS_ENABLED: "false" }, { home: dist.home })).toEqual({
    strategy: "recreate",
    reason: "[jgroupsMtls] Rolling Update is not available. 'jgroupsMtls.enabled' is incompatible: true -> false.",
  });
});

test("metadata the check cannot use is refused with the check's exit code and output, not guessed at", () => {
  // A missing file is an invalid option to the check (exit 2), corrupt JSON an error (exit 1): neither picks a strategy.
  const missing = runCompatibility("check", join(work, "missing.json"), FIXTURE_ENVIRONMENT, { home: dist.home });
  expect(missing.exitCode).toBe(2);
  expect(() => decideUpgrade(missing)).toThrow(UnknownCheckResult);
  const corrupt = join(work, "corrupt.json");
  writeFileSync(corrupt, "{ not json");
  expect(() => check(corrupt, FIXTURE_ENVIRONMENT, { home: dist.home })).toThrow(/the compatibility check exited [12] /);
});

describe("the deploy pipeline's upgrade gate on the last deploy's metadata (deploy.yml, npm run upgrade -- gate)", () => {
  const metadataOf = (version: string) => {
    const file = join(work, `${version}.json`);
    recordMetadata(version, file);
    return file;
  };

  test(`a minor bump (${MINOR_FROM} -> ${KEYCLOAK_VERSION}) is never rolled: stop with the check's reason, or the recreate path`, () => {
    const metadata = metadataOf(MINOR_FROM);
    const stop = gate(metadata, FIXTURE_ENVIRONMENT, { home: dist.home }, "stop");
    expect(stop.action).toBe("stop");
    // What 26.7.3's check answers on 26.5.0's metadata: the embedded cache's JGroups moved on.
    expect(stop.message).toContain("Rolling Update is not available. 'cacheEmbedded.jgroupsVersion' is incompatible: 5.3.16 -> 5.5");
    expect(gate(metadata, FIXTURE_ENVIRONMENT, { home: dist.home }, "recreate").action).toBe("recreate");
  });

  test(`a patch bump (${PATCH_FROM} -> ${KEYCLOAK_VERSION}) rolls, whatever the on-recreate setting`, () => {
    const metadata = metadataOf(PATCH_FROM);
    expect(gate(metadata, FIXTURE_ENVIRONMENT, { home: dist.home }, "stop")).toEqual({ action: "rolling", message: "[OK] Rolling Update is available." });
  });
});
