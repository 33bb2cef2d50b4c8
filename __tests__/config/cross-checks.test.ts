/**
 * The checks that weigh one setting against others, at their exact edges (the last value that
 * fits passes, the next one is refused), with the whole message: setting, source, value, allowed.
 */
import { ConfigError, loadConfig, settingLabel, type RawSettings } from "../../modules/config";

const load = (perEnvironment: RawSettings) => loadConfig({ environment: "prod", perEnvironment, env: {}, warn: () => undefined });
function errorOf(perEnvironment: RawSettings): string {
  try {
    load(perEnvironment);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(perEnvironment)}`);
}
const from = (key: string) => `Invalid setting ${key} (cdktf.json context environments.prod.${key})`;
const realms = (n: number) => Array.from({ length: n }, (_, i) => `realm${i}`);
const own = { vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"] };

describe("settings checked against each other", () => {
  test("subnets: a private /28 holds exactly 11 (maxCount 6 + surge 3 + the database); maxCount 7 is one address short", () => {
    const subnets = { ...own, privateSubnetCidrs: ["10.0.0.64/28", "10.0.0.80/28"], dbPoolMaxSize: 9 };
    expect(load({ ...subnets, maxCount: 6 }).maxCount).toBe(6);
    expect(errorOf({ ...subnets, maxCount: 7 })).toBe(
      `${from("privateSubnetCidrs")}: got ["10.0.0.64/28","10.0.0.80/28"]; allowed: subnets that hold what lands in them: 10.0.0.64/28 is /28 and /28 has 11 usable addresses ` +
        "(16 - 5 AWS reserves); a private subnet needs 12: 10 tasks (maxCount 7 + deploy surge 3, one address each) + 2 for the database.",
    );
  });

  test("public-ip egress puts the tasks in the public subnets: a /27 holds 17 tasks with the ALB, NAT and bastion, not 18", () => {
    const publicIp = { ...own, egressMode: "public-ip", desiredCount: 3, dbInstanceClass: "db.t4g.medium", dbPoolMaxSize: 10, privateSubnetCidrs: ["10.0.0.64/28", "10.0.0.80/28"] };
    expect(load({ ...publicIp, maxCount: 13 }).maxCount).toBe(13);
    expect(errorOf({ ...publicIp, maxCount: 14 })).toContain(
      "10.0.0.0/27 is /27 and /27 has 27 usable addresses (32 - 5 AWS reserves); a public subnet needs 28: 18 tasks (maxCount 14 + deploy surge 4, one address each) + 8 free for the ALB + 1 NAT gateway + 1 bastion.",
    );
    // The same private /28s would be too small for 17 tasks with nat egress.
    expect(errorOf({ ...publicIp, egressMode: "nat", maxCount: 13 })).toContain("a private subnet needs 19");
  });

  test("a subnet smaller than /28 is refused even where its addresses would suffice (public-ip: a private /29 holds the database)", () => {
    expect(errorOf({ ...own, egressMode: "public-ip", privateSubnetCidrs: ["10.0.0.64/29", "10.0.0.80/28"] })).toBe(
      `${from("privateSubnetCidrs")}: got ["10.0.0.64/29","10.0.0.80/28"]; allowed: subnets of /28 or larger.`,
    );
  });

  test("default subnets too small: the message names vpcCidr, the subnet size it gives and what the subnet needs", () => {
    expect(errorOf({ vpcCidr: "10.0.0.0/24" })).toBe(
      `${from("vpcCidr")}: got "10.0.0.0/24"; allowed: a /23 or larger VPC for the default subnets (each /4 smaller than the VPC: /28 here; ` +
        "the ALB needs /27 subnets, and a public subnet needs 10 of its usable addresses), or publicSubnetCidrs and privateSubnetCidrs of your own.",
    );
  });

  test("database connections: 6 tasks x 11 + 10 reserved = 76 fits db.t4g.micro's 76 exactly; 12 per task does not", () => {
    expect(load({ dbInstanceClass: "db.t4g.micro", dbPoolMaxSize: 11 }).dbPoolMaxSize).toBe(11);
    expect(errorOf({ dbInstanceClass: "db.t4g.micro", dbPoolMaxSize: 12 })).toBe(
      `${from("dbPoolMaxSize")}: got 12; allowed: at most 11 with dbInstanceClass db.t4g.micro (max_connections about 76) and up to 6 tasks ` +
        "(maxCount 4 + deploy surge 2): 6 x 12 + 10 reserved = 82 > 76; lower dbPoolMaxSize or maxCount, or choose a larger dbInstanceClass.",
    );
  });

  test("a long hostname is refused only with hostedZoneId (it then names the certificate)", () => {
    const long = `${"a".repeat(53)}.example.com`;
    expect(load({ hostname: long }).hostname).toBe(long);
  });

  test("public realms: 50 are accepted, 51 are refused", () => {
    expect(load({ publicRealms: realms(50) }).publicRealms).toHaveLength(50);
    expect(errorOf({ publicRealms: realms(51) })).toBe(`${from("publicRealms")}: got ${JSON.stringify(realms(51))}; allowed: at most 50 realms.`);
  });

  test("availability zones: the messages for a wrong count and for a zone twice", () => {
    expect(errorOf({ availabilityZones: ["eu-west-1a"] })).toBe(`${from("availabilityZones")}: got ["eu-west-1a"]; allowed: 2 or 3 distinct zone names of the region.`);
    expect(errorOf({ availabilityZones: ["eu-west-1a", "eu-west-1a"] })).toBe(
      `${from("availabilityZones")}: got ["eu-west-1a","eu-west-1a"]; allowed: distinct zone names (no zone twice).`,
    );
  });

  test("a value the profile's preset set is named as the profile's, not as the default", () => {
    const dev = (env: Record<string, string>) => () => loadConfig({ environment: "dev", env: { KEYCLOAK_PROFILE: "dev", ...env }, warn: () => undefined });
    expect(dev({ KEYCLOAK_DESIRED_COUNT: "3" })).toThrow(new ConfigError("Invalid setting maxCount (profile dev): got 2; allowed: at least desiredCount (3)."));
    expect(dev({ KEYCLOAK_TASK_CPU: "4096" })).toThrow("Invalid setting taskMemory (profile dev): got 2048; allowed: for taskCpu 4096: ");
    expect(() => load({ desiredCount: 5 })).toThrow("Invalid setting maxCount (default): got 4; allowed: at least desiredCount (5).");
  });

  test("a text value is quoted as given, not JSON-escaped", () => {
    expect(() => loadConfig({ environment: 'a"b\\c', env: {} })).toThrow('Invalid environment name "a"b\\c": ');
  });

  test("settingLabel names the key and its environment variable", () => {
    expect(settingLabel("maxCount")).toBe("maxCount (env KEYCLOAK_MAX_COUNT)");
  });
});
