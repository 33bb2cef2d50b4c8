import { readFileSync } from "node:fs";
import { join } from "node:path";
import { proxyRulesOfSynth } from "../../policy/alb-rules";
import { wafProxyRulesOfSynth } from "../../policy/waf-rules";
import {
  forMariaDbStandIn,
  jdbcTarget,
  KeycloakNode,
  MARIADB_STAND_IN_OVERRIDES,
  STACK,
  synthesizeTaskContainer,
  TestNetwork,
  type Host,
  type Teardown,
  type TaskContainer,
} from "./cluster";
import { databaseTls, withDatabaseEndpoint, type TestCa } from "./database-tls";
import { Haproxy, makeCertificate } from "./haproxy";
import type { MariaDb } from "./mariadb";
import { freeTestSubnet } from "./netns-extras";
import { vpcCidrAround } from "./task-definition";
import { NodeRuntime } from "./node-runtime";
import { taskCgroupFor } from "./task-cgroup";
import { SecretsManagerStub } from "./secrets-manager-stub";
import { setUpTaskSecrets, startRdsStandIn } from "./rds-stand-in";

/**
 * One Keycloak task behind the ALB stand-in, for tests of what the load balancer lets through:
 * the stack synthesized with the caller's settings, MariaDB with the bastion's database setup,
 * one node started from the task definition, and haproxy routing with the rules generated from
 * the synthesized web ACL and HTTPS listener. Client namespaces attach to the same test network.
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
  /** `false`: kc.sh's container default (70 % of the task memory), as the image runs. @default "-Xms512m -Xmx1g" */
  heap?: string | false;
  /** Environment added to the task's for the first start (e.g. JAVA_OPTS_APPEND). */
  startEnvironment?: Record<string, string>;
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
  /** The haproxy lines generated from the synthesized web ACL and listener. */
  frontendRules: string[];
  /** Another task of the same task definition in the same network (host number in the test /24), not started. */
  addNode: (name: string, hostNumber: number) => KeycloakNode;
  /** What an operator reaches the database through: the bastion's namespace, the secrets, the RDS endpoint and its CA. */
  database: {
    bastion: Host;
    secrets: SecretsManagerStub;
    masterSecretArn: string;
    /** The keycloak database user's secret. */
    userSecretArn: string;
    host: string;
    port: number;
    ca: TestCa;
    region: string;
  };
}

const REGION = "eu-west-1";
/** The first node's host number in the test /24. */
const TASK_HOST = 11;
/** The RDS endpoint name the database's test certificate is issued for. */
const DB_ENDPOINT = "keycloak-db.rds.e2e.test";

export async function startSingleNodeStand(options: SingleNodeStandOptions): Promise<SingleNodeStand> {
  const { work, teardown } = options;
  const runtime = await NodeRuntime.prepare(MARIADB_STAND_IN_OVERRIDES);
  const subnet = freeTestSubnet();
  const addressOf = (client: string) => `${subnet}.${options.clients[client]}`;
  const synthDir = join(work, "synth");
  const synthesized = synthesizeTaskContainer(synthDir, {
    vpcCidr: vpcCidrAround(subnet),
    hostname: options.hostname,
    env: options.settings(addressOf),
  });
  const container = { ...synthesized, environment: forMariaDbStandIn(withDatabaseEndpoint(synthesized.environment, DB_ENDPOINT)) };
  // WAF runs before the listener's rules; with no web ACL in the stack there is no WAF line.
  const frontendRules = [...wafProxyRulesOfSynth(synthDir, STACK), ...proxyRulesOfSynth(synthDir, STACK)];
  const { host: dbHost, port: dbPort } = jdbcTarget(container.environment.KC_DB_URL);

  const network = new TestNetwork(subnet, teardown);
  const dbNet = network.attach("db", 2);
  const bastion = network.attach("bastion", 3, { [dbHost]: dbNet.address });
  const task = network.attach("node", TASK_HOST, { [dbHost]: dbNet.address });
  const clients = Object.fromEntries(Object.entries(options.clients).map(([name, hostNumber]) => [name, network.attach(name, hostNumber)]));

  const secrets = new SecretsManagerStub(join(work, "aws"));
  // TLS from a test CA with require_secure_transport=ON, as the stack's RDS parameter group has it.
  const dbTls = databaseTls(join(work, "db-tls"), { dns: [dbHost], ips: [dbNet.address] }, runtime.databaseCa);
  const { db, masterSecretArn } = await startRdsStandIn({ dir: join(work, "mariadb"), host: dbNet, port: dbPort, region: REGION, secrets, teardown, tls: dbTls.tls });
  const { secretValues, userSecretArn } = await setUpTaskSecrets({ container, secrets, bastion, dbHost, dbPort, ca: dbTls.ca, region: REGION, masterSecretArn });

  const addNode = (name: string, hostNumber: number): KeycloakNode => {
    const host = hostNumber === TASK_HOST ? task : network.attach(name, hostNumber, { [dbHost]: dbNet.address });
    const files = runtime.node(name, work, dbTls.ca, container.environment, secretValues, options.heap === false ? undefined : (options.heap ?? "-Xms512m -Xmx1g"));
    const added = new KeycloakNode({
      name,
      host,
      home: files.home,
      image: files.image,
      logFile: join(options.logDir, `${name}.log`),
      environment: files.environment,
      metadataHost: network.gateway,
      containerName: container.name,
      guard: teardown,
      cgroup: taskCgroupFor(name, container, teardown),
    });
    teardown.add(name, () => added.killNow());
    teardown.add(`${name} metadata`, () => void added.closeMetadata());
    return added;
  };
  const node = addNode("node", TASK_HOST);

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

  await node.start(container.command, options.startEnvironment);
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
    addNode,
    database: { bastion, secrets, masterSecretArn, userSecretArn, host: dbHost, port: dbPort, ca: dbTls.ca, region: REGION },
  };
}

/** Stops the stand (node, its metadata endpoint, the database), then runs the teardown; throws what it could not undo. */
export async function stopSingleNodeStand(stand: SingleNodeStand | undefined, teardown: Teardown): Promise<void> {
  if (stand !== undefined) {
    await stand.node.kill();
    await stand.node.closeMetadata();
    await stand.db.stop();
  }
  const errors = teardown.run();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}

/** The last lines of the node's and the proxy's logs, for a failing request's context. */
export function printStandLogs(stand: SingleNodeStand | undefined): void {
  if (stand === undefined) return;
  process.stdout.write(`\n----- node log -----\n${stand.node.logTail(40)}\n----- proxy log -----\n${readFileSync(stand.proxy.logFile, "utf8").split("\n").slice(-40).join("\n")}\n`);
}
