import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectPath } from "../../modules/shared/paths";
import { DeployedStack } from "../support/deployed-stack";

/**
 * The operator commands' one shape, `npm run <command> -- <stack> ...`: each reads the deployed
 * stack's outputs it needs, one `terraform output -raw NAME` each in the stack's folder (never the
 * whole `terraform output -json`, which prints every sensitive output in clear), and hands the
 * operator script the arguments its flags ask for.
 */

jest.setTimeout(120_000);

const STACK = "keycloak-dev";
const VALUES = {
  keycloak_url: "https://127.0.0.1:9",
  ecs_cluster_name: "keycloak-dev",
  ecs_service_name: "keycloak-dev",
  keycloak_log_group: "/ecs/keycloak-dev",
  alarm_topic_arn: "arn:aws:sns:eu-west-1:123456789012:keycloak-dev-alarms",
  bastion_public_ip: "203.0.113.10",
  bastion_private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n-----END OPENSSH PRIVATE KEY-----\n",
  db_endpoint: "keycloak-dev-db.abc.eu-west-1.rds.amazonaws.com",
  db_master_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1",
  keycloak_db_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keycloak-dev/db-user",
  keycloak_admin_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keycloak-dev/admin",
  keycloak_permanent_admin_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keycloak-dev/permanent-admin",
};
// cdktf.json's region of keycloak-dev.
const REGION = "eu-west-1";

let work: string;
let stack: DeployedStack;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "kc-operator-"));
  stack = new DeployedStack(work, STACK, VALUES);
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

/** The outputs terraform was asked for, each `output -raw NAME` in the stack's folder. */
function askedFor(): string[] {
  return stack.terraformCalls().map((call) => {
    const [dir, args] = call.split("\t");
    expect(dir).toBe(stack.stackDir);
    expect(args).toMatch(/^output -raw \w+$/);
    return args.split(" ")[2];
  });
}

describe("npm run backup -- <stack> dump|restore FILE | drop --confirm keycloak", () => {
  test("dump: db-backup.sh gets the bastion, a 0600 copy of its key, the endpoint, the master secret and the region; only those outputs are read", () => {
    const run = stack.run("backup.ts", [STACK, "dump", "kc.sql.gz", "--ssh-option", "ConnectTimeout=30"]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const { argv, identityMode, identity } = stack.scriptArgv();
    const key = argv[argv.indexOf("--identity") + 1];
    expect(argv).toEqual([
      projectPath("tools", "db-backup.sh"), "dump", "--output", "kc.sql.gz",
      "--bastion", "ec2-user@203.0.113.10", "--identity", key,
      "--db-host", VALUES.db_endpoint, "--master-secret-id", VALUES.db_master_secret_arn,
      "--region", REGION, "--ssh-option", "ConnectTimeout=30",
    ]);
    expect({ identityMode, identity }).toEqual({ identityMode: "600", identity: VALUES.bastion_private_key });
    expect(existsSync(key)).toBe(false);
    expect(askedFor().sort()).toEqual(["bastion_private_key", "bastion_public_ip", "db_endpoint", "db_master_secret_arn"]);
  });

  test("restore also passes the keycloak user's secret (the dump is loaded with that user's rights), and the script's exit code comes back", () => {
    const run = stack.run("backup.ts", [STACK, "restore", "kc.sql.gz"], { env: { STUB_EXIT: "3" } });
    expect(run.status).toBe(3);
    const { argv } = stack.scriptArgv();
    expect(argv.slice(1, 4)).toEqual(["restore", "--input", "kc.sql.gz"]);
    expect(argv[argv.indexOf("--user-secret-id") + 1]).toBe(VALUES.keycloak_db_secret_arn);
    expect(askedFor().sort()).toEqual(["bastion_private_key", "bastion_public_ip", "db_endpoint", "db_master_secret_arn", "keycloak_db_secret_arn"]);
  });

  test("drop passes its confirmation on; a missing FILE or confirmation stops before any output is read", () => {
    expect(stack.run("backup.ts", [STACK, "drop", "--confirm", "keycloak"]).status).toBe(0);
    expect(stack.scriptArgv().argv.slice(1, 4)).toEqual(["drop", "--confirm", "keycloak"]);
    writeFileSync(join(work, "terraform-calls"), "");
    for (const [args, message] of [
      [[STACK, "dump"], "dump needs a FILE"],
      [[STACK, "drop", "keycloak"], "drop needs --confirm keycloak"],
      [[STACK, "backup", "x"], "unknown command 'backup': dump, restore or drop"],
      [[STACK, "dump", "x", "--bastion", "y"], "unknown argument '--bastion'"],
    ] as const) {
      const run = stack.run("backup.ts", [...args]);
      expect({ status: run.status, stderr: run.stderr.split("\n").slice(0, 2) }).toEqual({ status: 1, stderr: [`backup: ${message}`, expect.stringMatching(/^usage: npm run backup -- <stack> /)] });
    }
    expect(stack.terraformCalls()).toEqual([]);
  });
});

describe("npm run rotate-db-credentials -- <stack>", () => {
  test("rotate-db-credentials.sh gets the bastion, a 0600 copy of its key, the endpoint, both secrets, the service and the region; only those outputs are read", () => {
    const run = stack.run("rotate-db-credentials.ts", [STACK, "--ssh-option", "ConnectTimeout=30"]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const { argv, identityMode, identity } = stack.scriptArgv();
    const key = argv[argv.indexOf("--identity") + 1];
    expect(argv).toEqual([
      projectPath("tools", "rotate-db-credentials.sh"),
      "--bastion", "ec2-user@203.0.113.10", "--identity", key,
      "--db-host", VALUES.db_endpoint, "--master-secret-id", VALUES.db_master_secret_arn,
      "--user-secret-id", VALUES.keycloak_db_secret_arn, "--region", REGION,
      "--cluster", VALUES.ecs_cluster_name, "--service", VALUES.ecs_service_name,
      "--ssh-option", "ConnectTimeout=30",
    ]);
    expect({ identityMode, identity }).toEqual({ identityMode: "600", identity: VALUES.bastion_private_key });
    expect(existsSync(key)).toBe(false);
    expect(askedFor().sort()).toEqual(["bastion_private_key", "bastion_public_ip", "db_endpoint", "db_master_secret_arn", "ecs_cluster_name", "ecs_service_name", "keycloak_db_secret_arn"]);
  });

  test("an unknown option stops before any output is read; the script's exit code comes back", () => {
    expect(stack.run("rotate-db-credentials.ts", [STACK, "--service", "x"]).stderr).toMatch(/^rotate-db-credentials: unknown argument '--service'\n/);
    expect(stack.terraformCalls()).toEqual([]);
    expect(stack.run("rotate-db-credentials.ts", [STACK], { env: { STUB_EXIT: "4" } }).status).toBe(4);
  });
});

describe("npm run permanent-admin -- <stack> --username NAME", () => {
  test("permanent-admin.sh gets the URL, both secrets and the region from the stack; only those outputs are read", () => {
    const run = stack.run("permanent-admin.ts", [STACK, "--username", "ops-admin", "--cacert", "ca.pem"]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(stack.scriptArgv().argv).toEqual([
      projectPath("tools", "permanent-admin.sh"),
      "--url", VALUES.keycloak_url,
      "--bootstrap-secret-id", VALUES.keycloak_admin_secret_arn,
      "--admin-secret-id", VALUES.keycloak_permanent_admin_secret_arn,
      "--region", REGION,
      "--username", "ops-admin", "--cacert", "ca.pem",
    ]);
    expect(askedFor().sort()).toEqual(["keycloak_admin_secret_arn", "keycloak_permanent_admin_secret_arn", "keycloak_url"]);
  });

  test("a missing --username or an unknown option stops before any output is read", () => {
    expect(stack.run("permanent-admin.ts", [STACK]).stderr).toMatch(/^permanent-admin: missing --username\n/);
    expect(stack.run("permanent-admin.ts", [STACK, "--username", "ops", "--url", "http://x"]).stderr).toMatch(/^permanent-admin: unknown argument '--url'\n/);
    expect(stack.terraformCalls()).toEqual([]);
  });
});

describe("npm run drill -- <stack>", () => {
  test("reads only its five outputs, one at a time, and takes the password from stdin", () => {
    const run = stack.run("drill.ts", [STACK], { input: "s3cret\n" });
    // Past the outputs and the password, the login fails: nothing listens on the stand-in URL.
    expect(run.stdout).toMatch(/ logging in to https:\/\/127\.0\.0\.1:9 as admin\n/);
    expect(run.status).toBe(1);
    expect(askedFor()).toEqual(["keycloak_url", "ecs_cluster_name", "ecs_service_name", "keycloak_log_group", "alarm_topic_arn"]);
  });

  test("the password comes from --password-file or stdin; KEYCLOAK_DRILL_PASSWORD is not read, and an empty one stops before any output is read", () => {
    const file = join(work, "password");
    writeFileSync(file, "s3cret\n", { mode: 0o600 });
    expect(stack.run("drill.ts", [STACK, "--password-file", file]).stdout).toMatch(/ logging in to https:\/\/127\.0\.0\.1:9 as admin\n/);
    writeFileSync(join(work, "terraform-calls"), "");
    const fromEnvironment = stack.run("drill.ts", [STACK], { env: { KEYCLOAK_DRILL_PASSWORD: "s3cret" } });
    expect({ status: fromEnvironment.status, stderr: fromEnvironment.stderr }).toEqual({ status: 1, stderr: "drill: the password of admin is empty (stdin)\n" });
    expect(stack.terraformCalls()).toEqual([]);
  });
});

describe("README's operator examples", () => {
  const readme = readFileSync(projectPath("README.md"), "utf8");

  test("the drill's password never stands on a command line: it is piped in, or a file", () => {
    expect(readme).not.toMatch(/KEYCLOAK_DRILL_PASSWORD|npm run drill[^\n]*--password(?!-file)/);
    expect(readme).toMatch(/^ {2}\| npm run drill -- keycloak-prod /m);
  });

  test("backups, the permanent admin and the credential rotation are run as npm run <command> -- <stack>, without the scripts' flags", () => {
    expect(readme).toMatch(/^npm run backup -- keycloak-prod dump /m);
    expect(readme).toMatch(/^npm run permanent-admin -- keycloak-prod --username /m);
    expect(readme).toMatch(/^npm run rotate-db-credentials -- keycloak-prod$/m);
    expect(readme).not.toMatch(/bash \.\.\/\.\.\/\.\.\/tools\/(db-backup|permanent-admin)\.sh/);
  });
});
