/**
 * Issue 21, item 5: what AWS refuses at apply (or at the first task start) is refused by the
 * configuration before synth, with the setting, the value and what is allowed.
 */
import { ConfigError, loadConfig, type RawSettings } from "../../modules/config";

function errorOf(settings: RawSettings): string {
  try {
    loadConfig({ environment: "prod", perEnvironment: settings, env: {}, warn: () => undefined });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(settings)}`);
}
const accepts = (settings: RawSettings) => loadConfig({ environment: "prod", perEnvironment: settings, env: {}, warn: () => undefined });
const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `198.51.${Math.floor(i / 256)}.${i % 256}/32`);

describe("config refuses what AWS refuses", () => {
  test("storage autoscaling ceiling at least 10 % above the allocated storage (RDS: Invalid max storage size)", () => {
    const message = errorOf({ dbAllocatedStorageGb: 100, dbMaxAllocatedStorageGb: 105, alarmDbFreeStorageGb: 2 });
    expect(message).toContain("dbMaxAllocatedStorageGb");
    expect(message).toContain("got 105");
    expect(message).toContain("at least 110 (dbAllocatedStorageGb 100 + 10 %");
    accepts({ dbAllocatedStorageGb: 100, dbMaxAllocatedStorageGb: 110 });
    expect(errorOf({ dbAllocatedStorageGb: 30, dbMaxAllocatedStorageGb: 32 })).toContain("at least 33");
  });

  test("storage ceiling within what the instance class can hold (db.t4g.micro: 6 TiB)", () => {
    const message = errorOf({ profile: "dev", dbMaxAllocatedStorageGb: 10000 });
    expect(message).toContain("dbMaxAllocatedStorageGb");
    expect(message).toContain("at most 6144 with dbInstanceClass db.t4g.micro");
  });

  test.each([
    ["two hyphens in a row (RDS identifiers, parameter groups, snapshots)", "kc--prod", "no two hyphens in a row"],
    ["sg- (security group names)", "sg-prod", "not starting with sg-"],
    ["sg alone (its groups would be sg-alb, sg-db)", "sg", "not starting with sg-"],
    ["internal- (load balancer names)", "internal-kc", "or internal- (load balancer names)"],
    ["sthree (the access-log bucket would be sthree-alb-logs-...)", "sthree", "nor with sthree- or amzn-s3-demo- (S3 reserves them"],
  ])("namePrefix with %s", (_what, prefix, allowed) => {
    const message = errorOf({ namePrefix: prefix });
    expect(message).toContain(`namePrefix`);
    expect(message).toContain(`"${prefix}"`);
    expect(message).toContain(allowed);
  });

  test.each([["db.t4g.8xlarge"], ["db.m6g.24xlarge"], ["db.r7g.32xlarge"], ["db.t3.4xlarge"]])("dbInstanceClass %s does not exist", (cls) => {
    const message = errorOf({ dbInstanceClass: cls });
    expect(message).toContain(`dbInstanceClass`);
    expect(message).toContain(`"${cls}"`);
    expect(message).toMatch(/sizes of db\.[a-z0-9]+: /);
  });

  test("the ALB's security group holds 60 inbound rules: two ports per albIngressCidrs entry", () => {
    accepts({ albIngressCidrs: cidrs(30) });
    const message = errorOf({ albIngressCidrs: cidrs(31) });
    expect(message).toContain("albIngressCidrs");
    expect(message).toContain("at most 30 CIDRs (each opens 443 and 80: 2 inbound rules, 60 per security group)");
  });

  test("the bastion's security group holds 60 inbound rules, one per bastionAllowedCidrs entry", () => {
    accepts({ bastionAllowedCidrs: cidrs(60) });
    expect(errorOf({ bastionAllowedCidrs: cidrs(61) })).toContain("at most 60 CIDRs");
  });

  test("a VPC too small for /27 subnets with the addresses its tasks, endpoints and the ALB need", () => {
    const message = errorOf({ vpcCidr: "10.0.0.0/24" });
    expect(message).toContain("vpcCidr");
    expect(message).toContain('"10.0.0.0/24"');
    expect(message).toContain("/23 or larger");
    accepts({ vpcCidr: "10.0.0.0/23" });
    // Own subnets: the budget is stated.
    const own = errorOf({
      vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.64/28", "10.0.0.80/28"],
      maxCount: 10, dbPoolMaxSize: 9,
    });
    expect(own).toContain("privateSubnetCidrs");
    expect(own).toContain("/28 has 11 usable addresses (16 - 5 AWS reserves)");
    expect(own).toContain("a private subnet needs 17: 15 tasks (maxCount 10 + deploy surge 5, one address each) + 2 for the database");
    // The same /28s hold the default four tasks with their surge and the database (6 + 2 of 11).
    accepts({ vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.64/28", "10.0.0.80/28"] });
    const small = errorOf({ vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/28", "10.0.0.16/28"], privateSubnetCidrs: ["10.0.0.64/26", "10.0.0.128/26"] });
    expect(small).toContain("publicSubnetCidrs");
    expect(small).toContain("/27 or larger (the ALB needs /27");
  });

  test("a hostname ACM would refuse as a certificate's name (over 64 characters) with hostedZoneId", () => {
    const long = `${"a".repeat(53)}.example.com`;
    const message = errorOf({ hostname: long, hostedZoneId: "Z0123456789ABC" });
    expect(message).toContain(`"${long}"`);
    expect(message).toContain("at most 64 characters with hostedZoneId");
    accepts({ hostname: `${"a".repeat(52)}.example.com`, hostedZoneId: "Z0123456789ABC" });
  });

  test("adminAllowedCidrs 0.0.0.0/0 needs the explicit opt-in adminPublic", () => {
    const message = errorOf({ adminAllowedCidrs: ["0.0.0.0/0"] });
    expect(message).toContain("adminAllowedCidrs");
    expect(message).toContain("KEYCLOAK_ADMIN_PUBLIC=true");
    accepts({ adminAllowedCidrs: ["0.0.0.0/0"], adminPublic: true });
  });
});
