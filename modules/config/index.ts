import { DB_HOST_LABEL } from "../shared/constants";
import { FARGATE_SIZES, HA_MIN_TASKS, MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS, overlaps, parseCidr, within, type Profile } from "./values";
import { connectionDemand, instanceMemoryGib, maxConnections, RESERVED_CONNECTIONS, type ConnectionDemand } from "../database/database-capacity";
import { parseDailyWindow, parseWeeklyWindow, windowsOverlap } from "../database/rds-windows";
import { azTotal, envVarName, PROFILE_PRESETS, SETTINGS, type KeycloakConfig, type Setting, type SettingKey } from "./settings";
import { deploySurge, oneAtATimeMaximumPercent } from "../service/task-lifecycle";
import { maxStorageGib, minMaxAllocatedStorageGib } from "../database/engine";
/** ACM refuses a certificate whose domain name (its common name) is longer (RequestCertificate). */
const ACM_DOMAIN_NAME_MAX = 64;
import { ALB_FREE_ADDRESSES, ALB_SUBNET_MAX_PREFIX, RESERVED_PER_SUBNET, SG_RULES_PER_DIRECTION, subnetNeed, usableAddresses } from "../network/subnet-budget";
import { constant } from "../shared/constant";

/**
 * The one configuration object of the stack: every setting with its default, its
 * environment variable, what it accepts and why it exists. The README's configuration
 * table is generated from SETTINGS, so code and docs cannot disagree.
 *
 * Sources, later wins: built-in default < profile preset < cdktf.json context
 * (`keycloak` for all environments, `environments.<name>` for one) < environment variable.
 * The settings live in settings.ts, what they may hold in config-values.ts; this module is the
 * entry point the stack and the tools use.
 */

export { cidrSubnet, parseCidr } from "./values";
export type { CpuArchitecture, EgressMode, MysqlVersion, NatGatewayMode, Profile } from "./values";
export { envVarName, settingLabel, PROFILE_PRESETS, SETTINGS, type KeycloakConfig } from "./settings";

/** A setting failed validation; the message names the setting, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type RawSettings = Readonly<Record<string, unknown>>;

export interface ConfigSources {
  /** Environment name: `dev`, `prod`, ... */
  readonly environment: string;
  /** cdktf.json context `keycloak` (shared by all environments). */
  readonly shared?: RawSettings;
  /** cdktf.json context `environments.<name>`. */
  readonly perEnvironment?: RawSettings;
  /** Process environment (KEYCLOAK_* variables). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where warnings go. @default console.warn */
  readonly warn?: (message: string) => void;
}

const KNOWN_KEYS = new Set<string>(SETTINGS.map((s) => s.key));

function describe(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}

/** Builds and validates the configuration of one environment; throws ConfigError. */
export function loadConfig(sources: ConfigSources): KeycloakConfig {
  const env = sources.env ?? {};
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(sources.environment)) {
    throw new ConfigError(
      `Invalid environment name ${describe(sources.environment)}: allowed are 1-16 lowercase letters, digits or hyphens, starting with a letter.`,
    );
  }
  for (const [where, raw] of constant([
    ["cdktf.json context \"keycloak\"", sources.shared],
    [`cdktf.json context "environments.${sources.environment}"`, sources.perEnvironment],
  ])) {
    for (const key of Object.keys(raw ?? {})) {
      if (!KNOWN_KEYS.has(key)) {
        throw new ConfigError(`Unknown setting "${key}" in ${where}: allowed are ${[...KNOWN_KEYS].join(", ")}.`);
      }
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith("KEYCLOAK_") && env[name] !== undefined && !SETTING_BY_ENV.has(name) && !RESERVED_ENV.has(name)) {
      // A warning, not an error: Keycloak users often have KEYCLOAK_ADMIN and the like set.
      (sources.warn ?? console.warn)(`Warning: environment variable ${name} is not a setting of this stack and is ignored.`);
    }
  }

  // Raw value and where it came from, for each setting given anywhere.
  const given = new Map<string, { raw: unknown; origin: string }>();
  const take = (raw: RawSettings | undefined, origin: (key: string) => string) => {
    for (const [key, value] of Object.entries(raw ?? {})) given.set(key, { raw: value, origin: origin(key) });
  };
  take(sources.shared, (k) => `${k} (cdktf.json context keycloak.${k})`);
  take(sources.perEnvironment, (k) => `${k} (cdktf.json context environments.${sources.environment}.${k})`);
  for (const s of SETTINGS) {
    const value = env[envVarName(s.key)];
    if (value !== undefined && value !== "") given.set(s.key, { raw: value, origin: `${s.key} (env ${envVarName(s.key)})` });
  }

  const profileEntry = given.get("profile");
  const profile: Profile = profileEntry
    ? parseOne(SETTINGS[0], profileEntry.raw, profileEntry.origin)
    : "prod";
  const preset = PROFILE_PRESETS[profile];
  // Where each setting's value came from, for the messages: given, the profile's preset, or the default.
  const originOf = (key: SettingKey) => given.get(key)?.origin ?? (key in preset ? `${key} (profile ${profile})` : `${key} (default)`);

  const config: Record<string, unknown> = { environment: sources.environment };
  const deferred: Setting<SettingKey>[] = [];
  for (const s of SETTINGS as readonly Setting<SettingKey>[]) {
    const entry = given.get(s.key);
    if (entry) config[s.key] = parseOne(s, entry.raw, entry.origin);
    else if (s.key in preset) config[s.key] = parseOne(s, preset[s.key], originOf(s.key));
    else if (typeof s.default === "function") deferred.push(s);
    else config[s.key] = s.default;
  }
  for (const s of deferred) config[s.key] = (s.default as (c: KeycloakConfig) => unknown)(config as unknown as KeycloakConfig);

  const result = config as unknown as KeycloakConfig;
  validateTogether(result, originOf);
  return result;
}

const SETTING_BY_ENV = new Map<string, SettingKey>(SETTINGS.map((s) => [envVarName(s.key), s.key]));
/** KEYCLOAK_* variables that are not settings but select what main.ts synthesizes. */
export const RESERVED_ENV = new Set(["KEYCLOAK_ENVIRONMENTS"]);

function parseOne<K extends SettingKey>(s: Setting<K>, raw: unknown, origin: string): KeycloakConfig[K] {
  return s.parse(raw, (extra?: string) => {
    throw new ConfigError(
      `Invalid setting ${origin}: got ${describe(raw)}${extra ? ` (${extra})` : ""}; allowed: ${s.allowed}.`,
    );
  });
}

function validateTogether(c: KeycloakConfig, origin: (key: SettingKey) => string): void {
  const fail = (key: SettingKey, value: unknown, allowed: string): never => {
    throw new ConfigError(`Invalid setting ${origin(key)}: got ${describe(value)}; allowed: ${allowed}.`);
  };
  const zones = azTotal(c);
  if (c.availabilityZones.length > 0) {
    if (c.availabilityZones.length < 2 || c.availabilityZones.length > 3) {
      fail("availabilityZones", c.availabilityZones, "2 or 3 distinct zone names of the region");
    }
    if (new Set(c.availabilityZones).size !== c.availabilityZones.length) {
      fail("availabilityZones", c.availabilityZones, "distinct zone names (no zone twice)");
    }
    for (const az of c.availabilityZones) {
      if (!az.startsWith(c.region)) fail("availabilityZones", c.availabilityZones, `zones of region ${c.region}`);
    }
  }
  checkSubnetBudget(c, origin, fail);
  const subnets = [...c.publicSubnetCidrs, ...c.privateSubnetCidrs];
  for (const key of constant(["publicSubnetCidrs", "privateSubnetCidrs"])) {
    if (c[key].length !== zones) {
      fail(key, c[key], `exactly ${zones} CIDRs, one per availability zone`);
    }
    for (const cidr of c[key]) {
      if (!within(cidr, c.vpcCidr)) fail(key, c[key], `CIDRs inside vpcCidr ${c.vpcCidr}`);
      if (parseCidr(cidr)!.prefix > 28) fail(key, c[key], "subnets of /28 or larger");
    }
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      if (overlaps(subnets[i], subnets[j])) {
        const key = j < c.publicSubnetCidrs.length ? "publicSubnetCidrs" : "privateSubnetCidrs";
        fail(key, c[key], `subnets that do not overlap (${subnets[i]} overlaps ${subnets[j]})`);
      }
    }
  }
  if (c.hostedZoneId !== "" && c.hostname === "") {
    fail("hostname", c.hostname, "a DNS name inside the zone when hostedZoneId is set");
  }
  if (c.hostedZoneId !== "" && c.hostname.length > ACM_DOMAIN_NAME_MAX) {
    fail("hostname", c.hostname, `at most ${ACM_DOMAIN_NAME_MAX} characters with hostedZoneId (ACM puts it in the certificate's common name, which RFC 5280 limits to 64)`);
  }
  if (c.adminAllowedCidrs.length > MAX_ADMIN_CIDRS) fail("adminAllowedCidrs", c.adminAllowedCidrs, `at most ${MAX_ADMIN_CIDRS} CIDRs`);
  if (c.publicRealms.length > MAX_PUBLIC_REALMS) fail("publicRealms", c.publicRealms, `at most ${MAX_PUBLIC_REALMS} realms`);
  if (new Set(c.publicRealms).size !== c.publicRealms.length) fail("publicRealms", c.publicRealms, "distinct realm names");
  const anywhere = c.bastionAllowedCidrs.filter((x) => parseCidr(x)!.prefix === 0);
  if (anywhere.length > 0 && !c.bastionAllowSshFromAnywhere) {
    fail(
      "bastionAllowedCidrs",
      c.bastionAllowedCidrs,
      `CIDRs narrower than /0; SSH from anywhere needs the explicit opt-in ${envVarName("bastionAllowSshFromAnywhere")}=true`,
    );
  }
  // Every CIDR opens 443 and 80 on the ALB's group; the bastion's opens 22 once per CIDR.
  if (c.albIngressCidrs.length * 2 > SG_RULES_PER_DIRECTION) {
    fail("albIngressCidrs", c.albIngressCidrs, `at most ${SG_RULES_PER_DIRECTION / 2} CIDRs (each opens 443 and 80: 2 inbound rules, ${SG_RULES_PER_DIRECTION} per security group)`);
  }
  if (c.bastionAllowedCidrs.length > SG_RULES_PER_DIRECTION) {
    fail("bastionAllowedCidrs", c.bastionAllowedCidrs, `at most ${SG_RULES_PER_DIRECTION} CIDRs (one inbound rule each, ${SG_RULES_PER_DIRECTION} per security group)`);
  }
  if (c.adminAllowedCidrs.some((x) => parseCidr(x)!.prefix === 0) && !c.adminPublic) {
    fail(
      "adminAllowedCidrs",
      c.adminAllowedCidrs,
      `CIDRs narrower than /0; the admin plane for everyone needs the explicit opt-in ${envVarName("adminPublic")}=true`,
    );
  }
  const memories = FARGATE_SIZES[c.taskCpu];
  if (!memories.includes(c.taskMemory)) {
    fail("taskMemory", c.taskMemory, `for taskCpu ${c.taskCpu}: ${compactSizes(memories)}`);
  }
  if (c.highAvailability && c.desiredCount < HA_MIN_TASKS) {
    fail("desiredCount", c.desiredCount, `${HA_MIN_TASKS} or more while highAvailability is true (set highAvailability false for one task)`);
  }
  if (c.maxCount < c.desiredCount) fail("maxCount", c.maxCount, `at least desiredCount (${c.desiredCount})`);
  if (windowsOverlap(parseDailyWindow(c.dbBackupWindow)!, parseWeeklyWindow(c.dbMaintenanceWindow)!)) {
    fail("dbBackupWindow", c.dbBackupWindow, `a window that does not overlap dbMaintenanceWindow (${c.dbMaintenanceWindow})`);
  }
  const { connections, surge, demand, fits } = connectionBudget(c);
  if (demand.total > connections) {
    fail(
      "dbPoolMaxSize",
      c.dbPoolMaxSize,
      `at most ${fits} with dbInstanceClass ${c.dbInstanceClass} (max_connections about ${connections}) and up to ${demand.tasks} tasks ` +
        `(maxCount ${c.maxCount} + deploy surge ${surge}): ${demand.tasks} x ${c.dbPoolMaxSize} + ${RESERVED_CONNECTIONS} reserved = ${demand.total} > ${connections}; ` +
        "lower dbPoolMaxSize or maxCount, or choose a larger dbInstanceClass",
    );
  }
  if (c.alarmDbFreeStorageGb >= c.dbMaxAllocatedStorageGb) {
    fail("alarmDbFreeStorageGb", c.alarmDbFreeStorageGb, `less than dbMaxAllocatedStorageGb (${c.dbMaxAllocatedStorageGb})`);
  }
  const minCeiling = minMaxAllocatedStorageGib(c.dbAllocatedStorageGb);
  if (c.dbMaxAllocatedStorageGb < minCeiling) {
    fail(
      "dbMaxAllocatedStorageGb",
      c.dbMaxAllocatedStorageGb,
      `at least ${minCeiling} (dbAllocatedStorageGb ${c.dbAllocatedStorageGb} + 10 %, rounded up: RDS refuses a smaller step with "Invalid max storage size")`,
    );
  }
  const classCeiling = maxStorageGib(c.dbInstanceClass);
  if (c.dbMaxAllocatedStorageGb > classCeiling) {
    fail("dbMaxAllocatedStorageGb", c.dbMaxAllocatedStorageGb, `at most ${classCeiling} with dbInstanceClass ${c.dbInstanceClass} (RDS's storage maximum of that class)`);
  }
}

export interface ConnectionBudget {
  /** The class's max_connections. */
  readonly connections: number;
  /** Tasks a deploy adds at maxCount. */
  readonly surge: number;
  readonly demand: ConnectionDemand;
  /** The largest dbPoolMaxSize that fits. */
  readonly fits: number;
}

/** The database connection budget synth checks: (maxCount + deploy surge) x pool + reserved against max_connections. */
export function connectionBudget(c: Pick<KeycloakConfig, "dbInstanceClass" | "desiredCount" | "maxCount" | "dbPoolMaxSize">): ConnectionBudget {
  const connections = maxConnections(instanceMemoryGib(c.dbInstanceClass)!);
  const surge = deploySurge(c.maxCount, oneAtATimeMaximumPercent(c.desiredCount));
  const demand = connectionDemand(c.maxCount, surge, c.dbPoolMaxSize);
  return { connections, surge, demand, fits: Math.floor((connections - RESERVED_CONNECTIONS) / demand.tasks) };
}

/**
 * Every subnet must hold what lands in it: AWS reserves 5 addresses of each; an ALB subnet
 * must be /27 or larger with 8 free; tasks (with a deploy's surge, all in one zone when the
 * others fail), interface endpoints and the database share the task subnets.
 */
function checkSubnetBudget(
  c: KeycloakConfig,
  origin: (key: SettingKey) => string,
  fail: (key: SettingKey, value: unknown, allowed: string) => never,
): void {
  const surge = deploySurge(c.maxCount, oneAtATimeMaximumPercent(c.desiredCount));
  for (const [key, kind] of constant([["publicSubnetCidrs", "public"], ["privateSubnetCidrs", "private"]])) {
    const defaulted = origin(key).endsWith("(default)");
    const need = subnetNeed(kind, c.egressMode, { maxCount: c.maxCount, surge });
    for (const cidr of c[key]) {
      const prefix = parseCidr(cidr)?.prefix;
      if (prefix === undefined) continue;
      const tooSmallForAlb = kind === "public" && prefix > ALB_SUBNET_MAX_PREFIX;
      const usable = usableAddresses(prefix);
      if (!tooSmallForAlb && usable >= need.total) continue;
      if (defaulted) {
        const vpcPrefix = parseCidr(c.vpcCidr)!.prefix;
        fail(
          "vpcCidr",
          c.vpcCidr,
          `a /${ALB_SUBNET_MAX_PREFIX - 4} or larger VPC for the default subnets (each /4 smaller than the VPC: /${vpcPrefix + 4} here; ` +
            `the ALB needs /${ALB_SUBNET_MAX_PREFIX} subnets, and a ${kind} subnet needs ${need.total} of its usable addresses), or publicSubnetCidrs and privateSubnetCidrs of your own`,
        );
      }
      fail(
        key,
        c[key],
        tooSmallForAlb
          ? `/${ALB_SUBNET_MAX_PREFIX} or larger (the ALB needs /${ALB_SUBNET_MAX_PREFIX} subnets with ${ALB_FREE_ADDRESSES} free addresses)`
          : `subnets that hold what lands in them: ${cidr} is /${prefix} and /${prefix} has ${usable} usable addresses ` +
              `(${2 ** (32 - prefix)} - ${RESERVED_PER_SUBNET} AWS reserves); a ${kind} subnet needs ${need.total}: ${need.parts.join(" + ")}`,
      );
    }
  }
}

function compactSizes(values: readonly number[]): string {
  return values.length > 4 ? `${values[0]} to ${values[values.length - 1]} in steps of ${values[1] - values[0]}` : values.join(", ");
}

/** The private DNS name Keycloak connects to. */
export function dbHostName(c: KeycloakConfig): string {
  return `${DB_HOST_LABEL}.${c.privateZoneName}`;
}
