import { spawnSync } from "node:child_process";
import { projectPath } from "../../modules/shared/paths";
import { DRILL_OUTPUTS, parseArgs, refusal } from "../../tools/drill";
import { stackConfig } from "../../tools/stack";
import { OFFLINE_SETTINGS, synthStack } from "../../modules/synth";

/** `npm run drill`: its arguments, the prod refusal, and the stack outputs it reads. */

describe("npm run drill", () => {
  test("a prod-profile stack is refused without --yes, before any AWS call; --yes or a dev-profile stack proceeds", () => {
    expect(stackConfig("keycloak-prod").profile).toBe("prod");
    expect(refusal(parseArgs(["keycloak-prod"]), "prod")).toMatch(/keycloak-prod has the prod profile.*--yes/);
    expect(refusal(parseArgs(["keycloak-prod", "--yes"]), "prod")).toBeUndefined();
    expect(refusal(parseArgs(["keycloak-dev"]), stackConfig("keycloak-dev").profile)).toBeUndefined();
    // KEYCLOAK_PROFILE makes any stack prod, as it does for synth.
    expect(stackConfig("keycloak-dev", { KEYCLOAK_PROFILE: "prod" }).profile).toBe("prod");

    const run = spawnSync(process.execPath, ["--import", "tsx", projectPath("tools", "drill.ts"), "keycloak-prod"], {
      encoding: "utf8",
      cwd: projectPath(),
      // No credentials and no reachable endpoint: a call to AWS would fail differently.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: "true" },
    });
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 2, stderr: expect.stringMatching(/^keycloak-prod has the prod profile.*Run again with --yes to proceed\.$/) });
  }, 60_000);

  test("arguments: one stack, known options only, values required; an unknown stack names the known ones", () => {
    expect(parseArgs(["keycloak-dev", "--username", "ops", "--cacert", "ca.pem"])).toEqual({ stack: "keycloak-dev", yes: false, username: "ops", cacert: "ca.pem" });
    expect(() => parseArgs([])).toThrow("usage: npm run drill");
    expect(() => parseArgs(["a", "b"])).toThrow("one stack only");
    expect(() => parseArgs(["keycloak-dev", "--password", "x"])).toThrow("unknown option --password");
    expect(() => parseArgs(["keycloak-dev", "--username"])).toThrow("--username needs a value");
    expect(() => stackConfig("keycloak-nowhere")).toThrow("unknown stack keycloak-nowhere: cdktf.json defines keycloak-dev, keycloak-prod");
  });

  test("every output the drill reads is an output of the synthesized stack", () => {
    const outputs = Object.keys(synthStack(OFFLINE_SETTINGS).output ?? {});
    expect(DRILL_OUTPUTS.filter((name) => !outputs.includes(name))).toEqual([]);
  }, 60_000);
});
