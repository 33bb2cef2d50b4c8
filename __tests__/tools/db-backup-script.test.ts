import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DB_CA_BUNDLE_URL, DB_NAME } from "../../modules/shared/constants";
import { DB_BACKUP_SCRIPT } from "../support/db-backup";

/**
 * tools/db-backup.sh's checks before it reaches anything: its copies of the constants, and the
 * arguments it refuses. The integration test (__tests__/integration/db-backup.test.ts) runs it
 * through a real SSH bastion.
 */

const BASTION_SCRIPT = join(__dirname, "..", "..", "tools", "db-backup-bastion.sh");
const COMMON = ["--bastion", "ec2-user@192.0.2.1", "--identity", __filename, "--db-host", "db.example", "--master-secret-id", "arn:x", "--region", "eu-west-1"];

function run(...args: string[]) {
  const result = spawnSync("bash", [DB_BACKUP_SCRIPT, ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe("tools/db-backup.sh", () => {
  test("its default CA bundle URL and database name are the constants' (a shell script cannot import them)", () => {
    const script = readFileSync(DB_BACKUP_SCRIPT, "utf8");
    // The CA bundle URL is bastion-session.sh's, shared with rotate-db-credentials.sh.
    expect(/^readonly DEFAULT_CA_BUNDLE_URL="([^"]+)"$/m.exec(readFileSync(join(__dirname, "..", "..", "tools", "bastion-session.sh"), "utf8"))?.[1]).toBe(DB_CA_BUNDLE_URL);
    expect(/^readonly DB_NAME="([^"]+)"$/m.exec(script)?.[1]).toBe(DB_NAME);
  });

  test("--help names every command of both halves", () => {
    const help = run("--help");
    expect(help.code).toBe(0);
    for (const command of ["dump", "restore", "drop --confirm keycloak"]) expect(help.stdout).toContain(command);
    const bastion = spawnSync("bash", [BASTION_SCRIPT, "--help"], { encoding: "utf8" });
    expect(bastion.status).toBe(0);
    for (const command of ["dump", "restore", "drop"]) expect(bastion.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  test.each([
    [["backup", ...COMMON], "unknown command 'backup': dump, restore or drop"],
    [["dump", ...COMMON], "missing --output"],
    [["restore", ...COMMON], "missing --input"],
    [["dump", "--input", "x.sql.gz", ...COMMON], "--input belongs to restore"],
    [["drop", ...COMMON], "drop needs --confirm keycloak: it deletes every realm, user and session"],
    [["drop", "--confirm", "yes", ...COMMON], "drop needs --confirm keycloak"],
    [["dump", "--output", "x.sql.gz", ...COMMON.slice(0, 6), "--region", "eu-west-1"], "missing --master-secret-id"],
    [["restore", "--input", __filename, ...COMMON], "restore needs --user-secret-id: the dump is loaded as the keycloak database user, not the master user"],
    [["restore", "--input", "/nonexistent/x.sql.gz", ...COMMON, "--user-secret-id", "arn:u"], "--input file '/nonexistent/x.sql.gz' is not readable"],
  ])("%j is refused: %s", (args, message) => {
    const result = run(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`db-backup: error: ${message}`);
  });
});
