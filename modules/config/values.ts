/**
 * What settings may hold: the allowed lists (Fargate sizes, TLS policies, ...) and the parsers
 * and checks the settings table (settings.ts) is built from.
 */
import { MIN_WINDOW_MINUTES, type Window } from "../database/rds-windows";
import { constant } from "../shared/constant";

export { EGRESS_MODES, NAT_GATEWAY_MODES, type EgressMode, type NatGatewayMode } from "../network/egress";
export { CPU_ARCHITECTURES, FARGATE_SIZES, type CpuArchitecture } from "../service/fargate";
export { MYSQL_INSTANCE_FAMILIES, MYSQL_VERSIONS, type MysqlVersion } from "../database/engine";
export { MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS } from "../edge/listener-routes";
export { TLS_POLICIES } from "../edge/tls-policies";
export const PROFILES = constant(["prod", "dev"]);
/** Tasks with highAvailability (one per zone), and the most desiredCount and maxCount allow. */
export const HA_MIN_TASKS = 2;
export const MAX_TASKS = 100;
export type Profile = (typeof PROFILES)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = constant([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);
/** Our ceiling for the ALB access logs' retention: S3 expiration takes any positive day count; ten years, as CloudWatch's longest retention. */
export const MAX_ACCESS_LOG_RETENTION_DAYS = 3653;

export type Raw = unknown;

// ---- parsers -------------------------------------------------------------

export const asString = (raw: Raw, fail: () => never): string => {
  if (typeof raw === "string") return raw.trim();
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return fail();
};

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: Raw, fail: (extra?: string) => never): number => {
    const text = asString(raw, fail);
    if (!/^-?\d+$/.test(text)) fail();
    const n = Number(text);
    if (n < min || n > max) fail();
    return n;
  };

export const bool = (raw: Raw, fail: () => never): boolean => {
  if (typeof raw === "boolean") return raw;
  const text = asString(raw, fail).toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  return fail();
};

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: Raw, fail: () => never): T => {
    const text = asString(raw, fail);
    return (values as readonly string[]).includes(text) ? (text as T) : fail();
  };

export const list =
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

export const matching =
  (re: RegExp, allowEmpty = false) =>
  (raw: Raw, fail: () => never): string => {
    const text = asString(raw, fail);
    if (allowEmpty && text === "") return text;
    return re.test(text) ? text : fail();
  };

/** An IPv4 CIDR's shape: four octets and a prefix (parseCidr checks their ranges). */
export const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function parseCidr(text: string): { base: number; prefix: number } | undefined {
  const m = IPV4_CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return undefined;
  return { base, prefix };
}

export const isCidr = (s: string) => parseCidr(s) !== undefined;

/** An RDS window in lowercase, as RDS reports it back (so plans show no spurious diff). */
export const rdsWindow =
  (parse: (text: string) => Window | undefined, minutes: (w: Window) => number) =>
  (raw: Raw, fail: (extra?: string) => never): string => {
    const text = asString(raw, fail).toLowerCase();
    const window = parse(text);
    if (!window) return fail();
    if (minutes(window) < MIN_WINDOW_MINUTES) fail(`${minutes(window)} minutes long`);
    return text;
  };

export function cidrRange(cidr: string): [number, number] {
  const { base, prefix } = parseCidr(cidr)!;
  return [base, base + 2 ** (32 - prefix) - 1];
}

export function overlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

export function within(inner: string, outer: string): boolean {
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

export const EMAIL = /^[^\s@,]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
export const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
export const AZ_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const IMAGE_URI =
  /^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

// The settings' own patterns (settings.ts); __tests__/config/patterns.test.ts holds examples each
// one must accept and refuse, and shows every mutant of each pattern misjudges one of them.
/** namePrefix: 1-20 lowercase letters, digits and hyphens, a letter first and no hyphen last. */
export const NAME_PREFIX = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;
/** hostnameAdmin: https://<host>[:port]; the host must then be a DNS name and the port in range. */
export const HTTPS_ORIGIN = /^https:\/\/([^:/]+)(?::(\d{1,5}))?$/;
/**
 * hostedZoneId: a Route53 zone id, at most 32 characters with its Z (Route 53 API Reference,
 * HostedZone, Id: "Maximum length of 32", https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html).
 */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{4,31}$/;
/** publicRealms: a realm name the listener can route. */
export const REALM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** dbInstanceClass: db.<family>.<size> (both then looked up in the engine's tables). */
export const DB_INSTANCE_CLASS = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/;
/** bastionInstanceType: <family>.<size>. */
export const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** bastionAmiId: ami- and 8 (older) or 17 hex digits. */
export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** stateBucket: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
