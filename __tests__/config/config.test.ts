import { ConfigError, SETTINGS, envVarName, loadConfig, cidrSubnet } from "../../modules/config";

describe("config", () => {
  test("every setting has its env var KEYCLOAK_<UPPER_SNAKE>, a doc line and an allowed-values text", () => {
    expect(envVarName("bastionAllowedCidrs")).toBe("KEYCLOAK_BASTION_ALLOWED_CIDRS");
    expect(envVarName("azCount")).toBe("KEYCLOAK_AZ_COUNT");
    for (const s of SETTINGS) {
      const name = envVarName(s.key);
      // Upper snake case: one underscore before each capital of the key, and nothing else changed.
      expect(name).toMatch(/^KEYCLOAK_[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(name.slice("KEYCLOAK_".length).split("_").join("")).toBe(s.key.toUpperCase());
      expect(name.split("_").length - 2).toBe(s.key.replace(/[^A-Z]/g, "").length);
      expect(s.doc.length).toBeGreaterThan(10);
      expect(s.allowed.length).toBeGreaterThan(0);
    }
  });

  test("defaults are the safe production ones", () => {
    const c = loadConfig({ environment: "prod", env: {} });
    expect(c).toMatchObject({
      profile: "prod", namePrefix: "keycloak-prod", egressMode: "nat", dbMultiAz: true, throwAway: false,
      desiredCount: 2, highAvailability: true, bastionAllowedCidrs: [], bastionAllowSshFromAnywhere: false,
      flowLogs: true, taskCpu: 1024, taskMemory: 2048, bootstrapAdmin: true,
    });
  });

  test("subnets are carved from the VPC CIDR: public from the bottom, private from the middle", () => {
    const c = loadConfig({ environment: "prod", perEnvironment: { vpcCidr: "10.20.0.0/16", azCount: 3 }, env: {} });
    expect(c.publicSubnetCidrs).toEqual(["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]);
    expect(c.privateSubnetCidrs).toEqual(["10.20.128.0/20", "10.20.144.0/20", "10.20.160.0/20"]);
    expect(cidrSubnet("10.0.0.0/24", 28, 8)).toBe("10.0.0.128/28");
  });

  test("the admin plane is closed by default, with no admin sources and no public realm; only the dev profile opens it", () => {
    expect(loadConfig({ environment: "prod", env: {} })).toMatchObject({ adminPublic: false, adminAllowedCidrs: [], publicRealms: [], hostnameAdmin: "" });
    expect(loadConfig({ environment: "dev", perEnvironment: { profile: "dev" }, env: {} }).adminPublic).toBe(true);
    expect(loadConfig({ environment: "dev", perEnvironment: { profile: "dev", adminPublic: false }, env: {} }).adminPublic).toBe(false);
  });

  test("the dev profile is cheap and disposable: no NAT, single-AZ micro database, throw-away, no flow logs, half-vCPU tasks, 7-day logs", () => {
    const c = loadConfig({ environment: "dev", perEnvironment: { profile: "dev" }, env: {} });
    expect(c).toMatchObject({
      egressMode: "public-ip", dbMultiAz: false, dbInstanceClass: "db.t4g.micro", throwAway: true, flowLogs: false,
      taskCpu: 512, taskMemory: 2048, logRetentionDays: 7, maxCount: 2,
    });
  });

  test("precedence: default < profile < shared context < environment context < environment variable", () => {
    const base = { environment: "dev", perEnvironment: { profile: "dev" } };
    expect(loadConfig({ ...base, env: {} }).logRetentionDays).toBe(7);
    expect(loadConfig({ ...base, shared: { logRetentionDays: 14 }, env: {} }).logRetentionDays).toBe(14);
    expect(loadConfig({ ...base, shared: { logRetentionDays: 14 }, perEnvironment: { profile: "dev", logRetentionDays: 60 }, env: {} }).logRetentionDays).toBe(60);
    expect(loadConfig({ ...base, shared: { logRetentionDays: 14 }, env: { KEYCLOAK_LOG_RETENTION_DAYS: "90" } }).logRetentionDays).toBe(90);
  });

  test("env vars give lists comma-separated and booleans as true/false", () => {
    const c = loadConfig({
      environment: "prod",
      env: { KEYCLOAK_BASTION_ALLOWED_CIDRS: "198.51.100.7/32, 203.0.113.0/24", KEYCLOAK_DB_MULTI_AZ: "false" },
    });
    expect(c.bastionAllowedCidrs).toEqual(["198.51.100.7/32", "203.0.113.0/24"]);
    expect(c.dbMultiAz).toBe(false);
  });

  test("an error names the setting with its source, the value and what is allowed", () => {
    expect(() => loadConfig({ environment: "prod", env: { KEYCLOAK_EGRESS_MODE: "vpn" } })).toThrow(
      new ConfigError('Invalid setting egressMode (env KEYCLOAK_EGRESS_MODE): got "vpn"; allowed: nat, public-ip, endpoints.'),
    );
    expect(() => loadConfig({ environment: "prod", perEnvironment: { desiredCount: 1 }, env: {} })).toThrow(
      /desiredCount \(cdktf\.json context environments\.prod\.desiredCount\): got 1; allowed: 2 or more while highAvailability is true/,
    );
  });

  test("unknown settings in cdktf.json are refused rather than ignored", () => {
    expect(() => loadConfig({ environment: "prod", shared: { dbMultiAZ: true }, env: {} })).toThrow(/Unknown setting "dbMultiAZ"/);
  });

  test("an unknown KEYCLOAK_ variable gets a warning (users often have KEYCLOAK_ADMIN set), not an error", () => {
    const warnings: string[] = [];
    loadConfig({ environment: "prod", env: { KEYCLOAK_EGRES_MODE: "nat" }, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(["Warning: environment variable KEYCLOAK_EGRES_MODE is not a setting of this stack and is ignored."]);
  });
});
