/** The MySQL major versions RDS runs that Keycloak 26 supports. */
export const MYSQL_VERSIONS = ["8.0", "8.4"] as const;
export type MysqlVersion = (typeof MYSQL_VERSIONS)[number];

/** RDS instance families that run MySQL 8.0 and 8.4. */
export const MYSQL_INSTANCE_FAMILIES = [
  "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g",
  "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g",
] as const;
