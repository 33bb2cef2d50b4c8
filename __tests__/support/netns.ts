import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolveCommand } from "./command-stubs";

/**
 * Network namespaces for tests (needs root and iproute2). The machine rules allow only
 * 198.18.0.0/15 inside test namespaces, so every address given here is checked against it;
 * link-local addresses (169.254.0.0/16) are the one exception, since routers never forward
 * them and tests need them to mirror Fargate's second, link-local task address.
 */

const TEST_RANGE = { base: ipv4ToNumber("198.18.0.0"), prefix: 15 };
const LINK_LOCAL_RANGE = { base: ipv4ToNumber("169.254.0.0"), prefix: 16 };

function ipv4ToNumber(address: string): number {
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`'${address}' is not a dotted IPv4 address`);
  }
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

function inRange(address: string, range: { base: number; prefix: number }): boolean {
  const size = 2 ** (32 - range.prefix);
  return Math.floor(ipv4ToNumber(address) / size) * size === range.base;
}

/** Throws unless `cidr` ("198.18.0.2/30") is a test address, or link-local when allowed. */
function checkTestAddress(cidr: string, allowLinkLocal: boolean): void {
  const [address, prefix] = cidr.split("/");
  if (prefix === undefined || !/^\d+$/.test(prefix) || Number(prefix) > 32) {
    throw new Error(`'${cidr}' needs a prefix length, e.g. 198.18.0.2/30`);
  }
  if (inRange(address, TEST_RANGE) || (allowLinkLocal && inRange(address, LINK_LOCAL_RANGE))) {
    return;
  }
  throw new Error(`'${cidr}' is outside 198.18.0.0/15, the only range tests may use in namespaces`);
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function ipIgnoringFailure(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone: cleanup runs after partial setups too.
  }
}

export interface VethOptions {
  /**
   * Host-side address with prefix length, e.g. "198.18.0.1/30". Leave it out when the host need
   * not reach the namespace: an unaddressed host end cannot clash with parallel tests' routes.
   */
  hostAddress?: string;
  /** Namespace-side address with prefix length, e.g. "198.18.0.2/30". */
  namespaceAddress: string;
}

export interface Veth {
  hostInterface: string;
  namespaceInterface: string;
  hostAddress?: string;
  namespaceAddress: string;
}

export class NetworkNamespace {
  private readonly hostInterfaces: string[] = [];
  private deleted = false;

  private constructor(readonly name: string) {}

  /** A new namespace named `<prefix>-<pid>-<random>` with only `lo`, which is up. */
  static create(prefix = "kctest"): NetworkNamespace {
    const name = `${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
    ip("netns", "add", name);
    const namespace = new NetworkNamespace(name);
    try {
      ip("-n", name, "link", "set", "lo", "up");
    } catch (error) {
      namespace.delete();
      throw error;
    }
    return namespace;
  }

  /** Connects the namespace to the host with a veth pair; both ends come up with their addresses. */
  addVeth(options: VethOptions): Veth {
    if (options.hostAddress !== undefined) checkTestAddress(options.hostAddress, false);
    checkTestAddress(options.namespaceAddress, false);
    // Interface names are limited to 15 characters.
    const id = randomBytes(3).toString("hex");
    const veth: Veth = { hostInterface: `kv${id}h`, namespaceInterface: `kv${id}n`, ...options };
    ip("link", "add", veth.hostInterface, "type", "veth", "peer", "name", veth.namespaceInterface, "netns", this.name);
    this.hostInterfaces.push(veth.hostInterface);
    if (veth.hostAddress !== undefined) ip("addr", "add", veth.hostAddress, "dev", veth.hostInterface);
    ip("link", "set", veth.hostInterface, "up");
    ip("-n", this.name, "addr", "add", veth.namespaceAddress, "dev", veth.namespaceInterface);
    ip("-n", this.name, "link", "set", veth.namespaceInterface, "up");
    return veth;
  }

  /**
   * Adds one more address to an interface inside the namespace (198.18.0.0/15 or link-local).
   * The kernel lists `scope link` addresses before `scope global` ones on the same interface.
   */
  addAddress(interfaceName: string, cidr: string, scope: "global" | "link" | "host" = "global"): void {
    checkTestAddress(cidr, true);
    ip("-n", this.name, "addr", "add", cidr, "scope", scope, "dev", interfaceName);
  }

  /** `argv` prefixed so that it runs inside the namespace; `ip netns exec` execs, keeping the PID. */
  command(argv: readonly string[]): [string, ...string[]] {
    // Absolute, because the caller may hand the child a PATH without ip.
    return [resolveCommand("ip"), "netns", "exec", this.name, ...argv];
  }

  /** Removes the host ends of the veth pairs first: the kernel removes them with the namespace only later, asynchronously. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    for (const hostInterface of this.hostInterfaces.splice(0)) {
      ipIgnoringFailure("link", "del", hostInterface);
    }
    ipIgnoringFailure("netns", "del", this.name);
  }
}

/** Tracks the namespaces of one test file so `afterAll` can delete any a failed test left behind. */
export class NamespaceRegistry {
  private readonly namespaces: NetworkNamespace[] = [];

  create(prefix?: string): NetworkNamespace {
    const namespace = NetworkNamespace.create(prefix);
    this.namespaces.push(namespace);
    return namespace;
  }

  /** Runs `body` with a fresh namespace and deletes it afterwards, also when `body` throws. */
  async with<T>(body: (namespace: NetworkNamespace) => Promise<T>, prefix?: string): Promise<T> {
    const namespace = this.create(prefix);
    try {
      return await body(namespace);
    } finally {
      namespace.delete();
    }
  }

  deleteAll(): void {
    for (const namespace of this.namespaces.splice(0)) {
      namespace.delete();
    }
  }
}
