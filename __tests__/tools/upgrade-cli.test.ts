import { spawnSync } from "node:child_process";
import { projectPath } from "../../modules/shared/paths";

/** `npm run upgrade -- gate`, the deploy workflow's gate: what it refuses before it runs anything. */
const upgrade = (...args: string[]) =>
  spawnSync("node", ["--import", "tsx", projectPath("tools", "upgrade.ts"), ...args], { cwd: projectPath(), encoding: "utf8", timeout: 60_000 });

describe("npm run upgrade -- gate: usage", () => {
  test.each([
    [["gate", "--stack", "keycloak-prod", "--metadata", "m.json"], "gate needs --on-recreate recreate or stop, got ''"],
    [["gate", "--stack", "keycloak-prod", "--metadata", "m.json", "--on-recreate", "roll"], "gate needs --on-recreate recreate or stop, got 'roll'"],
    [["gate", "--stack", "keycloak-prod", "--on-recreate", "stop"], "gate needs exactly one of --metadata and --first-deploy"],
    [["gate", "--stack", "keycloak-prod", "--metadata", "m.json", "--first-deploy", "--on-recreate", "stop"], "gate needs exactly one of --metadata and --first-deploy"],
    [["check", "--stack", "keycloak-prod", "--version", "26.7.3", "--image", "kc:1", "--metadata", "m.json"], "give at most one of --version and --image"],
  ])("%j is refused with exit 2: %s", (args, message) => {
    const run = upgrade(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`upgrade: ${message}`);
  });
});
