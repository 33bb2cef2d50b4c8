/**
 * The edges of what the configuration accepts: each range's first and last value pass and
 * the next one out is refused, lists and booleans in every form they may come in, and the
 * CIDR arithmetic the subnet defaults rest on.
 */
import { ConfigError, cidrSubnet, dbHostName, loadConfig, parseCidr, type RawSettings } from "../../modules/config";
import { overlaps } from "../../modules/config/values";

const load = (perEnvironment: RawSettings = {}, env: Record<string, string> = {}) =>
  loadConfig({ environment: "prod", perEnvironment, env, warn: () => undefined });
const refused = (perEnvironment: RawSettings, env: Record<string, string> = {}) => {
  expect(() => load(perEnvironment, env)).toThrow(ConfigError);
};

describe("configuration boundaries", () => {
  test.each([
    ["azCount", 2, 3],
    ["dbBackupRetentionDays", 7, 35],
    ["cpuTargetPercent", 10, 90],
    ["requestsPerTarget", 10, 100000],
    ["healthCheckGracePeriodSeconds", 120, 3600],
    ["ecrKeepImages", 1, 1000],
    ["dbMaxAllocatedStorageGb", 22, 65536],
  ] as const)("%s accepts %d and %d and refuses one beyond either end", (key, min, max) => {
    const base: RawSettings = key === "dbMaxAllocatedStorageGb" ? { dbAllocatedStorageGb: 20, dbInstanceClass: "db.t4g.large" } : {};
    expect(load({ ...base, [key]: min })[key]).toBe(min);
    expect(load({ ...base, [key]: String(max) })[key]).toBe(max);
    refused({ ...base, [key]: min - 1 });
    refused({ ...base, [key]: max + 1 });
  });

  test("integers: a sign, a fraction or an exponent is refused; surrounding blanks are not", () => {
    expect(load({}, { KEYCLOAK_ECR_KEEP_IMAGES: " 12 " }).ecrKeepImages).toBe(12);
    for (const bad of ["+5", "5.0", "1e2", "", " "]) refused({ ecrKeepImages: bad });
    refused({ ecrKeepImages: [5] });
  });

  test("booleans: true and false in any case, as text or as JSON booleans; anything else is refused", () => {
    expect(load({}, { KEYCLOAK_FLOW_LOGS: "FALSE" }).flowLogs).toBe(false);
    expect(load({ flowLogs: " True " }).flowLogs).toBe(true);
    expect(load({ flowLogs: false }).flowLogs).toBe(false);
    for (const bad of ["1", "no", 0]) refused({ flowLogs: bad });
  });

  test("lists: comma-separated text with blanks and empty items, or JSON arrays of strings", () => {
    expect(load({}, { KEYCLOAK_ALB_INGRESS_CIDRS: " 198.51.100.0/24 ,, 203.0.113.0/24, " }).albIngressCidrs).toEqual(["198.51.100.0/24", "203.0.113.0/24"]);
    expect(load({ albIngressCidrs: [" 198.51.100.0/24 "] }).albIngressCidrs).toEqual(["198.51.100.0/24"]);
    refused({ albIngressCidrs: [24] });
    refused({ albIngressCidrs: 24 });
  });

  test("text settings take numbers and booleans as text and refuse objects", () => {
    expect(load({ hostedZoneId: "Z0123456789ABC", hostname: "login.example.com" }).hostedZoneId).toBe("Z0123456789ABC");
    expect(load({ mysqlVersion: 8.4 }).mysqlVersion).toBe("8.4");
    expect(load({ namePrefix: true }).namePrefix).toBe("true");
    refused({ region: { name: "eu-west-1" } });
  });

  test("admin CIDRs: four are accepted, five are refused (an ALB rule condition holds five values with the path)", () => {
    const cidrs = ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "198.18.0.0/15", "100.64.0.0/10"];
    expect(load({ adminAllowedCidrs: cidrs.slice(0, 4) }).adminAllowedCidrs).toHaveLength(4);
    refused({ adminAllowedCidrs: cidrs });
  });

  test("counts: the maximum may equal the desired count; the storage ceiling is at least 10 % above the initial size (RDS)", () => {
    expect(load({ desiredCount: 3, maxCount: 3 }).maxCount).toBe(3);
    expect(load({ dbAllocatedStorageGb: 50, dbMaxAllocatedStorageGb: 55 }).dbMaxAllocatedStorageGb).toBe(55);
    refused({ dbAllocatedStorageGb: 50, dbMaxAllocatedStorageGb: 54 });
    expect(load({ highAvailability: false, desiredCount: 1, maxCount: 1 }).desiredCount).toBe(1);
  });

  test("zones: two or three distinct zones of the region", () => {
    expect(load({ availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }).publicSubnetCidrs).toEqual(["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]);
    refused({ availabilityZones: ["eu-west-1a"] });
    refused({ availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"] });
    refused({ availabilityZones: ["eu-west-1a", "eu-west-1a"] });
  });

  test("subnets: /27 public (the ALB's minimum) and /28 private are the smallest accepted, and a subnet may end exactly where the VPC ends", () => {
    const c = load({ vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.128/28", "10.0.0.240/28"] });
    expect(c.privateSubnetCidrs).toEqual(["10.0.0.128/28", "10.0.0.240/28"]);
    refused({ vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/28", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.128/28", "10.0.0.240/28"] });
    refused({ vpcCidr: "10.0.0.0/24", publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.128/29", "10.0.0.240/28"] });
    refused({ publicSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"], privateSubnetCidrs: ["10.0.16.0/24", "10.0.144.0/20"] });
  });

  test("a /23 VPC gets /27 default subnets (a /24's /28 are too small for the ALB); a /16 gets /20", () => {
    const small = load({ vpcCidr: "10.0.0.0/23" });
    expect(small.publicSubnetCidrs).toEqual(["10.0.0.0/27", "10.0.0.32/27"]);
    expect(small.privateSubnetCidrs).toEqual(["10.0.1.0/27", "10.0.1.32/27"]);
    refused({ vpcCidr: "10.0.0.0/24" });
    refused({ vpcCidr: "10.0.0.0/15" });
    refused({ vpcCidr: "10.0.0.0/25" });
  });

  test("parseCidr reads every address, prefix 0 to 32, and refuses host bits and out-of-range parts", () => {
    expect(parseCidr("0.0.0.0/0")).toEqual({ base: 0, prefix: 0 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ base: 4294967295, prefix: 32 });
    expect(parseCidr("10.1.2.0/24")).toEqual({ base: (10 << 24) + (1 << 16) + (2 << 8), prefix: 24 });
    for (const bad of ["256.0.0.0/8", "10.0.0.0/33", "10.0.0.1/24", "10.0.0/24", "10.0.0.0"]) expect(parseCidr(bad)).toBeUndefined();
    // No host bits may pass as a wider prefix: any address but 0.0.0.0 is not a /0; /33 is no prefix even for 0.0.0.0.
    for (const bad of ["10.0.0.0/0", "0.0.0.0/33", "x10.0.0.0/16", "10.0.0.0/16x", " 10.0.0.0/16"]) expect({ bad, parsed: parseCidr(bad) }).toEqual({ bad, parsed: undefined });
  });

  test("subnets inside the VPC: one before its start is refused like one after its end; listed in any order they do not overlap", () => {
    expect(() => load({ vpcCidr: "10.1.0.0/16", publicSubnetCidrs: ["10.0.0.0/20", "10.1.16.0/20"], privateSubnetCidrs: ["10.1.128.0/20", "10.1.144.0/20"] })).toThrow(
      "CIDRs inside vpcCidr 10.1.0.0/16",
    );
    expect(load({ publicSubnetCidrs: ["10.0.16.0/20", "10.0.0.0/20"], privateSubnetCidrs: ["10.0.144.0/20", "10.0.128.0/20"] }).publicSubnetCidrs).toEqual(["10.0.16.0/20", "10.0.0.0/20"]);
  });

  test("overlaps: ranges that share only their first or last address overlap", () => {
    expect(overlaps("10.0.0.15/32", "10.0.0.0/28")).toBe(true);
    expect(overlaps("10.0.0.0/28", "10.0.0.15/32")).toBe(true);
    expect(overlaps("10.0.0.0/28", "10.0.0.16/32")).toBe(false);
  });

  test("RDS windows: 30 minutes is the shortest accepted, 29 are refused with their length", () => {
    expect(load({ dbBackupWindow: "02:00-02:30" }).dbBackupWindow).toBe("02:00-02:30");
    expect(() => load({ dbBackupWindow: "02:00-02:29" })).toThrow('got "02:00-02:29" (29 minutes long)');
  });

  test("cidrSubnet counts subnets from the VPC's base, across octets", () => {
    expect(cidrSubnet("192.168.0.0/16", 24, 255)).toBe("192.168.255.0/24");
    expect(cidrSubnet("10.0.0.0/8", 20, 17)).toBe("10.1.16.0/20");
  });

  test("SSH from anywhere: any /0 among the bastion CIDRs needs the opt-in", () => {
    refused({ bastionAllowedCidrs: ["198.51.100.7/32", "0.0.0.0/0"] });
    expect(load({ bastionAllowedCidrs: ["0.0.0.0/0"], bastionAllowSshFromAnywhere: true }).bastionAllowedCidrs).toEqual(["0.0.0.0/0"]);
  });

  test("the database's private name is db.<privateZoneName>", () => {
    expect(dbHostName(load({ privateZoneName: "db-zone.internal" }))).toBe("db.db-zone.internal");
  });

  test("an environment name is 1-16 lowercase letters, digits or hyphens, starting with a letter", () => {
    expect(loadConfig({ environment: "a234567890123456", env: {} }).environment).toBe("a234567890123456");
    for (const bad of ["a2345678901234567", "1dev", "Dev", ""]) expect(() => loadConfig({ environment: bad, env: {} })).toThrow(/Invalid environment name/);
  });

  test("a ConfigError is named so, and its message says where a value came from, including the shared context", () => {
    let error: unknown;
    try {
      loadConfig({ environment: "prod", shared: { region: "europe" }, env: {} });
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe("ConfigError");
    expect((error as Error).message).toBe('Invalid setting region (cdktf.json context keycloak.region): got "europe"; allowed: an AWS region name such as eu-west-1.');
  });

  test("an empty value: ignored from the environment, taken as empty where a setting allows it", () => {
    expect(load({}, { KEYCLOAK_REGION: "" }).region).toBe("eu-west-1");
    expect(load({ hostname: "" }).hostname).toBe("");
    refused({ privateZoneName: "" });
  });

  test("memory the CPU does not take: few sizes are listed, many as a range with its step", () => {
    expect(() => load({ taskCpu: 512, taskMemory: 512 })).toThrow("for taskCpu 512: 1024, 2048, 3072, 4096.");
    expect(() => load({ taskCpu: 2048, taskMemory: 2048 })).toThrow("for taskCpu 2048: 4096 to 16384 in steps of 1024.");
  });

  test("only unknown KEYCLOAK_* variables with a value are warned about; settings and KEYCLOAK_ENVIRONMENTS are not", () => {
    const warnings: string[] = [];
    loadConfig({
      environment: "prod",
      env: { KEYCLOAK_ADMIN: "admin", KEYCLOAK_UNSET: undefined, KEYCLOAK_ENVIRONMENTS: "prod", KEYCLOAK_REGION: "eu-west-1", OTHER_VARIABLE: "x" },
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual(["Warning: environment variable KEYCLOAK_ADMIN is not a setting of this stack and is ignored."]);
  });
});

/** Settings whose parse rules sat inside `as const` until 8e94a24, out of the mutation benchmark's sight. */
describe("settings with rules of their own", () => {
  const message = (perEnvironment: RawSettings) => {
    try {
      load(perEnvironment);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`accepted: ${JSON.stringify(perEnvironment)}`);
  };

  test("namePrefix defaults to keycloak-<environment>: cut to 20 characters, no hyphen at the end, never two in a row", () => {
    const prefix = (environment: string) => loadConfig({ environment, perEnvironment: {}, env: {}, warn: () => undefined }).namePrefix;
    expect(prefix("prod")).toBe("keycloak-prod");
    expect(prefix("abcdefghijklmnop")).toBe("keycloak-abcdefghijk");
    expect(prefix("abcdefghij-k")).toBe("keycloak-abcdefghij");
    expect(prefix("abcdefghi--x")).toBe("keycloak-abcdefghi");
    expect(prefix("a--b")).toBe("keycloak-a-b");
  });

  test("namePrefix: one letter to 20 characters, starting with a letter, ending with a letter or digit; two hyphens in a row and reserved starts are refused by name", () => {
    for (const ok of ["a", "a1", `a${"b".repeat(18)}c`, "kc-prod"]) expect(load({ namePrefix: ok }).namePrefix).toBe(ok);
    for (const bad of [`a${"b".repeat(19)}c`, "1abc", "abc-", "Abc", "-abc", "ab_c", "xx/abc"]) refused({ namePrefix: bad });
    expect(message({ namePrefix: "ab--cd" })).toContain('got "ab--cd" (two hyphens in a row)');
    expect(message({ namePrefix: "sg" })).toContain('got "sg" (its names would start with sg-)');
    expect(message({ namePrefix: "sg-a" })).toContain("(its names would start with sg-)");
    expect(message({ namePrefix: "internal" })).toContain("(its names would start with internal-)");
    expect(load({ namePrefix: "sgx" }).namePrefix).toBe("sgx");
  });

  test("vpcCidr: an IPv4 CIDR from /16 to /24; wider, narrower or not a CIDR is refused", () => {
    expect(load({ vpcCidr: "10.1.0.0/16" }).vpcCidr).toBe("10.1.0.0/16");
    for (const bad of ["10.0.0.0/15", "10.0.0.0/25", "10.0.0.0", "ten"]) refused({ vpcCidr: bad });
    // Subnets that fit a /25 as well: only the VPC's own range refuses it.
    const fitting: RawSettings = { azCount: 2, publicSubnetCidrs: ["10.0.0.0/27", "10.0.0.32/27"], privateSubnetCidrs: ["10.0.0.64/28", "10.0.0.80/28"] };
    expect(load({ ...fitting, vpcCidr: "10.0.0.0/24" }).vpcCidr).toBe("10.0.0.0/24");
    expect(message({ ...fitting, vpcCidr: "10.0.0.0/25" })).toContain('Invalid setting vpcCidr (cdktf.json context environments.prod.vpcCidr): got "10.0.0.0/25"');
  });

  test("hostnameAdmin: empty or https://<DNS name> with a port from 1 to 65535; anything around it, another scheme or a bad name is refused", () => {
    for (const ok of ["", "https://admin.example.com", "https://admin.example.com:1", "https://admin.example.com:8443", "https://admin.example.com:65535"]) {
      expect(load({ hostnameAdmin: ok }).hostnameAdmin).toBe(ok);
    }
    for (const bad of [
      "http://admin.example.com", "https://admin.example.com/", "xhttps://admin.example.com", "https://admin.example.com:0",
      "https://admin.example.com:65536", "https://admin.example.com:123456", "https://admin.example.com:", "https://:443", "https://-admin.example.com",
    ]) refused({ hostnameAdmin: bad });
  });

  test("dbInstanceClass: exactly db.<family>.<size>, nothing before or after it", () => {
    expect(load({ dbInstanceClass: "db.r6g.large" }).dbInstanceClass).toBe("db.r6g.large");
    // Refused by the pattern itself (no remark), not later by the memory table's own parse.
    for (const bad of ["xdb.t4g.small", "db.t4g.small.x", "db.t4g.small-", "db.t4g"]) expect(message({ dbInstanceClass: bad })).toContain(`got "${bad}"; allowed: db.<family>.<size>`);
  });

  test("a setting that must match a pattern refuses the empty text (region)", () => {
    expect(message({ region: "" })).toContain('region (cdktf.json context environments.prod.region): got ""');
  });

  test("an unknown setting in the shared context is named with where it came from", () => {
    expect(() => loadConfig({ environment: "prod", shared: { nope: 1 }, perEnvironment: {}, env: {}, warn: () => undefined })).toThrow(
      'Unknown setting "nope" in cdktf.json context "keycloak": allowed are ',
    );
  });
});
