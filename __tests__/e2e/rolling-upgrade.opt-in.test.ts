import { join } from "node:path";
import { DB_NAME, KEYCLOAK_VERSION } from "../../modules/shared/constants";
import { mixesVersions, upgradePlan } from "../../modules/service/upgrade";
import { REPO_ROOT } from "../../tools/keycloak-dist";
import { LifecycleRun } from "../support/lifecycle-run";
import { expectLosslessDeploy } from "../support/lossless";
import { decideStandUpgrade, PATCH_FROM } from "../support/upgrade-fixtures";

/**
 * The upgrade Keycloak's check allows, under load, on the ECS stand-in: a service of two tasks on
 * UPGRADE_PATCH_FROM (default 26.7.0) serving logged-in users who refresh their tokens and
 * visitors who log in; the running release's update-compatibility metadata and the new release's
 * check decide a rolling update (tools/upgrade.ts); the deploy then replaces one task at a time
 * with one of the new release, as the synthesized percentages allow. Each step, and the whole
 * upgrade, must have 0 failed requests and 0 re-logins; afterwards every task runs the new release
 * and the database is migrated. Opt-in (`npm run test:e2e:opt-in -- rolling-upgrade`): a second
 * distribution and four starts are more than CI's budget. The recreate path (a minor upgrade the
 * check refuses) is upgrade.opt-in.test.ts.
 */

const LOAD = { sessionUsers: 4, loginUsers: 1, thinkMs: 300 };
const run = new LifecycleRun(join(REPO_ROOT, ".cache", `e2e-rolling-upgrade-${PATCH_FROM}.md`), { version: PATCH_FROM, runtime: "dist" });

beforeAll(() => run.setUp(LOAD), 20 * 60_000);

afterAll(() => run.finish(), 3 * 60_000);

test(`${PATCH_FROM} -> ${KEYCLOAK_VERSION} under load: Keycloak's check allows a rolling update, and each step of it (a new-release task started next to the old ones, an old one stopped gracefully) has 0 failed requests and 0 re-logins`, async () => {
  const { stand } = run;
  const { decision, target } = decideStandUpgrade(stand);
  expect(decision.strategy).toBe("rolling");
  expect(mixesVersions(upgradePlan(decision.strategy, run.ecs.timings.desiredCount))).toBe(true);

  const from = Date.now();
  const whole = await run.rollingUpgrade(target);
  stand.summary.notes.push(`Upgrade ${PATCH_FROM} -> ${KEYCLOAK_VERSION}: Keycloak's check said ${decision.strategy} (${decision.reason}).`);
  expectLosslessDeploy(run, whole, from);

  // Every task now runs the new release, and the database was migrated to it.
  for (const task of run.ecs.tasks) expect({ task: task.name, started: task.currentLog().includes(`Keycloak ${KEYCLOAK_VERSION} on JVM`) }).toEqual({ task: task.name, started: true });
  expect(stand.db.query(`SELECT VERSION FROM \`${DB_NAME}\`.MIGRATION_MODEL ORDER BY UPDATE_TIME DESC, VERSION DESC LIMIT 1;`).trim()).toBe(KEYCLOAK_VERSION);
}, 30 * 60_000);
