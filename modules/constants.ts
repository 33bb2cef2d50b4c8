/**
 * Values that more than one place must agree on: the stack, the image build, the
 * database setup script and the tests all import them from here (the Dockerfile gets
 * them as build args). Change a value here and everything follows.
 */

/** Keycloak release: image tag, Maven `org.keycloak:keycloak-quarkus-dist` version. */
export const KEYCLOAK_VERSION = "26.7.3";

/** Ports the Keycloak container listens on. */
export const PORTS = {
  /** Plain HTTP behind the ALB (TLS ends at the ALB). */
  http: 8080,
  /** Management interface: health and metrics. Never routed by the ALB. */
  management: 9000,
  /** JGroups data traffic between the nodes (`cache-embedded-network-bind-port`). */
  jgroups: 7800,
  /** JGroups failure detection: always the bind port + 50000. */
  jgroupsFailureDetection: 57800,
  /** MySQL on RDS. */
  mysql: 3306,
  /** SSH on the bastion. */
  ssh: 22,
} as const;

/** Readiness endpoint on the management port: the ALB's target health check. */
export const HEALTH_READY_PATH = "/health/ready";

/**
 * Liveness endpoint on the management port: the ECS container health check. Not readiness:
 * Keycloak's split-brain check makes a lone survivor "not ready" for a while after its peer
 * was killed, and ECS would then replace the survivor too.
 */
export const HEALTH_LIVE_PATH = "/health/live";

/** The database and the database user Keycloak connects as. */
export const DB_NAME = "keycloak";
export const DB_USER = "keycloak";

/** Character set and collation Keycloak's MySQL guide asks for. */
export const DB_CHARSET = "utf8mb4";
export const DB_COLLATION = "utf8mb4_unicode_ci";

/** Host name of the database inside the private hosted zone: `db.<zone>`. */
export const DB_HOST_LABEL = "db";

/** File (relative to the project root) holding Keycloak's build-time options, shared by the Dockerfile and the tests. */
export const BUILD_OPTIONS_FILE = "docker/keycloak-build.env";

/** Paths in the container that Keycloak writes to at run time (the root filesystem is read-only). */
export const WRITABLE_PATHS = ["/opt/keycloak/data", "/tmp"] as const;
