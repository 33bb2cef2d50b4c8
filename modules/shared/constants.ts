/**
 * Values that more than one place must agree on: the stack, the image build, the
 * database setup script and the tests all import them from here (the Dockerfile gets
 * them as build args). Change a value here and everything follows.
 */

/** Keycloak release: image tag, Maven `org.keycloak:keycloak-quarkus-dist` version. */
export const KEYCLOAK_VERSION = "26.7.3";

/**
 * Tasks the service starts with when it is created (first boot). The rest follow once Terraform
 * has seen the service steady and the autoscaling target raises it to the minimum: tasks that
 * start together on an empty database race to create Keycloak's schema (one fails on "Table
 * 'DATABASECHANGELOG' already exists", Keycloak issue 41801) and may each become a JGroups
 * coordinator (two one-node clusters until MERGE3 merges them).
 */
export const FIRST_BOOT_TASK_COUNT = 1;

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
/**
 * The second database user of the alternating-users rotation (tools/rotate-db-credentials.sh):
 * the same grants as DB_USER; the DB-user secret names one of the two, the other is locked.
 */
export const DB_USER_ALTERNATE = "keycloak_b";

/** Character set and collation Keycloak's MySQL guide asks for. */
export const DB_CHARSET = "utf8mb4";
export const DB_COLLATION = "utf8mb4_unicode_ci";

/** Host name of the database inside the private hosted zone: `db.<zone>`. */
export const DB_HOST_LABEL = "db";

/** File (relative to the project root) holding Keycloak's build-time options, shared by the Dockerfile and the tests. */
export const BUILD_OPTIONS_FILE = "docker/keycloak-build.env";

/** Paths in the container that Keycloak writes to at run time (the root filesystem is read-only). */
export const WRITABLE_PATHS = ["/opt/keycloak/data", "/tmp"] as const;

/**
 * Amazon RDS's CA bundle (every region's root CAs). Nothing in the repository holds a copy: the
 * image build adds it into the image and the setup script downloads it on the bastion, both
 * over HTTPS; the tests pass a test CA's location instead.
 */
export const DB_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";

/**
 * Where the image holds the database CA bundle, relative to Keycloak's home (/opt/keycloak).
 * Keycloak adds every PEM file under conf/truststores to the truststore it installs as the JVM
 * default (javax.net.ssl), and the JDBC driver verifies the database with that default.
 */
export const DB_CA_BUNDLE_PATH = "conf/truststores/database-ca-bundle.pem";

/**
 * How the JDBC driver checks the database's certificate: chain up to a trusted CA *and* the
 * host name of the URL in the certificate. RDS certificates name the instance endpoint, so
 * Keycloak connects to the endpoint, not to the private CNAME.
 */
export const DB_SSL_MODE = "VERIFY_IDENTITY";
