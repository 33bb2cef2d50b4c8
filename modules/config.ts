import { DB_HOST_LABEL } from "./constants";
import {
  dailyMinutes,
  MIN_WINDOW_MINUTES,
  parseDailyWindow,
  parseWeeklyWindow,
  weeklyMinutes,
  windowsOverlap,
  type Window,
} from "./rds-windows";
import { connectionDemand, instanceMemoryGib, maxConnections, RESERVED_CONNECTIONS } from "./database-capacity";
import { deploySurge, oneAtATimeMaximumPercent, TASK_LIFECYCLE } from "./task-lifecycle";
import { ALB_VALUES_PER_RULE, MASTER_REALM, REALM_NAMES_LIKE_ENCODED_DOTS } from "./listener-routes";

/**
 * The one configuration object of the stack: every setting with its default, its
 * environment variable, what it accepts and why it exists. The README's configuration
 * table is generated from SETTINGS, so code and docs cannot disagree.
 *
 * Sources, later wins: built-in default < profile preset < cdktf.json context
 * (`keycloak` for all environments, `environments.<name>` for one) < environment variable.
 */

/** A setting failed validation; the message names the setting, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const EGRESS_MODES = ["nat", "public-ip", "endpoints"] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];
export const NAT_GATEWAY_MODES = ["single", "per-az"] as const;
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];
export const CPU_ARCHITECTURES = ["X86_64", "ARM64"] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];
export const PROFILES = ["prod", "dev"] as const;
export type Profile = (typeof PROFILES)[number];
export const MYSQL_VERSIONS = ["8.0", "8.4"] as const;
export type MysqlVersion = (typeof MYSQL_VERSIONS)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** ALB security policies that allow only TLS 1.2 and 1.3. */
export const TLS_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
] as const;

/** Fargate's task CPU units and the memory (MiB) each accepts. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** RDS instance families that run MySQL 8.0 and 8.4. */
export const MYSQL_INSTANCE_FAMILIES = [
  "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g",
  "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g",
] as const;

/** Admin sources share an ALB rule with one path pattern. */
const MAX_ADMIN_CIDRS = ALB_VALUES_PER_RULE - 1;
/** Keeps the listener far below the ALB's 100 rules per listener (5 realms per rule). */
const MAX_PUBLIC_REALMS = 50;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export interface KeycloakConfig {
  /** Name of the environment (stack id suffix), e.g. `dev` or `prod`. */
  readonly environment: string;
  readonly profile: Profile;
  readonly region: string;
  readonly namePrefix: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly azCount: number;
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly egressMode: EgressMode;
  readonly natGateways: NatGatewayMode;
  readonly flowLogs: boolean;
  readonly hostname: string;
  readonly hostedZoneId: string;
  readonly albIngressCidrs: readonly string[];
  readonly adminAllowedCidrs: readonly string[];
  readonly adminPublic: boolean;
  readonly publicRealms: readonly string[];
  readonly hostnameAdmin: string;
  readonly tlsPolicy: string;
  readonly mysqlVersion: MysqlVersion;
  readonly dbInstanceClass: string;
  readonly dbAllocatedStorageGb: number;
  readonly dbMaxAllocatedStorageGb: number;
  readonly dbMultiAz: boolean;
  readonly dbBackupRetentionDays: number;
  readonly dbPoolMaxSize: number;
  readonly dbBackupWindow: string;
  readonly dbMaintenanceWindow: string;
  readonly throwAway: boolean;
  readonly privateZoneName: string;
  readonly bastionAllowedCidrs: readonly string[];
  readonly bastionAllowSshFromAnywhere: boolean;
  readonly bastionInstanceType: string;
  readonly bastionAmiId: string;
  readonly taskCpu: number;
  readonly taskMemory: number;
  readonly cpuArchitecture: CpuArchitecture;
  readonly highAvailability: boolean;
  readonly desiredCount: number;
  readonly maxCount: number;
  readonly cpuTargetPercent: number;
  readonly requestsPerTarget: number;
  readonly healthCheckGracePeriodSeconds: number;
  readonly logRetentionDays: number;
  readonly bootstrapAdmin: boolean;
  readonly imageUri: string;
  readonly ecrKeepImages: number;
  readonly alarmEmails: readonly string[];
  readonly alarm5xxPerMinute: number;
  readonly alarmResponseTimeP99Seconds: number;
  readonly alarmUtilizationPercent: number;
  readonly alarmDbFreeStorageGb: number;
  readonly alarmDbFreeMemoryMb: number;
  readonly alarmDbConnectionsPercent: number;
  readonly stateBucket: string;
  readonly stateRegion: string;
}

type SettingKey = Exclude<keyof KeycloakConfig, "environment">;
type Raw = unknown;

interface Setting<K extends SettingKey> {
  readonly key: K;
  /** One line for the README table. */
  readonly doc: string;
  /** What the setting accepts, in words, for errors and the README. */
  readonly allowed: string;
  /** Default; a function when it derives from other settings. */
  readonly default: KeycloakConfig[K] | ((c: KeycloakConfig) => KeycloakConfig[K]);
  /** How the default reads in the README when it is derived. */
  readonly defaultDoc?: string;
  readonly parse: (raw: Raw, fail: (extra?: string) => never) => KeycloakConfig[K];
}

/** Environment variable of a setting: KEYCLOAK_ + upper snake case. */
export function envVarName(key: string): string {
  return "KEYCLOAK_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

// ---- parsers -------------------------------------------------------------

const asString = (raw: Raw, fail: () => never): string => {
  if (typeof raw === "string") return raw.trim();
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return fail();
};

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: Raw, fail: (extra?: string) => never): number => {
    const text = asString(raw, fail);
    if (!/^-?\d+$/.test(text)) fail();
    const n = Number(text);
    if (n < min || n > max) fail();
    return n;
  };

const bool = (raw: Raw, fail: () => never): boolean => {
  if (typeof raw === "boolean") return raw;
  const text = asString(raw, fail).toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  return fail();
};

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: Raw, fail: () => never): T => {
    const text = asString(raw, fail);
    return (values as readonly string[]).includes(text) ? (text as T) : fail();
  };

const list =
  (item: (s: string) => boolean) =>
  (raw: Raw, fail: (extra?: string) => never): string[] => {
    let items: unknown[];
    if (Array.isArray(raw)) items = raw;
    else if (typeof raw === "string") items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    else return fail();
    const strings = items.map((i) => (typeof i === "string" ? i.trim() : fail()));
    for (const s of strings) if (!item(s)) fail(`"${s}" is not valid`);
    return strings;
  };

const matching =
  (re: RegExp, allowEmpty = false) =>
  (raw: Raw, fail: () => never): string => {
    const text = asString(raw, fail);
    if (allowEmpty && text === "") return text;
    return re.test(text) ? text : fail();
  };

export function parseCidr(text: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return undefined;
  return { base, prefix };
}

const isCidr = (s: string) => parseCidr(s) !== undefined;

/** An RDS window in lowercase, as RDS reports it back (so plans show no spurious diff). */
const rdsWindow =
  (parse: (text: string) => Window | undefined, minutes: (w: Window) => number) =>
  (raw: Raw, fail: (extra?: string) => never): string => {
    const text = asString(raw, fail).toLowerCase();
    const window = parse(text);
    if (!window) return fail();
    if (minutes(window) < MIN_WINDOW_MINUTES) fail(`${minutes(window)} minutes long`);
    return text;
  };

function cidrRange(cidr: string): [number, number] {
  const { base, prefix } = parseCidr(cidr)!;
  return [base, base + 2 ** (32 - prefix) - 1];
}

function overlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

function within(inner: string, outer: string): boolean {
  const [i0, i1] = cidrRange(inner);
  const [o0, o1] = cidrRange(outer);
  return i0 >= o0 && i1 <= o1;
}

function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** The i-th subnet of `newPrefix` length inside `cidr` (Terraform's cidrsubnet). */
export function cidrSubnet(cidr: string, newPrefix: number, index: number): string {
  const { base } = parseCidr(cidr)!;
  return `${formatIp(base + index * 2 ** (32 - newPrefix))}/${newPrefix}`;
}

const EMAIL = /^[^\s@,]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const AZ_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const IMAGE_URI =
  /^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

/** Subnets: /16 VPC gives /20 subnets; public i at index i, private i at index 8 + i. */
function defaultSubnets(c: KeycloakConfig, offset: number): string[] {
  const { prefix } = parseCidr(c.vpcCidr)!;
  const newPrefix = Math.min(prefix + 4, 28);
  return Array.from({ length: azTotal(c) }, (_, i) => cidrSubnet(c.vpcCidr, newPrefix, offset + i));
}

function azTotal(c: KeycloakConfig): number {
  return c.availabilityZones.length > 0 ? c.availabilityZones.length : c.azCount;
}

// ---- the settings --------------------------------------------------------

function setting<K extends SettingKey>(s: Setting<K>): Setting<K> {
  return s;
}

export const SETTINGS = [
  setting({
    key: "profile",
    doc: "Preset for the environment: `prod` (safe, HA) or `dev` (cheap, throw-away). Settings you give override it.",
    allowed: PROFILES.join(", "),
    default: "prod",
    parse: oneOf(PROFILES),
  }),
  setting({
    key: "region",
    doc: "AWS region to deploy to.",
    allowed: "an AWS region name such as eu-west-1",
    default: "eu-west-1",
    parse: matching(REGION),
  }),
  setting({
    key: "namePrefix",
    doc: "Prefix of every resource name.",
    allowed: "1-20 lowercase letters, digits or hyphens, starting with a letter",
    default: (c) => `keycloak-${c.environment}`.slice(0, 20).replace(/-+$/, ""),
    defaultDoc: "keycloak-<environment>",
    parse: matching(/^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/),
  }),
  setting({
    key: "vpcCidr",
    doc: "IPv4 range of the VPC.",
    allowed: "an IPv4 CIDR from /16 to /24",
    default: "10.0.0.0/16",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const parsed = parseCidr(text);
      if (!parsed || parsed.prefix < 16 || parsed.prefix > 24) fail();
      return text;
    },
  }),
  setting({
    key: "availabilityZones",
    doc: "Availability zones to use. Empty: the first `azCount` zones from the aws_availability_zones data source.",
    allowed: "2 or 3 distinct zone names of the region (comma-separated in the env var)",
    default: [],
    parse: list((s) => AZ_NAME.test(s)),
  }),
  setting({
    key: "azCount",
    doc: "How many zones to spread over when `availabilityZones` is empty.",
    allowed: "2 or 3",
    default: 2,
    parse: integer(2, 3),
  }),
  setting({
    key: "publicSubnetCidrs",
    doc: "CIDRs of the public subnets, one per zone (ALB, bastion, NAT; tasks in `public-ip` mode).",
    allowed: "one IPv4 CIDR per zone, inside vpcCidr, not overlapping",
    default: (c) => defaultSubnets(c, 0),
    defaultDoc: "carved from vpcCidr (10.0.0.0/20, 10.0.16.0/20, ...)",
    parse: list(isCidr),
  }),
  setting({
    key: "privateSubnetCidrs",
    doc: "CIDRs of the private subnets, one per zone (database; tasks in `nat` and `endpoints` mode).",
    allowed: "one IPv4 CIDR per zone, inside vpcCidr, not overlapping",
    default: (c) => defaultSubnets(c, 8),
    defaultDoc: "carved from vpcCidr (10.0.128.0/20, 10.0.144.0/20, ...)",
    parse: list(isCidr),
  }),
  setting({
    key: "egressMode",
    doc: "How tasks reach ECR, CloudWatch Logs and Secrets Manager: NAT gateways, public IPs in public subnets (the original's no-NAT cost choice), or VPC endpoints with no internet at all.",
    allowed: EGRESS_MODES.join(", "),
    default: "nat",
    parse: oneOf(EGRESS_MODES),
  }),
  setting({
    key: "natGateways",
    doc: "With `nat` egress: one NAT gateway (cheaper) or one per zone (survives a zone outage).",
    allowed: NAT_GATEWAY_MODES.join(", "),
    default: "single",
    parse: oneOf(NAT_GATEWAY_MODES),
  }),
  setting({
    key: "flowLogs",
    doc: "VPC flow logs (rejected traffic only) to CloudWatch Logs.",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "hostname",
    doc: "Public host name of Keycloak. Empty: the ALB's own DNS name with a self-signed certificate, as the original did.",
    allowed: "empty or a DNS name (lowercase)",
    default: "",
    parse: matching(DNS_NAME, true),
  }),
  setting({
    key: "hostnameAdmin",
    doc: "Separate address of the admin console (Keycloak's `hostname-admin`), e.g. an internal name. Empty: the console is on hostname.",
    allowed: "empty or https://<DNS name>[:port]",
    default: "",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const m = /^https:\/\/([^:/]+)(?::(\d{1,5}))?$/.exec(text);
      if (text !== "" && (!m || !DNS_NAME.test(m[1]) || Number(m[2] ?? 443) < 1 || Number(m[2] ?? 443) > 65535)) fail();
      return text;
    },
  }),
  setting({
    key: "hostedZoneId",
    doc: "Route53 public zone of `hostname`: gets a DNS-validated ACM certificate and an alias record instead of the self-signed certificate.",
    allowed: "empty or a Route53 zone id (Z followed by capitals and digits); needs hostname",
    default: "",
    parse: matching(/^Z[A-Z0-9]{4,32}$/, true),
  }),
  setting({
    key: "albIngressCidrs",
    doc: "Who may reach the ALB on 80 and 443.",
    allowed: "one or more IPv4 CIDRs",
    default: ["0.0.0.0/0"],
    parse: list(isCidr),
  }),
  setting({
    key: "adminAllowedCidrs",
    doc: "Sources that reach the admin plane (`/admin/*`, the master realm) and every other path through the ALB. Empty: nobody does; the ALB answers 404.",
    allowed: `IPv4 CIDRs, at most ${MAX_ADMIN_CIDRS} (an ALB rule holds 5 condition values, one is the path)`,
    default: [],
    parse: list(isCidr),
  }),
  setting({
    key: "adminPublic",
    doc: "Forward every path from everyone, the admin plane included (the stack's behaviour before it was closed). The dev profile sets it; synth warns.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "publicRealms",
    doc: "Realms the ALB forwards from everyone (`/realms/<name>/*`, plus `/resources/*` for their pages). Realms not listed answer 404 outside adminAllowedCidrs.",
    allowed: `up to ${MAX_PUBLIC_REALMS} realm names of letters, digits, _ and -, not ${MASTER_REALM} in any case, not starting with one character and 2e (the ALB cannot tell that from an encoded dot)`,
    default: [],
    parse: list((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s) && s.toLowerCase() !== MASTER_REALM && !REALM_NAMES_LIKE_ENCODED_DOTS.test(s)),
  }),
  setting({
    key: "tlsPolicy",
    doc: "ALB TLS policy of the HTTPS listener.",
    allowed: TLS_POLICIES.join(", "),
    default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    parse: oneOf(TLS_POLICIES),
  }),
  setting({
    key: "mysqlVersion",
    doc: "RDS MySQL major version (minor upgrades are automatic).",
    allowed: MYSQL_VERSIONS.join(", "),
    default: "8.4",
    parse: oneOf(MYSQL_VERSIONS),
  }),
  setting({
    key: "dbInstanceClass",
    doc: "RDS instance class.",
    allowed: `db.<family>.<size> with a family that runs MySQL: ${MYSQL_INSTANCE_FAMILIES.join(", ")}`,
    default: "db.t4g.small",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const m = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(text);
      if (!m || !(MYSQL_INSTANCE_FAMILIES as readonly string[]).includes(m[1])) fail();
      // The connection budget below needs the class's memory.
      if (instanceMemoryGib(text) === undefined) fail("a size of that family we know the memory of: micro/small/medium (t families), large, xlarge, 2xlarge ... 48xlarge");
      return text;
    },
  }),
  setting({
    key: "dbAllocatedStorageGb",
    doc: "Initial gp3 storage of the database.",
    allowed: "integer 20 to 16384",
    default: 20,
    parse: integer(20, 16384),
  }),
  setting({
    key: "dbMaxAllocatedStorageGb",
    doc: "Storage autoscaling ceiling.",
    allowed: "integer from dbAllocatedStorageGb to 65536",
    default: 100,
    parse: integer(20, 65536),
  }),
  setting({
    key: "dbMultiAz",
    doc: "Standby database in a second zone.",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "dbBackupRetentionDays",
    doc: "Days of automated database backups.",
    allowed: "integer 7 to 35",
    default: 7,
    parse: integer(7, 35),
  }),
  setting({
    key: "dbPoolMaxSize",
    doc: `Keycloak's database connection pool per task (fixed size: initial = min = max). (maxCount + a deploy's surge) x this + ${RESERVED_CONNECTIONS} reserved must fit the class's max_connections (RDS: memory / 12582880).`,
    allowed: "integer 5 to 500, fitting dbInstanceClass's max_connections",
    default: 20,
    parse: integer(5, 500),
  }),
  setting({
    key: "dbBackupWindow",
    doc: "Daily UTC window for automated backups (I/O may pause briefly on single-AZ).",
    allowed: `hh24:mi-hh24:mi (UTC), at least ${MIN_WINDOW_MINUTES} minutes, not overlapping dbMaintenanceWindow`,
    default: "02:00-03:00",
    parse: rdsWindow(parseDailyWindow, dailyMinutes),
  }),
  setting({
    key: "dbMaintenanceWindow",
    doc: "Weekly UTC window for RDS maintenance (minor version upgrades, patches; Multi-AZ fails over to the standby).",
    allowed: `ddd:hh24:mi-ddd:hh24:mi (UTC, ddd one of mon..sun), at least ${MIN_WINDOW_MINUTES} minutes, not overlapping dbBackupWindow`,
    default: "sun:03:30-sun:04:30",
    parse: rdsWindow(parseWeeklyWindow, weeklyMinutes),
  }),
  setting({
    key: "throwAway",
    doc: "Throw-away environment: no deletion protection, no final snapshot, so `cdktf destroy` just works. Never for data you keep.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "privateZoneName",
    doc: "Private Route53 zone; the database is `db.<zone>`.",
    allowed: "a DNS name",
    default: "keycloak.internal",
    parse: matching(DNS_NAME),
  }),
  setting({
    key: "bastionAllowedCidrs",
    doc: "Who may SSH to the bastion (the deploying machine must, for the database setup). Empty: synth warns and plan stops.",
    allowed: "IPv4 CIDRs; 0.0.0.0/0 only with bastionAllowSshFromAnywhere",
    default: [],
    parse: list(isCidr),
  }),
  setting({
    key: "bastionAllowSshFromAnywhere",
    doc: "Opt-in to SSH from 0.0.0.0/0. Leave it off.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "bastionInstanceType",
    doc: "Bastion EC2 instance type; a Graviton type (with `g`) gets the arm64 AMI.",
    allowed: "an EC2 instance type such as t4g.nano or t3.micro",
    default: "t4g.nano",
    parse: matching(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/),
  }),
  setting({
    key: "bastionAmiId",
    doc: "Bastion AMI. Empty: the latest Amazon Linux 2023 from the public SSM parameter.",
    allowed: "empty or ami- followed by 8 or 17 hex digits",
    default: "",
    parse: matching(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, true),
  }),
  setting({
    key: "taskCpu",
    doc: "Fargate task CPU units (1024 = 1 vCPU).",
    allowed: Object.keys(FARGATE_SIZES).join(", "),
    default: 1024,
    parse: (raw, fail) => {
      const n = integer(256, 16384)(raw, fail);
      return FARGATE_SIZES[n] ? n : fail();
    },
  }),
  setting({
    key: "taskMemory",
    doc: "Fargate task memory (MiB). Keycloak wants about 1250 MiB; heap is 70 % of this.",
    allowed: "a memory size Fargate accepts for taskCpu",
    default: 2048,
    parse: integer(512, 122880),
  }),
  setting({
    key: "cpuArchitecture",
    doc: "CPU architecture of the tasks (and of the image build).",
    allowed: CPU_ARCHITECTURES.join(", "),
    default: "X86_64",
    parse: oneOf(CPU_ARCHITECTURES),
  }),
  setting({
    key: "highAvailability",
    doc: "Require at least 2 tasks. Turning it off allows a single task (no failover).",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "desiredCount",
    doc: "Keycloak tasks to run (also the autoscaling minimum).",
    allowed: "integer >= 2 (>= 1 with highAvailability false)",
    default: 2,
    parse: integer(1, 100),
  }),
  setting({
    key: "maxCount",
    doc: "Autoscaling maximum.",
    allowed: "integer from desiredCount to 100",
    default: 4,
    parse: integer(1, 100),
  }),
  setting({
    key: "cpuTargetPercent",
    doc: "Autoscaling target for average CPU.",
    allowed: "integer 10 to 90",
    default: 60,
    parse: integer(10, 90),
  }),
  setting({
    key: "requestsPerTarget",
    doc: "Autoscaling target for ALB requests per task per minute.",
    allowed: "integer 10 to 100000",
    default: 1000,
    parse: integer(10, 100000),
  }),
  setting({
    key: "healthCheckGracePeriodSeconds",
    doc: "Time a new task gets to start (and migrate the schema) before health checks count.",
    allowed: `integer ${TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds} (the container health check's start period) to 3600`,
    default: 300,
    parse: integer(TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds, 3600),
  }),
  setting({
    key: "logRetentionDays",
    doc: "CloudWatch log retention of Keycloak and flow logs.",
    allowed: LOG_RETENTION_DAYS.join(", "),
    default: 30,
    parse: (raw, fail) => {
      const n = integer(1, 3653)(raw, fail);
      return (LOG_RETENTION_DAYS as readonly number[]).includes(n) ? n : fail();
    },
  }),
  setting({
    key: "bootstrapAdmin",
    doc: "Keycloak's temporary bootstrap admin: the database setup fills its secret and every task gets it as KC_BOOTSTRAP_ADMIN_*. Needed for the first deploy; set false after `tools/permanent-admin.sh` has made a permanent admin, which deletes the secret and every role's access to it (README: Permanent admin).",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "imageUri",
    doc: "Prebuilt Keycloak image. Empty: docker/ is built and pushed to the stack's ECR repository during deploy.",
    allowed: "empty or registry/repository:tag or registry/repository@sha256:<digest>",
    default: "",
    parse: matching(IMAGE_URI, true),
  }),
  setting({
    key: "ecrKeepImages",
    doc: "Images the ECR lifecycle policy keeps.",
    allowed: "integer 1 to 1000",
    default: 10,
    parse: integer(1, 1000),
  }),
  setting({
    key: "alarmEmails",
    doc: "E-mail addresses subscribed to the alarm topic (each gets a confirmation mail). Empty: subscribe your own endpoint to the `alarm_topic_arn` output.",
    allowed: "e-mail addresses (comma-separated in the env var)",
    default: [],
    parse: list((s) => EMAIL.test(s)),
  }),
  setting({
    key: "alarm5xxPerMinute",
    doc: "5xx answers per minute (from the ALB itself, or from Keycloak) that raise an alarm when they last 5 minutes.",
    allowed: "integer 1 to 100000",
    default: 10,
    parse: integer(1, 100000),
  }),
  setting({
    key: "alarmResponseTimeP99Seconds",
    doc: "Alarm when the slowest 1 % of requests take this long for 10 minutes.",
    allowed: "integer 1 to 60",
    default: 2,
    parse: integer(1, 60),
  }),
  setting({
    key: "alarmUtilizationPercent",
    doc: "Alarm when task CPU, task memory or database CPU stay at or above this for 10 minutes.",
    allowed: "integer 50 to 100",
    default: 85,
    parse: integer(50, 100),
  }),
  setting({
    key: "alarmDbFreeStorageGb",
    doc: "Alarm when the database has less free storage than this.",
    allowed: "integer 1 to 1000, below dbMaxAllocatedStorageGb",
    default: 2,
    parse: integer(1, 1000),
  }),
  setting({
    key: "alarmDbFreeMemoryMb",
    doc: "Alarm when the database has less freeable memory than this.",
    allowed: "integer 16 to 65536",
    default: 128,
    parse: integer(16, 65536),
  }),
  setting({
    key: "alarmDbConnectionsPercent",
    doc: "Alarm when database connections reach this share of the class's max_connections.",
    allowed: "integer 50 to 100",
    default: 80,
    parse: integer(50, 100),
  }),
  setting({
    key: "stateBucket",
    doc: "S3 bucket for remote state (key `keycloak/<environment>.tfstate`, encrypted, S3 lock file). Empty: local state.",
    allowed: "empty or an S3 bucket name",
    default: "",
    parse: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, true),
  }),
  setting({
    key: "stateRegion",
    doc: "Region of the state bucket.",
    allowed: "an AWS region name",
    default: (c) => c.region,
    defaultDoc: "region",
    parse: matching(REGION),
  }),
] as const;

/** What the `dev` profile changes: cheap and disposable. `prod` keeps the defaults. */
export const PROFILE_PRESETS: Readonly<Record<Profile, Partial<Record<SettingKey, unknown>>>> = {
  prod: {},
  dev: {
    egressMode: "public-ip",
    dbMultiAz: false,
    dbInstanceClass: "db.t4g.micro",
    throwAway: true,
    flowLogs: false,
    taskCpu: 512,
    taskMemory: 2048,
    logRetentionDays: 7,
    maxCount: 2,
    adminPublic: true,
  },
};

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
  for (const [where, raw] of [
    ["cdktf.json context \"keycloak\"", sources.shared],
    [`cdktf.json context "environments.${sources.environment}"`, sources.perEnvironment],
  ] as const) {
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

  const config: Record<string, unknown> = { environment: sources.environment };
  const deferred: Setting<SettingKey>[] = [];
  for (const s of SETTINGS as readonly Setting<SettingKey>[]) {
    const entry = given.get(s.key);
    if (entry) config[s.key] = parseOne(s, entry.raw, entry.origin);
    else if (s.key in preset) config[s.key] = parseOne(s, preset[s.key], `${s.key} (profile ${profile})`);
    else if (typeof s.default === "function") deferred.push(s);
    else config[s.key] = s.default;
  }
  for (const s of deferred) config[s.key] = (s.default as (c: KeycloakConfig) => unknown)(config as unknown as KeycloakConfig);

  const result = config as unknown as KeycloakConfig;
  validateTogether(result, (key) => given.get(key)?.origin ?? `${key} (default)`);
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
  const subnets = [...c.publicSubnetCidrs, ...c.privateSubnetCidrs];
  for (const key of ["publicSubnetCidrs", "privateSubnetCidrs"] as const) {
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
  const memories = FARGATE_SIZES[c.taskCpu];
  if (!memories.includes(c.taskMemory)) {
    fail("taskMemory", c.taskMemory, `for taskCpu ${c.taskCpu}: ${compactSizes(memories)}`);
  }
  if (c.highAvailability && c.desiredCount < 2) {
    fail("desiredCount", c.desiredCount, "2 or more while highAvailability is true (set highAvailability false for one task)");
  }
  if (c.maxCount < c.desiredCount) fail("maxCount", c.maxCount, `at least desiredCount (${c.desiredCount})`);
  if (windowsOverlap(parseDailyWindow(c.dbBackupWindow)!, parseWeeklyWindow(c.dbMaintenanceWindow)!)) {
    fail("dbBackupWindow", c.dbBackupWindow, `a window that does not overlap dbMaintenanceWindow (${c.dbMaintenanceWindow})`);
  }
  const connections = maxConnections(instanceMemoryGib(c.dbInstanceClass)!);
  const surge = deploySurge(c.maxCount, oneAtATimeMaximumPercent(c.desiredCount));
  const demand = connectionDemand(c.maxCount, surge, c.dbPoolMaxSize);
  if (demand.total > connections) {
    const fits = Math.floor((connections - RESERVED_CONNECTIONS) / demand.tasks);
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
  if (c.dbMaxAllocatedStorageGb < c.dbAllocatedStorageGb) {
    fail("dbMaxAllocatedStorageGb", c.dbMaxAllocatedStorageGb, `at least dbAllocatedStorageGb (${c.dbAllocatedStorageGb})`);
  }
}

function compactSizes(values: readonly number[]): string {
  return values.length > 4 ? `${values[0]} to ${values[values.length - 1]} in steps of ${values[1] - values[0]}` : values.join(", ");
}

/** The private DNS name Keycloak connects to. */
export function dbHostName(c: KeycloakConfig): string {
  return `${DB_HOST_LABEL}.${c.privateZoneName}`;
}
