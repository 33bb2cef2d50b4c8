/** The MySQL major versions RDS runs that Keycloak 26 supports. */
export const MYSQL_VERSIONS = ["8.0", "8.4"] as const;
export type MysqlVersion = (typeof MYSQL_VERSIONS)[number];

/** RDS instance families that run MySQL 8.0 and 8.4. */
export const MYSQL_INSTANCE_FAMILIES = [
  "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g",
  "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g",
] as const;

/**
 * Sizes of each family that exist as RDS instance classes (the hardware specifications in
 * "DB instance class types", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Types.html).
 * Not every size runs every engine version in every region: `aws rds describe-orderable-db-instance-options
 * --engine mysql` is the authority, and it needs an account (README: What we check that a plan cannot).
 */
const GRAVITON_TO_16 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"] as const;
const TO_24 = [...GRAVITON_TO_16, "24xlarge"] as const;
const TO_32 = [...TO_24, "32xlarge"] as const;
const TO_48 = [...TO_24, "48xlarge"] as const;
const BURSTABLE = ["micro", "small", "medium", "large", "xlarge", "2xlarge"] as const;
export const MYSQL_INSTANCE_SIZES: Readonly<Record<(typeof MYSQL_INSTANCE_FAMILIES)[number], readonly string[]>> = {
  t3: BURSTABLE, t4g: BURSTABLE,
  m5: TO_24, m5d: TO_24, m6g: GRAVITON_TO_16, m6gd: GRAVITON_TO_16, m6i: TO_32, m6id: TO_32, m7g: GRAVITON_TO_16, m7i: TO_48, m8g: TO_48,
  r5: TO_24, r5b: TO_24, r5d: TO_24, r6g: GRAVITON_TO_16, r6gd: GRAVITON_TO_16, r6i: TO_32, r6id: TO_32, r7g: GRAVITON_TO_16, r7i: TO_48, r8g: TO_48,
};

/** RDS's maximum gp3 storage (GiB) for MySQL: 64 TiB, less for the smallest burstable classes ("Amazon RDS DB instance storage"). */
export const MAX_STORAGE_GIB = 65_536;
const SMALL_CLASS_MAX_STORAGE_GIB: Readonly<Record<string, number>> = {
  "db.t3.micro": 6_144, "db.t4g.micro": 6_144,
  "db.t3.small": 16_384, "db.t4g.small": 16_384, "db.t3.medium": 16_384, "db.t4g.medium": 16_384,
};
export function maxStorageGib(instanceClass: string): number {
  return SMALL_CLASS_MAX_STORAGE_GIB[instanceClass] ?? MAX_STORAGE_GIB;
}

/** RDS requires the storage autoscaling ceiling at least 10 % above the allocated storage. */
export function minMaxAllocatedStorageGib(allocatedGib: number): number {
  return Math.ceil((allocatedGib * 11) / 10);
}
