/**
 * Invalid configurations, from cdktf.json context and from environment variables: each is
 * refused at synth with one line that names the setting, the given value and what is
 * allowed - no stack trace, no partially written output.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type RawSettings } from "../../modules/config";
import { projectPath } from "../../modules/shared/paths";

interface BadCase {
  readonly name: string;
  /** Given through cdktf.json context (environments.prod) or as environment variables. */
  readonly context?: RawSettings;
  readonly env?: Record<string, string>;
  /** Fragments the error must contain: the setting (with source), the value, the allowed values. */
  readonly expect: readonly string[];
}

const CASES: readonly BadCase[] = [
  { name: "malformed VPC CIDR", env: { KEYCLOAK_VPC_CIDR: "10.0.0.0/33" }, expect: ["vpcCidr (env KEYCLOAK_VPC_CIDR)", '"10.0.0.0/33"', "an IPv4 CIDR from /16 to /24"] },
  { name: "VPC CIDR with host bits", context: { vpcCidr: "10.0.0.1/16" }, expect: ["vpcCidr (cdktf.json context environments.prod.vpcCidr)", '"10.0.0.1/16"', "an IPv4 CIDR"] },
  { name: "overlapping public subnets", context: { publicSubnetCidrs: ["10.0.0.0/20", "10.0.8.0/21"] }, expect: ["publicSubnetCidrs", '["10.0.0.0/20","10.0.8.0/21"]', "do not overlap (10.0.0.0/20 overlaps 10.0.8.0/21)"] },
  { name: "private subnet overlapping a public one", env: { KEYCLOAK_PRIVATE_SUBNET_CIDRS: "10.0.0.0/20,10.0.144.0/20" }, expect: ["privateSubnetCidrs (env KEYCLOAK_PRIVATE_SUBNET_CIDRS)", "10.0.0.0/20", "do not overlap"] },
  { name: "too few subnets for the zones", context: { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], publicSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"] }, expect: ["publicSubnetCidrs", '["10.0.0.0/20","10.0.16.0/20"]', "exactly 3 CIDRs, one per availability zone"] },
  { name: "subnet outside the VPC", context: { publicSubnetCidrs: ["10.1.0.0/20", "10.0.16.0/20"] }, expect: ["publicSubnetCidrs", "10.1.0.0/20", "inside vpcCidr 10.0.0.0/16"] },
  { name: "malformed admin CIDR", env: { KEYCLOAK_ADMIN_ALLOWED_CIDRS: "10.0.0.0" }, expect: ["adminAllowedCidrs (env KEYCLOAK_ADMIN_ALLOWED_CIDRS)", '"10.0.0.0" is not valid', "IPv4 CIDRs"] },
  { name: "five admin CIDRs (at most 4: an ALB condition holds 3 values, one rule per 3 sources)", env: { KEYCLOAK_ADMIN_ALLOWED_CIDRS: "198.51.100.1/32,198.51.100.2/32,198.51.100.3/32,198.51.100.4/32,198.51.100.5/32" }, expect: ["adminAllowedCidrs (env KEYCLOAK_ADMIN_ALLOWED_CIDRS)", "198.51.100.5/32", "at most 4 CIDRs"] },
  { name: "master as a public realm, in any case", context: { publicRealms: ["shop", "Master"] }, expect: ["publicRealms (cdktf.json context environments.prod.publicRealms)", '"Master" is not valid', "not master in any case"] },
  { name: "public realm name the ALB cannot tell from an encoded dot", env: { KEYCLOAK_PUBLIC_REALMS: "shop,e2e" }, expect: ["publicRealms (env KEYCLOAK_PUBLIC_REALMS)", '"e2e" is not valid', "not starting with one character and 2e"] },
  { name: "public realm name with a path character", env: { KEYCLOAK_PUBLIC_REALMS: "shop/../admin" }, expect: ["publicRealms (env KEYCLOAK_PUBLIC_REALMS)", '"shop/../admin" is not valid', "letters, digits, _ and -"] },
  { name: "the same public realm twice", context: { publicRealms: ["shop", "shop"] }, expect: ["publicRealms", '["shop","shop"]', "distinct realm names"] },
  { name: "admin host name without https://", env: { KEYCLOAK_HOSTNAME_ADMIN: "admin.example.com" }, expect: ["hostnameAdmin (env KEYCLOAK_HOSTNAME_ADMIN)", '"admin.example.com"', "https://<DNS name>[:port]"] },
  { name: "admin host name with a path", context: { hostnameAdmin: "https://admin.example.com/console" }, expect: ["hostnameAdmin", '"https://admin.example.com/console"', "https://<DNS name>[:port]"] },
  { name: "admin host name with a port out of range", env: { KEYCLOAK_HOSTNAME_ADMIN: "https://admin.example.com:70000" }, expect: ["hostnameAdmin (env KEYCLOAK_HOSTNAME_ADMIN)", '"https://admin.example.com:70000"', "https://<DNS name>[:port]"] },
  { name: "adminPublic that is not a boolean", env: { KEYCLOAK_ADMIN_PUBLIC: "open" }, expect: ["adminPublic (env KEYCLOAK_ADMIN_PUBLIC)", '"open"', "true, false"] },
  { name: "memory Fargate rejects for the CPU", env: { KEYCLOAK_TASK_CPU: "1024", KEYCLOAK_TASK_MEMORY: "1024" }, expect: ["taskMemory (env KEYCLOAK_TASK_MEMORY)", "got 1024", "for taskCpu 1024: 2048 to 8192"] },
  { name: "CPU Fargate does not offer", env: { KEYCLOAK_TASK_CPU: "3000" }, expect: ["taskCpu (env KEYCLOAK_TASK_CPU)", '"3000"', "256, 512, 1024, 2048, 4096, 8192, 16384"] },
  { name: "one task while highly available", env: { KEYCLOAK_DESIRED_COUNT: "1" }, expect: ["desiredCount (env KEYCLOAK_DESIRED_COUNT)", "got 1", "2 or more while highAvailability is true"] },
  { name: "maximum below minimum", context: { desiredCount: 3, maxCount: 2 }, expect: ["maxCount (cdktf.json context environments.prod.maxCount)", "got 2", "at least desiredCount (3)"] },
  { name: "negative number", env: { KEYCLOAK_DESIRED_COUNT: "-2" }, expect: ["desiredCount (env KEYCLOAK_DESIRED_COUNT)", '"-2"', "integer >= 2"] },
  { name: "non-numeric number", env: { KEYCLOAK_MAX_COUNT: "four" }, expect: ["maxCount (env KEYCLOAK_MAX_COUNT)", '"four"', "integer from desiredCount to 100"] },
  { name: "unknown egress mode", env: { KEYCLOAK_EGRESS_MODE: "vpn" }, expect: ["egressMode (env KEYCLOAK_EGRESS_MODE)", '"vpn"', "nat, public-ip, endpoints"] },
  { name: "bad host name", env: { KEYCLOAK_HOSTNAME: "login_example.com" }, expect: ["hostname (env KEYCLOAK_HOSTNAME)", '"login_example.com"', "a DNS name"] },
  { name: "hosted zone without a host name", context: { hostedZoneId: "Z0123456789ABC" }, expect: ["hostname", '""', "when hostedZoneId is set"] },
  { name: "bastion SSH open to anywhere without the opt-in", env: { KEYCLOAK_BASTION_ALLOWED_CIDRS: "0.0.0.0/0" }, expect: ["bastionAllowedCidrs (env KEYCLOAK_BASTION_ALLOWED_CIDRS)", '["0.0.0.0/0"]', "KEYCLOAK_BASTION_ALLOW_SSH_FROM_ANYWHERE=true"] },
  { name: "bootstrap admin neither on nor off", env: { KEYCLOAK_BOOTSTRAP_ADMIN: "no" }, expect: ["bootstrapAdmin (env KEYCLOAK_BOOTSTRAP_ADMIN)", '"no"', "true, false"] },
  { name: "log retention CloudWatch does not accept", context: { logRetentionDays: 10 }, expect: ["logRetentionDays (cdktf.json context environments.prod.logRetentionDays)", "got 10", "1, 3, 5, 7, 14, 30"] },
  { name: "DB class of a family that does not run MySQL", env: { KEYCLOAK_DB_INSTANCE_CLASS: "db.x1e.xlarge" }, expect: ["dbInstanceClass (env KEYCLOAK_DB_INSTANCE_CLASS)", '"db.x1e.xlarge"', "a family that runs MySQL"] },
  { name: "DB class without the db. prefix", context: { dbInstanceClass: "t4g.small" }, expect: ["dbInstanceClass", '"t4g.small"', "db.<family>.<size>"] },
  { name: "unsupported MySQL version", env: { KEYCLOAK_MYSQL_VERSION: "5.7" }, expect: ["mysqlVersion (env KEYCLOAK_MYSQL_VERSION)", '"5.7"', "8.0, 8.4"] },
  { name: "unknown architecture", env: { KEYCLOAK_CPU_ARCHITECTURE: "ARM" }, expect: ["cpuArchitecture (env KEYCLOAK_CPU_ARCHITECTURE)", '"ARM"', "X86_64, ARM64"] },
  { name: "malformed prebuilt image URI", env: { KEYCLOAK_IMAGE_URI: "https://registry/Keycloak" }, expect: ["imageUri (env KEYCLOAK_IMAGE_URI)", '"https://registry/Keycloak"', "registry/repository:tag"] },
  { name: "four zones", env: { KEYCLOAK_AZ_COUNT: "4" }, expect: ["azCount (env KEYCLOAK_AZ_COUNT)", '"4"', "2 or 3"] },
  { name: "zones of another region", context: { availabilityZones: ["us-east-1a", "us-east-1b"] }, expect: ["availabilityZones", "us-east-1a", "zones of region eu-west-1"] },
  { name: "boolean that is not true or false", env: { KEYCLOAK_DB_MULTI_AZ: "yes" }, expect: ["dbMultiAz (env KEYCLOAK_DB_MULTI_AZ)", '"yes"', "true, false"] },
  { name: "backups shorter than a week", context: { dbBackupRetentionDays: 3 }, expect: ["dbBackupRetentionDays", "got 3", "integer 7 to 35"] },
  { name: "backup window that is not hh24:mi-hh24:mi", env: { KEYCLOAK_DB_BACKUP_WINDOW: "2:00-3:00" }, expect: ["dbBackupWindow (env KEYCLOAK_DB_BACKUP_WINDOW)", '"2:00-3:00"', "hh24:mi-hh24:mi (UTC)"] },
  { name: "backup window shorter than 30 minutes", context: { dbBackupWindow: "23:50-00:10" }, expect: ["dbBackupWindow (cdktf.json context environments.prod.dbBackupWindow)", '"23:50-00:10" (20 minutes long)', "at least 30 minutes"] },
  { name: "maintenance window with an unknown day", env: { KEYCLOAK_DB_MAINTENANCE_WINDOW: "sun:03:30-mo:04:30" }, expect: ["dbMaintenanceWindow (env KEYCLOAK_DB_MAINTENANCE_WINDOW)", '"sun:03:30-mo:04:30"', "ddd one of mon..sun"] },
  { name: "maintenance window shorter than 30 minutes", context: { dbMaintenanceWindow: "sat:23:45-sun:00:05" }, expect: ["dbMaintenanceWindow", '"sat:23:45-sun:00:05" (20 minutes long)', "at least 30 minutes"] },
  { name: "backup window overlapping the maintenance window", env: { KEYCLOAK_DB_BACKUP_WINDOW: "04:00-05:00" }, expect: ["dbBackupWindow (env KEYCLOAK_DB_BACKUP_WINDOW)", '"04:00-05:00"', "does not overlap dbMaintenanceWindow (sun:03:30-sun:04:30)"] },
  { name: "database pool that overflows max_connections at maxCount plus the deploy surge", env: { KEYCLOAK_DB_POOL_MAX_SIZE: "40" }, expect: ["dbPoolMaxSize (env KEYCLOAK_DB_POOL_MAX_SIZE)", "got 40", "at most 23 with dbInstanceClass db.t4g.small (max_connections about 153) and up to 6 tasks (maxCount 4 + deploy surge 2): 6 x 40 + 10 reserved = 250 > 153"] },
  { name: "more tasks than a small database class can serve with the default pool", context: { maxCount: 10 }, expect: ["dbPoolMaxSize (default)", "got 20", "at most 9 with dbInstanceClass db.t4g.small", "(maxCount 10 + deploy surge 5)"] },
  { name: "dev's micro database with a larger pool", env: { KEYCLOAK_PROFILE: "dev", KEYCLOAK_DB_POOL_MAX_SIZE: "25" }, expect: ["dbPoolMaxSize (env KEYCLOAK_DB_POOL_MAX_SIZE)", "db.t4g.micro (max_connections about 76)", "3 x 25 + 10 reserved = 85 > 76"] },
  { name: "DB class of a size its family does not have", env: { KEYCLOAK_DB_INSTANCE_CLASS: "db.m6g.small" }, expect: ["dbInstanceClass (env KEYCLOAK_DB_INSTANCE_CLASS)", '"db.m6g.small"', "sizes of db.m6g: large, xlarge"] },
  { name: "grace period shorter than the container health check's start period", env: { KEYCLOAK_HEALTH_CHECK_GRACE_PERIOD_SECONDS: "90" }, expect: ["healthCheckGracePeriodSeconds (env KEYCLOAK_HEALTH_CHECK_GRACE_PERIOD_SECONDS)", '"90"', "integer 120 (the container health check's start period) to 3600"] },
  { name: "alarm e-mail that is no address", env: { KEYCLOAK_ALARM_EMAILS: "ops@example.com,oncall" }, expect: ["alarmEmails (env KEYCLOAK_ALARM_EMAILS)", '"oncall" is not valid', "e-mail addresses"] },
  { name: "free-storage alarm at or above the storage ceiling", context: { alarmDbFreeStorageGb: 100 }, expect: ["alarmDbFreeStorageGb (cdktf.json context environments.prod.alarmDbFreeStorageGb)", "got 100", "less than dbMaxAllocatedStorageGb (100)"] },
  { name: "unknown setting in cdktf.json", context: { egresMode: "nat" }, expect: ['Unknown setting "egresMode"', "environments.prod", "allowed are profile, region"] },
];

describe("bad input is refused with a clear error", () => {
  test("the matrix has at least 20 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  test.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    let error: unknown;
    try {
      loadConfig({ environment: "prod", perEnvironment: c.context ?? {}, env: c.env ?? {}, warn: () => undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const fragment of c.expect) expect((error as Error).message).toContain(fragment);
  });
});

describe("synth as a process", () => {
  let out: string;
  beforeEach(() => (out = mkdtempSync(join(tmpdir(), "kc-bad-synth-"))));
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const runApp = (c: BadCase) =>
    spawnSync(process.execPath, [projectPath("scripts", "app.js")], {
      cwd: projectPath(),
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        CDKTF_OUTDIR: out,
        KEYCLOAK_ENVIRONMENTS: "prod",
        ...(c.context ? { CDKTF_CONTEXT_JSON: JSON.stringify({ environments: { prod: c.context } }) } : {}),
        ...c.env,
      },
    });

  test.each(CASES.filter((_, i) => i % 3 === 0).map((c) => [c.name, c] as const))(
    "the synth app exits 1 with only the error, no stack trace and no output, for: %s",
    (_name, c) => {
      const r = runApp(c);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Configuration error: \[environment prod\] /);
      for (const fragment of c.expect) expect(lines[0]).toContain(fragment);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(out, "stacks")) ? readdirSync(join(out, "stacks")) : []).toEqual([]);
    },
  );

  test("`npx cdktf synth` with a bad setting exits non-zero and prints the clear error", () => {
    const r = spawnSync("npx", ["cdktf", "synth", "--output", out], {
      cwd: projectPath(),
      encoding: "utf8",
      env: { ...process.env, KEYCLOAK_EGRESS_MODE: "vpn", CI: "true", FORCE_COLOR: "0" },
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    const output = `${r.stdout}${r.stderr}`;
    expect(output).toContain('Configuration error: [environment dev] Invalid setting egressMode (env KEYCLOAK_EGRESS_MODE): got "vpn"; allowed: nat, public-ip, endpoints.');
    expect(output).not.toMatch(/^\s+at .+\.(js|ts):\d+/m);
    expect(existsSync(join(out, "stacks")) ? readdirSync(join(out, "stacks")) : []).toEqual([]);
  }, 120_000);
});
