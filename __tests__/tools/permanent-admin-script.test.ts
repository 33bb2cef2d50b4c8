import { spawnSync } from "node:child_process";
import { PERMANENT_ADMIN_SCRIPT } from "../support/permanent-admin";

/** tools/permanent-admin.sh's command line; what it does to Keycloak is the e2e's (e2e/permanent-admin.test.ts). */

const VALID = ["--url", "https://login.example.com", "--username", "ops-admin", "--bootstrap-secret-id", "b", "--admin-secret-id", "a", "--region", "eu-west-1"];

function run(args: string[]) {
  return spawnSync("bash", [PERMANENT_ADMIN_SCRIPT, ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
}

describe("permanent-admin.sh", () => {
  test("--help prints the usage line and what the script needs, and exits 0", () => {
    const result = run(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: permanent-admin\.sh --url URL --username NAME --bootstrap-secret-id ARN --admin-secret-id ARN --region REGION/);
    expect(result.stdout).toContain("Needs: aws (CLI v2), curl, jq");
  });

  test.each([
    [["--url"], "--url needs a value"],
    [["--bogus", "x"], "unknown argument '--bogus'"],
    [VALID.filter((_, i) => i !== 2 && i !== 3), "missing --username"],
    [VALID.slice(0, 8), "missing --region"],
    [["--url", "login.example.com", ...VALID.slice(2)], "--url must be https://host[:port][/path] (the admins' passwords travel over it), got 'login.example.com'"],
    [["--url", "http://login.example.com", ...VALID.slice(2)], "--url must be https://host[:port][/path] (the admins' passwords travel over it), got 'http://login.example.com'"],
    [[...VALID.slice(0, 3), "Ops Admin", ...VALID.slice(4)], "--username must be lower-case letters, digits and . _ @ -, got 'Ops Admin'"],
    [[...VALID, "--cacert", "/nonexistent/ca.pem"], "--cacert file '/nonexistent/ca.pem' is not readable"],
  ])("refuses %j with a clear message and exit 1", (args, message) => {
    const result = run(args);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`permanent-admin: error: ${message}`);
  });

  test("stops before any request when aws, curl or jq is missing", () => {
    const result = spawnSync("/bin/bash", [PERMANENT_ADMIN_SCRIPT, ...VALID], { encoding: "utf8", env: { PATH: "/nonexistent" } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/permanent-admin: error: needs '(aws|curl|jq)' on PATH/);
  });
});
