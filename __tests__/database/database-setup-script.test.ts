import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as constants from "../../modules/shared/constants";
import { SETUP_SCRIPT_PATH } from "../../modules/database/setup/commands";
import { resolveCommand } from "../support/command-stubs";

/** Calls one function of the setup script (sourcing it defines functions without running main). */
function callScriptFunction(jsonTool: string, call: string, input = ""): string {
  return execFileSync("bash", ["-c", `source "$1"; JSON_TOOL="$2"; ${call}`, "bash", SETUP_SCRIPT_PATH, jsonTool], {
    input,
    encoding: "utf8",
  });
}

/** The script uses jq when present, else python3 (always on Amazon Linux 2023): both must agree. */
const JSON_TOOLS = ["jq", "python3"];

describe("keycloak-db-setup.sh", () => {
  test("keeps DB name, both users, charset and collation equal to modules/shared/constants.ts", () => {
    const script = readFileSync(SETUP_SCRIPT_PATH, "utf8");
    const scriptValue = (name: string) => script.match(new RegExp(`^readonly ${name}="([^"]*)"$`, "m"))?.[1];
    expect({
      DB_NAME: scriptValue("DB_NAME"),
      DB_USER: scriptValue("DB_USER"),
      DB_USER_ALTERNATE: scriptValue("DB_USER_ALTERNATE"),
      DB_CHARSET: scriptValue("DB_CHARSET"),
      DB_COLLATION: scriptValue("DB_COLLATION"),
    }).toEqual({
      DB_NAME: constants.DB_NAME,
      DB_USER: constants.DB_USER,
      DB_USER_ALTERNATE: constants.DB_USER_ALTERNATE,
      DB_CHARSET: constants.DB_CHARSET,
      DB_COLLATION: constants.DB_COLLATION,
    });
  });

  test("--help prints the usage line and exits 0", () => {
    const result = spawnSync("bash", [SETUP_SCRIPT_PATH, "--help"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: keycloak-db-setup\.sh --db-host HOST .*--region REGION/);
  });

  test.each([
    [["--db-host"], "--db-host needs a value"],
    [["--db-host", "db", "--bogus", "x"], "unknown argument '--bogus'"],
    [["--db-host", "db", "--master-secret-arn", "a", "--user-secret-arn", "b", "--admin-secret-arn", "c", "--region", "r"], "missing --ca-bundle-url"],
    [["--db-host", "db", "--ca-bundle-url", "u", "--master-secret-arn", "a", "--user-secret-arn", "b", "--admin-secret-arn", "c"], "missing --region"],
    [["--db-host", "db", "--ca-bundle-url", "u", "--master-secret-arn", "a", "--user-secret-arn", "b", "--admin-secret-arn", "c", "--region", "r", "--attempts", "0"], "--attempts must be a positive integer, got '0'"],
    // --admin-secret-arn is optional (bootstrapAdmin false): without it the next missing flag is named.
    [["--db-host", "db", "--ca-bundle-url", "u", "--master-secret-arn", "a", "--user-secret-arn", "b"], "missing --region"],
  ])("rejects bad arguments %j with usage or a clear message and exit 1", (args, message) => {
    const result = spawnSync("bash", [SETUP_SCRIPT_PATH, ...args], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`keycloak-db-setup: error: ${message}`);
  });

  test.each(JSON_TOOLS)("reads string fields of a secret's JSON exactly with %s", (tool) => {
    resolveCommand(tool);
    const password = `p'"\\ $x %d\u00e9\u{1F511}\t`;
    const secret = JSON.stringify({ username: "keycloak", password, extra: 1 });
    expect(callScriptFunction(tool, "json_field password", secret)).toBe(password);
    expect(callScriptFunction(tool, "json_field username", secret)).toBe("keycloak");
    expect(() => callScriptFunction(tool, "json_field extra", secret)).toThrow();
    expect(() => callScriptFunction(tool, "json_field password", "not json")).toThrow();
  });

  test.each(JSON_TOOLS)("writes {username, password} JSON that keeps every character, with %s", (tool) => {
    resolveCommand(tool);
    const password = `p'"\\ $x %d\u00e9`;
    expect(JSON.parse(callScriptFunction(tool, 'credentials_json "keycloak"', password))).toEqual({
      username: "keycloak",
      password,
    });
  });

  test("refuses a secret's password that ends in a line break instead of trimming it", () => {
    const secret = JSON.stringify({ username: "keycloak", password: "abc\n" });
    const result = spawnSync(
      "bash",
      ["-c", 'source "$1"; JSON_TOOL=jq; secret_field "$2" password pw; check_password the-arn "$pw"', "bash", SETUP_SCRIPT_PATH, secret],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error: the password in secret the-arn contains a line break");
  });

  test("generates distinct 64-character base64url passwords", () => {
    const passwords = [1, 2, 3].map(() => callScriptFunction("jq", "generate_password"));
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(new Set(passwords).size).toBe(3);
  });

  describe("fetching the CA bundle", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "kc-ca-fetch-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs fetch_ca_bundle for `url` with the script's work directory in `dir`. */
    function fetchBundle(url: string) {
      return spawnSync(
        "bash",
        ["-c", 'source "$1"; WORK_DIR="$2"; CA_FILE="$2/bundle.pem"; CA_BUNDLE_URL="$3"; fetch_ca_bundle', "bash", SETUP_SCRIPT_PATH, dir, url],
        { encoding: "utf8" },
      );
    }

    test("takes a PEM bundle from a file:// URL and reports how many certificates it holds", () => {
      const certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      writeFileSync(join(dir, "source.pem"), certificate.repeat(2));
      const result = fetchBundle(`file://${dir}/source.pem`);
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe(`database CA bundle from file://${dir}/source.pem: 2 certificates\n`);
      expect(readFileSync(join(dir, "bundle.pem"), "utf8")).toBe(certificate.repeat(2));
    });

    test("refuses plain http, before any connection: the bundle decides which servers are trusted", () => {
      // curl refuses the protocol before it connects; were it broken, it would try an unused
      // address of the tests' own 198.18.0.0/15 range and nothing else.
      const result = fetchBundle("http://198.19.255.254/global-bundle.pem");
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^keycloak-db-setup: error: could not download the database CA bundle from http:\/\/198\.19\.255\.254\/global-bundle\.pem: .*Protocol "http" not supported/);
    });

    test("refuses a download that holds no certificate (an error page, an empty file)", () => {
      writeFileSync(join(dir, "page.html"), "<html>Access Denied</html>\n");
      const result = fetchBundle(`file://${dir}/page.html`);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`keycloak-db-setup: error: file://${dir}/page.html is not a PEM CA bundle (no certificate in it)\n`);
    });
  });
});
