/**
 * The shapes the AWS rules table is checked on: the policy's shapes (profiles, egress modes,
 * certificates, HA, architectures) plus the profiles crossed with every egress mode and every
 * setting at its first and at its last accepted value (lists at their longest). Each stack is
 * synthesized once per process and kept.
 */
import type { RawSettings } from "../../modules/config";
import { LOG_RETENTION_DAYS, MAX_ACCESS_LOG_RETENTION_DAYS, MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS, TLS_POLICIES } from "../../modules/config/values";
import { MAX_STORAGE_GIB } from "../../modules/database/engine";
import { SG_RULES_PER_DIRECTION } from "../../modules/network/subnet-budget";
import { WAF_MAX_RATE_LIMIT, WAF_MIN_RATE_LIMIT } from "../../modules/edge/waf-limits";
import { synthStack, type TerraformJson } from "../../modules/synth";
import { SHAPE_SETTINGS, shapeOf } from "../shapes";
import type { Shape } from "../rule-kit";

const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `198.51.${100 + Math.floor(i / 256)}.${i % 256}/32`);

/** Every setting at the first value it accepts. */
export const FIRST: RawSettings = {
  namePrefix: "k", vpcCidr: "10.0.0.0/16", azCount: 2, egressMode: "nat", natGateways: "single", flowLogs: false,
  albIngressCidrs: ["0.0.0.0/0"], adminAllowedCidrs: [], adminPublic: false, publicRealms: [], tlsPolicy: TLS_POLICIES[0],
  mysqlVersion: "8.0", dbInstanceClass: "db.t3.micro", dbAllocatedStorageGb: 20, dbMaxAllocatedStorageGb: 22, dbMultiAz: false,
  dbBackupRetentionDays: 7, dbPoolMaxSize: 5, dbBackupWindow: "00:00-00:30", dbMaintenanceWindow: "mon:00:30-mon:01:00",
  throwAway: true, bastionAllowedCidrs: cidrs(1), taskCpu: 256, taskMemory: 512, cpuArchitecture: "X86_64",
  highAvailability: false, desiredCount: 1, maxCount: 1, cpuTargetPercent: 10, requestsPerTarget: 10, healthCheckGracePeriodSeconds: 120,
  logRetentionDays: LOG_RETENTION_DAYS[0], bootstrapAdmin: false, ecrKeepImages: 1, alarmEmails: [], alarm5xxPerMinute: 1,
  alarmResponseTimeP99Seconds: 1, alarmUtilizationPercent: 50, alarmDbFreeStorageGb: 1, alarmDbFreeMemoryMb: 16, alarmDbConnectionsPercent: 50,
  alarmClusterSplitMinutes: 3, wafEnabled: false, wafTokenRateLimit: WAF_MIN_RATE_LIMIT, wafLoginActionsRateLimit: WAF_MIN_RATE_LIMIT,
  baseImageDigest: `sha256:${"0".repeat(64)}`, albAccessLogs: false, albAccessLogRetentionDays: 1,
};

/** Every setting at the last value it accepts, lists at their longest. */
export const LAST: RawSettings = {
  namePrefix: "abcdefghij-klmnopq9z", vpcCidr: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  egressMode: "endpoints", natGateways: "per-az", flowLogs: true, hostname: `${"a".repeat(52)}.example.com`, hostedZoneId: "Z0123456789ABCDEFGHIJ",
  albIngressCidrs: cidrs(SG_RULES_PER_DIRECTION / 2), adminAllowedCidrs: cidrs(MAX_ADMIN_CIDRS),
  publicRealms: Array.from({ length: MAX_PUBLIC_REALMS }, (_, i) => `realm-${i}`), hostnameAdmin: "https://admin.example.com:65535",
  tlsPolicy: TLS_POLICIES[TLS_POLICIES.length - 1], mysqlVersion: "8.4", dbInstanceClass: "db.r8g.48xlarge",
  dbAllocatedStorageGb: 16384, dbMaxAllocatedStorageGb: MAX_STORAGE_GIB, dbMultiAz: true, dbBackupRetentionDays: 35, dbPoolMaxSize: 500,
  dbBackupWindow: "23:00-23:59", dbMaintenanceWindow: "sun:00:00-sun:23:00", throwAway: false, privateZoneName: `${"b".repeat(63)}.internal`,
  bastionAllowedCidrs: cidrs(SG_RULES_PER_DIRECTION), bastionInstanceType: "m7g.16xlarge", taskCpu: 16384, taskMemory: 122880,
  cpuArchitecture: "ARM64", highAvailability: true, desiredCount: 100, maxCount: 100, cpuTargetPercent: 90, requestsPerTarget: 100000,
  healthCheckGracePeriodSeconds: 3600, logRetentionDays: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1], bootstrapAdmin: true,
  imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/keycloak@sha256:" + "a".repeat(64), ecrKeepImages: 1000,
  alarmEmails: Array.from({ length: 10 }, (_, i) => `ops${i}@example.com`), alarm5xxPerMinute: 100000, alarmResponseTimeP99Seconds: 60,
  alarmUtilizationPercent: 100, alarmDbFreeStorageGb: 1000, alarmDbFreeMemoryMb: 65536, alarmDbConnectionsPercent: 100, alarmClusterSplitMinutes: 60,
  wafEnabled: true, wafTokenRateLimit: WAF_MAX_RATE_LIMIT, wafLoginActionsRateLimit: WAF_MAX_RATE_LIMIT,
  albAccessLogs: true, albAccessLogRetentionDays: MAX_ACCESS_LOG_RETENTION_DAYS,
};

export const AWS_SHAPE_SETTINGS: readonly [string, RawSettings][] = [
  ...SHAPE_SETTINGS,
  ["dev profile, nat egress", { profile: "dev", egressMode: "nat", bastionAllowedCidrs: cidrs(1) }],
  ["dev profile, endpoints egress, ARM64", { profile: "dev", egressMode: "endpoints", cpuArchitecture: "ARM64", bastionAllowedCidrs: cidrs(1) }],
  ["every setting at its first value", FIRST],
  ["every setting at its last value", LAST],
  ["smallest task", { taskCpu: 256, taskMemory: 512, bastionAllowedCidrs: cidrs(1) }],
  ["largest task", { taskCpu: 16384, taskMemory: 122880, bastionAllowedCidrs: cidrs(1) }],
  ["WAF at its smallest rate limits", { wafTokenRateLimit: WAF_MIN_RATE_LIMIT, wafLoginActionsRateLimit: WAF_MIN_RATE_LIMIT, bastionAllowedCidrs: cidrs(1) }],
  ["smallest network", { vpcCidr: "10.0.0.0/23", bastionAllowedCidrs: cidrs(1) }],
  ["ALB access logs in a Region without an ELB account", { region: "eu-central-2", albAccessLogs: true, albAccessLogRetentionDays: 1, bastionAllowedCidrs: cidrs(1) }],
];

let cached: { shape: Shape; json: TerraformJson }[] | undefined;

/** The synthesized stack of every shape, synthesized once per process. */
export function awsRuleStacks(): { shape: Shape; json: TerraformJson }[] {
  cached ??= AWS_SHAPE_SETTINGS.map(([name, settings]) => ({ shape: shapeOf(name, settings), json: synthStack(settings) }));
  return cached;
}
