/**
 * How a Keycloak task rides out an RDS Multi-AZ failover, in one place: how long AWS says a
 * failover lasts, how fast a task follows the endpoint to the standby once it serves (the DNS
 * TTLs, the driver's timeouts, the pool's validation), and so how long its readiness, which
 * includes Keycloak's database check, may fail through no fault of its own. The target group's
 * health check (task-lifecycle.ts) must outlast that, or ECS replaces healthy tasks at every
 * failover RDS performs for maintenance and minor-version updates.
 */
import { DNS_CACHE_TTL_SECONDS, RDS_ENDPOINT_DNS_TTL_SECONDS } from "./jvm-options";
import { constant } from "../shared/constant";

/**
 * "Failover times are typically 60-120 seconds" (Amazon RDS User Guide, Failing over a Multi-AZ DB
 * instance: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html):
 * the upper end, from the primary's loss to the standby serving. Large transactions can make it
 * longer; the guide gives no maximum.
 */
export const RDS_MULTI_AZ_FAILOVER_SECONDS = 120;

/**
 * Keycloak 26.7.3's `db-connect-timeout` default, which it passes to MySQL's and MariaDB's drivers
 * as both the connect and the socket timeout: a connection attempt or a statement aimed at the
 * black-holed old primary gives up after this long.
 */
export const DB_CONNECT_TIMEOUT_SECONDS = 10;

/**
 * How the fixed-size pool drops connections to an address that stopped answering (an RDS
 * Multi-AZ failover black-holes the old primary). Without them every one of the pool's
 * connections to the old primary stays in the pool until a request borrows it and waits out the
 * driver's socket timeout (DB_CONNECT_TIMEOUT_SECONDS), one request per connection.
 * Quarkus run-time properties (quarkus-agroal DataSourceJdbcRuntimeConfig), which Keycloak
 * passes through from the environment; seconds.
 * - foreground: a connection idle longer than this is validated (JDBC isValid) before it is
 *   handed out; under load connections are idle for less, so busy tasks pay no extra query.
 * - background: every idle connection is validated this often (Agroal's housekeeping thread).
 * - timeout: how long one validation may take before the connection counts as dead.
 */
export const DB_POOL_VALIDATION = constant({ foregroundSeconds: 2, backgroundSeconds: 10, timeoutSeconds: 2 });

/** DB_POOL_VALIDATION as the task's environment variables. */
export const DB_POOL_VALIDATION_ENVIRONMENT: Readonly<Record<string, string>> = {
  QUARKUS_DATASOURCE_JDBC_FOREGROUND_VALIDATION_INTERVAL: `${DB_POOL_VALIDATION.foregroundSeconds}S`,
  QUARKUS_DATASOURCE_JDBC_BACKGROUND_VALIDATION_INTERVAL: `${DB_POOL_VALIDATION.backgroundSeconds}S`,
  QUARKUS_DATASOURCE_JDBC_VALIDATION_QUERY_TIMEOUT: `${DB_POOL_VALIDATION.timeoutSeconds}S`,
};

/**
 * From the standby serving to a task's requests succeeding again, by the model: RDS's DNS TTL,
 * then the JVM's own DNS cache, then a connection attempt still aimed at the black-holed address
 * giving up (the connect timeout), then a request meeting a connection to the old address: if it
 * was idle longer than the pool's foreground validation interval (every stale one is, after an
 * outage longer than that) its validation gives up after the validation timeout and the
 * connection leaves the pool; a statement already in flight on one gives up after the socket
 * timeout. The longer of the two.
 */
export function databaseRecoverySeconds(): number {
  return RDS_ENDPOINT_DNS_TTL_SECONDS + DNS_CACHE_TTL_SECONDS + DB_CONNECT_TIMEOUT_SECONDS + Math.max(DB_CONNECT_TIMEOUT_SECONDS, DB_POOL_VALIDATION.timeoutSeconds);
}

/** The longest a task's readiness fails because of a failover: the failover, then the recovery. */
export function failoverNotReadySeconds(): number {
  return RDS_MULTI_AZ_FAILOVER_SECONDS + databaseRecoverySeconds();
}
