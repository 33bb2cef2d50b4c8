import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { proxyRulesOfSynth } from "./alb-rules";
import {
  forMariaDbStandIn,
  jdbcTarget,
  KeycloakNode,
  MARIADB_STAND_IN_OVERRIDES,
  parseSecretReference,
  resolveSecrets,
  runDatabaseSetup,
  STACK,
  synthesizeTaskContainer,
  TestNetwork,
  type Host,
  type Teardown,
  type TaskContainer,
} from "./cluster";
import { caBundleUrl, databaseTls, withDatabaseEndpoint } from "./database-tls";
import { Haproxy, makeCertificate } from "./haproxy";
import { MariaDb, sqlString } from "./mariadb";
import { freeTestSubnet } from "./netns-extras";
import { NodeRuntime } from "./node-runtime";
import { taskCgroupFor } from "./task-cgroup";
import { SecretsManagerStub } from "./secrets-manager-stub";

/**
 * One Keycloak task behind the ALB stand-in, for tests of what the load balancer lets through:
 * the stack synthesized with the caller's settings, MariaDB with the bastion's database setup,
 * one node started from the task definition, and haproxy routing with the rules generated from
 * the synthesized HTTPS listener. Client namespaces attach to the same test network.
 */

export interface SingleNodeStandOptions {
  /** Working directory (synth output, certificate, node home, database). */
  work: string;
  logDir: string;
  /** The stack's `hostname`; the proxy answers to it on 443. */
  hostname: string;
  /** Host numbers in the test /24 of the client namespaces to create. */
  clients: Record<string, number>;
  /** Further settings as KEYCLOAK_* variables; `addressOf` gives a client's address for them. */
  settings: (addressOf: (client: string) => string) => Record<string, string>;
  teardown: Teardown;
  /** @default "-Xms512m -Xmx1g" */
  heap?: string;
  /** @default 5 minutes: the first start migrates the schema */
  startTimeoutMs?: number;
}

export interface SingleNodeStand {
  network: TestNetwork;
  container: TaskContainer;
  node: KeycloakNode;
  db: MariaDb;
  proxy: Haproxy;
  /** The proxy's certificate, for clients to trust. */
  caPem: string;
  /** Client namespaces by the names given in `clients`. */
  clients: Record<string, Host>;
  /** The bootstrap admin the database setup stored. */
  admin: { username: string; password: string };
  /** The haproxy lines generated from the synthesized listener. */
  frontendRules: string[];
}

const REGION = "eu-west-1";
/** The RDS endpoint name the database's test certificate is issued for. */
const DB_ENDPOINT = "keycloak-db.rds.e2e.test";

export async function startSingleNodeStand(options: SingleNodeStandOptions): Promise<SingleNodeStand> {
  const { work, teardown } = options;
  const runtime = await NodeRuntime.prepare(MARIADB_STAND_IN_OVERRIDES);
  const subnet = freeTestSubnet();
  const addressOf = (client: string) => `${subnet}.${options.clients[client]}`;
  const synthDir = join(work, "synth");
  const synthesized = synthesizeTaskContainer(synthDir, {
    vpcCidr: `${subnet}.0/24`,
    hostname: options.hostname,
    env: options.settings(addressOf),
  });
  const container = { ...synthesized, environment: forMariaDbStandIn(withDatabaseEndpoint(synthesized.environment, DB_ENDPOINT)) };
  const frontendRules = proxyRulesOfSynth(synthDir, STACK);
  const { host: dbHost, port: dbPort } = jdbcTarget(container.environment.KC_DB_URL);

  const network = new TestNetwork(subnet, teardown);
  const dbNet = network.attach("db", 2);
  const bastion = network.attach("bastion", 3, { [dbHost]: dbNet.address });
  const task = network.attach("node", 11, { [dbHost]: dbNet.address });
  const clients = Object.fromEntries(Object.entries(options.clients).map(([name, hostNumber]) => [name, network.attach(name, hostNumber)]));

  const dbDir = join(work, "mariadb");
  teardown.add("mariadb", () => {
    try {
      process.kill(Number(readFileSync(join(dbDir, "mariadb.pid"), "utf8")), "SIGKILL");
    } catch {
      // Not started or already stopped.
    }
  });
  // TLS from a test CA with require_secure_transport=ON, as the stack's RDS parameter group has it.
  const dbTls = databaseTls(join(work, "db-tls"), { dns: [dbHost], ips: [dbNet.address] }, runtime.databaseCa);
  const db = await MariaDb.start({ workDir: dbDir, address: dbNet.address, port: dbPort, netns: dbNet.namespace.name, tls: dbTls.tls });
  const masterPassword = randomBytes(24).toString("base64url");
  db.query(`CREATE USER 'kcadmin'@'%' IDENTIFIED BY ${sqlString(masterPassword)};
            GRANT ALL PRIVILEGES ON *.* TO 'kcadmin'@'%' WITH GRANT OPTION;`);

  // The two Keycloak secrets exist empty, as Terraform leaves them; the setup fills them.
  const secrets = new SecretsManagerStub(join(work, "aws"));
  const arns = new Map<string, string>();
  const arnFor = (reference: string): string => {
    if (!arns.has(reference)) {
      arns.set(reference, `arn:aws:secretsmanager:${REGION}:123456789012:secret:e2e-${arns.size}-${randomBytes(3).toString("hex")}`);
      secrets.createSecret(arns.get(reference)!);
    }
    return arns.get(reference)!;
  };
  const secretOf = (name: string) => {
    const secret = container.secrets.find((s) => s.name === name);
    if (secret === undefined) throw new Error(`the task definition has no secret ${name}`);
    return arnFor(parseSecretReference(secret.valueFrom).arn);
  };
  const masterSecretArn = `arn:aws:secretsmanager:${REGION}:123456789012:secret:rds!db-e2e-${randomBytes(3).toString("hex")}`;
  secrets.createSecret(masterSecretArn, { username: "kcadmin", password: masterPassword });
  await runDatabaseSetup({
    bastion,
    secrets,
    dbHost,
    dbPort,
    caBundleUrl: caBundleUrl(dbTls.ca),
    region: REGION,
    masterSecretArn,
    userSecretArn: secretOf("KC_DB_USERNAME"),
    adminSecretArn: secretOf("KC_BOOTSTRAP_ADMIN_USERNAME"),
  });
  const secretValues = resolveSecrets(container, arnFor, secrets);

  const files = runtime.node("node", work, dbTls.ca, container.environment, secretValues, options.heap ?? "-Xms512m -Xmx1g");
  const node = new KeycloakNode({
    name: "node",
    host: task,
    home: files.home,
    image: files.image,
    logFile: join(options.logDir, "node.log"),
    environment: files.environment,
    metadataHost: network.gateway,
    containerName: container.name,
    guard: teardown,
    cgroup: taskCgroupFor("node", container, teardown),
  });
  teardown.add("node", () => node.killNow());
  teardown.add("node metadata", () => void node.closeMetadata());

  const certificate = makeCertificate(work, options.hostname);
  const proxy = await Haproxy.start({
    dir: work,
    bindAddress: network.gateway,
    bindPort: 443,
    certificate,
    backends: [{ name: node.name, address: node.address }],
    frontendRules,
  });
  teardown.add("haproxy", () => proxy.kill());

  await node.start(container.command);
  await node.waitReady(options.startTimeoutMs ?? 5 * 60_000);
  return {
    network,
    container,
    node,
    db,
    proxy,
    caPem: certificate.certPem,
    clients,
    admin: { username: secretValues.KC_BOOTSTRAP_ADMIN_USERNAME, password: secretValues.KC_BOOTSTRAP_ADMIN_PASSWORD },
    frontendRules,
  };
}
