import { CHECK_EXIT_CODES, decideUpgrade, gateUpgrade, mixesVersions, ROLLING_OK_LINE, UnknownCheckResult, upgradePlan } from "../../modules/service/upgrade";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ecsCommands, splitAroundDeploy, synthesizedService } from "../../tools/upgrade-ecs";
import { synthStack } from "../../modules/synth";

/** The upgrade decision (Keycloak's compatibility check -> rolling or recreate) and the ECS steps of each. */

// What `kc.sh update-compatibility check` of 26.7.3 prints (see __tests__/integration/upgrade-check.test.ts for the real runs).
const OK_OUTPUT = `[cacheEmbedded] Provider is compatible.\n[keycloak] Provider is compatible.\n${ROLLING_OK_LINE}\n`;
const MINOR_OUTPUT = "[keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> 26.7.3\n";

describe("decideUpgrade: the check's documented answers, nothing else", () => {
  test("exit 0 with the OK line is a rolling update", () => {
    expect(decideUpgrade({ exitCode: 0, output: OK_OUTPUT })).toEqual({ strategy: "rolling", reason: ROLLING_OK_LINE });
  });

  test("exit 3 is a recreate, with the check's reason", () => {
    expect(decideUpgrade({ exitCode: 3, output: MINOR_OUTPUT })).toEqual({
      strategy: "recreate",
      reason: "[keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> 26.7.3",
    });
  });

  test("exit 3 gives every incompatible line of the check, trimmed, in its order, and nothing else of the output", () => {
    const output = [
      "Checking compatibility...",
      "  [keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> 26.7.3  ",
      "[cacheEmbedded] Provider is compatible.",
      "[jgroups] 'stack' IS INCOMPATIBLE: tcp -> jdbc-ping",
      "[features] Feature rolling-updates:v2 disabled",
    ].join("\n");
    expect(decideUpgrade({ exitCode: 3, output }).reason).toBe(
      "[keycloak] Rolling Update is not available. 'keycloak.version' is incompatible: 26.5.0 -> 26.7.3; [jgroups] 'stack' IS INCOMPATIBLE: tcp -> jdbc-ping; [features] Feature rolling-updates:v2 disabled",
    );
  });

  test("exit 3 without an incompatible line still recreates, and says the check's exit code was the reason", () => {
    expect(decideUpgrade({ exitCode: 3, output: "[keycloak] Provider is compatible.\n" })).toEqual({ strategy: "recreate", reason: "the check requires a recreate (exit 3)" });
  });

  test("exit 4 (rolling-updates feature disabled) is a recreate, with that reason", () => {
    expect(decideUpgrade({ exitCode: 4, output: "" })).toEqual({ strategy: "recreate", reason: "the rolling-updates feature is disabled (exit 4)" });
  });

  test("a refusal quotes the output's last 15 lines, trimmed, and what the documented error codes mean", () => {
    const output = `  ${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n")}\n\n`;
    const message = (() => {
      try {
        decideUpgrade({ exitCode: 1, output });
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).toBe(
      `the compatibility check exited 1 (1: error such as missing or corrupt metadata, 2: invalid options); no upgrade strategy chosen, nothing deployed. Output:\n${Array.from({ length: 15 }, (_, i) => `line ${i + 6}`).join("\n")}`,
    );
    expect(() => decideUpgrade({ exitCode: 0, output: "  all fine\n" })).toThrow(`the compatibility check exited 0 without printing "${ROLLING_OK_LINE}"; refusing to roll. Output:\nall fine`);
  });

  test.each([
    [CHECK_EXIT_CODES.error, "ERROR: metadata file missing"],
    [CHECK_EXIT_CODES.invalidOptions, "Unknown option: '--bogus'"],
    [5, "something new"],
    [137, ""],
  ])("exit %i is refused with the exit code and the output in the message, never a strategy", (exitCode, output) => {
    expect(() => decideUpgrade({ exitCode, output })).toThrow(UnknownCheckResult);
    expect(() => decideUpgrade({ exitCode, output })).toThrow(`exited ${exitCode}`);
  });

  test("exit 0 without the OK line is refused: a swallowed exit code must not roll", () => {
    expect(() => decideUpgrade({ exitCode: 0, output: MINOR_OUTPUT })).toThrow("refusing to roll");
  });
});

describe("gateUpgrade: the deploy pipeline rolls only on the check's rolling verdict", () => {
  const recreate = decideUpgrade({ exitCode: 3, output: MINOR_OUTPUT });
  test("rolling verdict: rolling, whatever the on-recreate setting", () => {
    for (const setting of ["stop", "recreate"] as const) expect(gateUpgrade(decideUpgrade({ exitCode: 0, output: OK_OUTPUT }), setting).action).toBe("rolling");
  });
  test("recreate verdict: the recreate path or a stop naming the check's reason, as the setting says; never rolling", () => {
    expect(gateUpgrade(recreate, "recreate")).toEqual({ action: "recreate", message: `recreate: ${recreate.reason}` });
    const stop = gateUpgrade(recreate, "stop");
    expect(stop.action).toBe("stop");
    expect(stop.message).toContain("'keycloak.version' is incompatible: 26.5.0 -> 26.7.3");
    // The stop tells the operator both ways on.
    expect(stop.message).toMatch(/Run the recreate by hand \(README: Upgrade Keycloak\) or deploy with on-recreate=recreate\.$/);
  });
  test("no metadata of a previous deploy (first deploy): rolling, and the pipeline's log says why", () => {
    expect(gateUpgrade(undefined, "stop")).toEqual({ action: "rolling", message: "no metadata of a previous deploy: first deploy, nothing runs yet" });
  });
});

describe("upgradePlan: what each strategy does to the service", () => {
  test("rolling: one deploy (ECS replaces one task at a time), then wait until stable", () => {
    expect(upgradePlan("rolling", 2)).toEqual([{ kind: "deploy-rolling" }, { kind: "wait-stable" }]);
  });

  test("recreate: autoscaling paused, every task stopped before the switch, then one task alone, then the rest", () => {
    expect(upgradePlan("recreate", 3)).toEqual([
      { kind: "suspend-autoscaling" },
      { kind: "scale", desiredCount: 0 },
      { kind: "wait-all-stopped" },
      { kind: "switch-task-definition" },
      { kind: "scale", desiredCount: 1 },
      { kind: "wait-stable" },
      { kind: "scale", desiredCount: 3 },
      { kind: "wait-stable" },
      { kind: "resume-autoscaling" },
    ]);
    expect(upgradePlan("recreate", 1).filter((s) => s.kind === "scale")).toEqual([
      { kind: "scale", desiredCount: 0 },
      { kind: "scale", desiredCount: 1 },
    ]);
  });

  test("a recreate never runs two versions at once; a rolling update does (that is what the check must allow)", () => {
    expect(mixesVersions(upgradePlan("recreate", 2))).toBe(false);
    expect(mixesVersions(upgradePlan("rolling", 2))).toBe(true);
    // The guard itself: switching before every old task is gone is a mix.
    expect(mixesVersions([{ kind: "scale", desiredCount: 0 }, { kind: "switch-task-definition" }])).toBe(true);
  });

  test("an incompatible pair never gets a plan that mixes versions, whatever the desired count", () => {
    for (const count of [1, 2, 3, 5]) expect(mixesVersions(upgradePlan(decideUpgrade({ exitCode: 3, output: MINOR_OUTPUT }).strategy, count))).toBe(false);
  });

  test("a plan mixes versions when a task may run at the switch: tasks scaled up (not down to 0) after the stop was awaited", () => {
    const stopped = [{ kind: "scale", desiredCount: 0 }, { kind: "wait-all-stopped" }] as const;
    expect(mixesVersions([...stopped, { kind: "switch-task-definition" }])).toBe(false);
    expect(mixesVersions([...stopped, { kind: "scale", desiredCount: 1 }, { kind: "switch-task-definition" }])).toBe(true);
    expect(mixesVersions([...stopped, { kind: "scale", desiredCount: 0 }, { kind: "switch-task-definition" }])).toBe(false);
    expect(mixesVersions([{ kind: "scale", desiredCount: 0 }, { kind: "switch-task-definition" }])).toBe(true);
  });

  test("a desired count below 1 is refused", () => {
    expect(() => upgradePlan("recreate", 0)).toThrow("desiredCount must be a positive integer, got 0");
  });
});

describe("the ECS calls of the plan (tools/upgrade-ecs.ts)", () => {
  const target = { cluster: "keycloak-prod", service: "keycloak-prod-keycloak", desiredCount: 2 };

  test("stop phase before cdktf deploy: suspend scaling, desired 0, wait for every task to be STOPPED", () => {
    const { before } = splitAroundDeploy(upgradePlan("recreate", 2));
    const calls = before.flatMap((step) => ecsCommands(step, target));
    expect(calls).toEqual([
      {
        argv: [
          "aws", "application-autoscaling", "register-scalable-target",
          "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", "service/keycloak-prod/keycloak-prod-keycloak",
          "--suspended-state", "DynamicScalingInSuspended=true,DynamicScalingOutSuspended=true,ScheduledScalingSuspended=true",
        ],
      },
      { argv: ["aws", "ecs", "update-service", "--cluster", "keycloak-prod", "--service", "keycloak-prod-keycloak", "--desired-count", "0"] },
      { poll: "no-tasks-left", cluster: "keycloak-prod", service: "keycloak-prod-keycloak" },
    ]);
  });

  test("start phase after cdktf deploy: one task, stable, all tasks, stable, scaling resumed", () => {
    const { after } = splitAroundDeploy(upgradePlan("recreate", 2));
    const calls = after.flatMap((step) => ecsCommands(step, target)).map((c) => ("argv" in c ? c.argv.slice(1, 3).concat(c.argv.slice(-1)).join(" ") : c.poll));
    expect(calls).toEqual([
      "ecs update-service 1",
      "ecs wait keycloak-prod-keycloak",
      "ecs update-service 2",
      "ecs wait keycloak-prod-keycloak",
      "application-autoscaling register-scalable-target DynamicScalingInSuspended=false,DynamicScalingOutSuspended=false,ScheduledScalingSuspended=false",
    ]);
  });

  test("a rolling plan has nothing before the deploy", () => {
    expect(splitAroundDeploy(upgradePlan("rolling", 2)).before).toEqual([]);
  });
});

test("the tool reads the service, its steady task count (the autoscaling minimum, not the first boot's one task) and the task environment from the synthesized stack", () => {
  const out = mkdtempSync(join(tmpdir(), "upgrade-synth-"));
  try {
    mkdirSync(join(out, "stacks", "keycloak-test"), { recursive: true });
    writeFileSync(join(out, "stacks", "keycloak-test", "cdk.tf.json"), JSON.stringify(synthStack({ desiredCount: 3, maxCount: 4 })));
    const synth = synthesizedService(out, "keycloak-test");
    expect({ cluster: synth.cluster, service: synth.service, desiredCount: synth.desiredCount, db: synth.environment.KC_DB }).toEqual({
      cluster: "keycloak-test",
      service: "keycloak-test-keycloak",
      desiredCount: 3,
      db: "mysql",
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
