import { execFileSync } from "node:child_process";
import { SETUP_SCRIPT_PATH } from "../../modules/database/setup/commands";
import { resolveCommand } from "./command-stubs";
import type { MariaDb } from "./mariadb";
import { NetworkNamespace } from "./netns";
import { setNamespaceHosts } from "./netns-extras";
import { runProcess } from "./run-process";
import type { SecretsManagerStub } from "./secrets-manager-stub";
import type { Teardown } from "./teardown";

/**
 * The "VPC" of the local cluster: network namespaces on one bridge (one namespace per task, like
 * one ENI per Fargate task), and the database as the bastion sets it up and Keycloak uses it.
 */

export interface Host {
  namespace: NetworkNamespace;
  address: string;
}

/**
 * A /24 of 198.18.0.0/15 on a bridge in the host namespace (the bridge holds `.1`: the proxy and
 * the metadata stand-ins listen there). Each attached namespace gets one veth into the bridge,
 * named eth0 inside, and no default route: nothing can leave the test network.
 */
export class TestNetwork {
  readonly cidr: string;
  readonly gateway: string;
  readonly bridge: string;

  constructor(
    readonly subnet: string,
    private readonly teardown: Teardown,
  ) {
    this.cidr = `${subnet}.0/24`;
    this.gateway = `${subnet}.1`;
    this.bridge = `kce2e${process.pid}`.slice(0, 15);
    ip("link", "add", this.bridge, "type", "bridge");
    teardown.add(`bridge ${this.bridge}`, () => ip("link", "del", this.bridge), { kind: "link", value: this.bridge });
    ip("addr", "add", `${this.gateway}/24`, "dev", this.bridge);
    ip("link", "set", this.bridge, "up");
  }

  /**
   * A namespace with address `<subnet>.<hostNumber>`; `hosts` (name to address) resolve inside it
   * only, other names through `nameserver` when given (else not at all).
   */
  attach(label: string, hostNumber: number, hosts: Record<string, string> = {}, nameserver?: string): Host {
    const namespace = NetworkNamespace.create(`kce2e-${label}`);
    this.teardown.add(`namespace ${namespace.name}`, () => namespace.delete(), { kind: "netns", value: namespace.name });
    const address = `${this.subnet}.${hostNumber}`;
    const hostSide = `kce${process.pid % 100000}${label}`.slice(0, 15);
    ip("link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", namespace.name);
    this.teardown.add(`veth ${hostSide}`, () => ipIgnoringFailure("link", "del", hostSide), { kind: "link", value: hostSide });
    ip("link", "set", hostSide, "master", this.bridge, "up");
    ip("-n", namespace.name, "addr", "add", `${address}/24`, "dev", "eth0");
    ip("-n", namespace.name, "link", "set", "eth0", "up");
    this.teardown.add(`hosts of ${namespace.name}`, setNamespaceHosts(namespace.name, hosts, nameserver), {
      kind: "dir",
      value: `/etc/netns/${namespace.name}`,
    });
    return { namespace, address };
  }
}

function ip(...args: string[]): void {
  execFileSync(resolveCommand("ip"), args, { stdio: ["ignore", "ignore", "pipe"] });
}

function ipIgnoringFailure(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Gone with its namespace already.
  }
}

/** What the bastion's database scripts get (the deploy's setup, the credential rotation). */
export interface DatabaseAccess {
  bastion: Host;
  /** The stand-in Secrets Manager holding the secrets. */
  secrets: SecretsManagerStub;
  dbHost: string;
  dbPort: number;
  /** The test CA as a file:// URL, where the deploy passes RDS's bundle URL. */
  caBundleUrl: string;
  region: string;
  masterSecretArn: string;
  userSecretArn: string;
}

export interface DatabaseSetupOptions extends DatabaseAccess {
  adminSecretArn: string;
}

/** The project's setup script, run in the bastion's namespace with the stand-in `aws` first on PATH. */
export async function runDatabaseSetup(options: DatabaseSetupOptions): Promise<string> {
  const argv = options.bastion.namespace.command([
    resolveCommand("bash"),
    SETUP_SCRIPT_PATH,
    "--db-host",
    options.dbHost,
    "--db-port",
    String(options.dbPort),
    "--ca-bundle-url",
    options.caBundleUrl,
    "--master-secret-arn",
    options.masterSecretArn,
    "--user-secret-arn",
    options.userSecretArn,
    "--admin-secret-arn",
    options.adminSecretArn,
    "--region",
    options.region,
    "--interval-seconds",
    "1",
  ]);
  const result = await runProcess(argv[0], argv.slice(1), {
    env: { PATH: `${options.secrets.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root", LANG: "C.UTF-8" },
    timeoutMs: 120_000,
  });
  if (result.code !== 0 || !/^database keycloak ready$/m.test(result.stdout)) {
    throw new Error(`keycloak-db-setup.sh failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Rows of JGROUPS_PING, the JDBC_PING2 discovery table Keycloak keeps in its database. */
export interface PingRow {
  /** The address peers dial, `ip:port`. */
  ip: string;
  /** The node's JGroups name. */
  name: string;
  coord: string;
}

export function jgroupsPingRows(db: MariaDb, database: string): PingRow[] {
  return db
    .query(`SELECT ip, name, coord FROM \`${database}\`.JGROUPS_PING ORDER BY ip;`)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [ip, name, coord] = line.split("\t");
      return { ip, name, coord };
    });
}
