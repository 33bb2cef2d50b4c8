import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DB_CA_BUNDLE_PATH } from "../../modules/shared/constants";
import { resolveCommand } from "./command-stubs";
import { JAVA_HOME } from "../../tools/keycloak-dist";
import type { MariaDbTls } from "./mariadb";
import type { NetworkNamespace } from "./netns";
import { runProcess, type RunResult } from "./run-process";

/**
 * Test certificate authorities for the database's TLS, made with openssl: what RDS's CA and the
 * server certificate on the RDS instance are in production. A second, unrelated CA stands for a
 * server nobody should trust.
 */

export interface TestCa {
  readonly name: string;
  /** The CA certificate: what the deploy downloads as DB_CA_BUNDLE_URL. */
  readonly certFile: string;
  readonly keyFile: string;
}

/** A server certificate and its key, as MariaDB's --ssl-cert and --ssl-key read them. */
export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(resolveCommand("openssl"), args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A self-signed CA named `name` in `dir` (one day valid: enough for any test run). */
export function makeTestCa(dir: string, name: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  openssl(
    [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
      "-subj", `/CN=${name}`, "-keyout", keyFile, "-out", certFile,
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return { name, certFile, keyFile };
}

/**
 * A server certificate issued by `ca` for the DNS names and IP addresses given (subjectAltName,
 * which is what TLS clients check the host name against; the CN is the first name, as RDS's is).
 */
export function issueServerCertificate(ca: TestCa, dir: string, label: string, names: { dns: string[]; ips?: string[] }): ServerCertificate {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${label}.pem`);
  const keyFile = join(dir, `${label}.key`);
  const request = join(dir, `${label}.csr`);
  const extensions = join(dir, `${label}.ext`);
  const altNames = [...names.dns.map((n) => `DNS:${n}`), ...(names.ips ?? []).map((ip) => `IP:${ip}`)].join(",");
  writeFileSync(extensions, `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${names.dns[0]}`, "-keyout", keyFile, "-out", request], dir);
  openssl(
    ["x509", "-req", "-in", request, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-days", "1", "-out", certFile, "-extfile", extensions],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * Puts `ca` where the image puts RDS's CA bundle (DB_CA_BUNDLE_PATH under Keycloak's home), so a
 * node started from `keycloakHome` trusts it exactly the way the container trusts RDS's CAs.
 */
export function installDatabaseCa(keycloakHome: string, ca: TestCa): void {
  const target = join(keycloakHome, DB_CA_BUNDLE_PATH);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(ca.certFile, target);
}

/** The file:// URL the setup script downloads `ca` from, in place of https://truststore.pki.rds.amazonaws.com/... */
export function caBundleUrl(ca: TestCa): string {
  return `file://${ca.certFile}`;
}

/**
 * What `terraform apply` puts into the task definition for the RDS endpoint reference: the
 * synthesized KC_DB_URL names `${aws_db_instance.<id>.address}`; this replaces it with `endpoint`.
 */
export function withDatabaseEndpoint(environment: Record<string, string>, endpoint: string): Record<string, string> {
  const reference = /\$\{aws_db_instance\.[A-Za-z0-9_-]+\.address\}/;
  if (!reference.test(environment.KC_DB_URL)) {
    throw new Error(`KC_DB_URL '${environment.KC_DB_URL}' does not name the RDS endpoint (aws_db_instance ... address)`);
  }
  return { ...environment, KC_DB_URL: environment.KC_DB_URL.replace(reference, endpoint) };
}

/**
 * MySQL Connector/J's sslMode and MariaDB Connector/J's name for the same check, for the MariaDB
 * stand-in (see MARIADB_STAND_IN_OVERRIDES). Both drivers, given no trust option of their own,
 * verify against the JVM's default truststore, the one Keycloak builds from conf/truststores.
 * VERIFY_IDENTITY / verify-full: chain to a trusted CA and the URL's host in the certificate;
 * VERIFY_CA / verify-ca: the chain only; REQUIRED / trust: encrypted, nothing verified.
 */
export const MARIADB_SSL_MODES: Readonly<Record<string, string>> = {
  VERIFY_IDENTITY: "verify-full",
  VERIFY_CA: "verify-ca",
  REQUIRED: "trust",
  DISABLED: "disable",
};

/** The JDBC URL's `sslMode` in MariaDB Connector/J's terms; a mode it has no name for is an error. */
export function mariaDbSslMode(url: string): string {
  return url.replace(/([?&]sslMode=)([^&]*)/, (_match, key: string, mode: string) => {
    const translated = MARIADB_SSL_MODES[mode];
    if (translated === undefined) throw new Error(`KC_DB_URL '${url}': no MariaDB Connector/J sslMode for '${mode}'`);
    return `${key}${translated}`;
  });
}

/**
 * A test CA (`ca`, else a new one) and the database's certificate from it, for the host names and
 * addresses clients use; the MariaDB stand-in serves it with require_secure_transport=ON.
 */
export function databaseTls(dir: string, names: { dns: string[]; ips?: string[] }, ca = makeTestCa(dir, "test-rds-ca")): { ca: TestCa; tls: MariaDbTls } {
  return { ca, tls: { certificate: issueServerCertificate(ca, dir, "database", names), caFile: ca.certFile } };
}

const JDBC_PROBE = join(__dirname, "jdbc-probe", "JdbcProbe.java");
const TRUSTSTORE_PASSWORD = "test-truststore";

/**
 * Opens one connection with MySQL Connector/J, the driver Keycloak uses on RDS (from the
 * distribution in `keycloakHome`), in `namespace`, with a JVM default truststore that holds only
 * `ca`: what Keycloak installs from conf/truststores, minus the JVM's public CAs.
 */
export async function probeMysqlConnectorJ(options: {
  keycloakHome: string;
  namespace: NetworkNamespace;
  url: string;
  user: string;
  password: string;
  ca: TestCa;
  workDir: string;
}): Promise<RunResult> {
  const libDir = join(options.keycloakHome, "lib", "lib", "main");
  const jar = readdirSync(libDir).find((name) => /^com\.mysql\.mysql-connector-j-.*\.jar$/.test(name));
  if (jar === undefined) throw new Error(`no MySQL Connector/J in ${libDir}`);
  const truststore = join(options.workDir, `${options.ca.name}.p12`);
  rmSync(truststore, { force: true });
  execFileSync(
    join(JAVA_HOME, "bin", "keytool"),
    ["-importcert", "-noprompt", "-alias", options.ca.name, "-file", options.ca.certFile, "-keystore", truststore, "-storetype", "PKCS12", "-storepass", TRUSTSTORE_PASSWORD],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const argv = options.namespace.command([
    join(JAVA_HOME, "bin", "java"),
    `-Djavax.net.ssl.trustStore=${truststore}`,
    "-Djavax.net.ssl.trustStoreType=PKCS12",
    `-Djavax.net.ssl.trustStorePassword=${TRUSTSTORE_PASSWORD}`,
    "-cp",
    join(libDir, jar),
    JDBC_PROBE,
    options.url,
  ]);
  return runProcess(argv[0], argv.slice(1), {
    env: { PATH: "/usr/bin:/bin", JDBC_USER: options.user, JDBC_PASSWORD: options.password, LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
}
