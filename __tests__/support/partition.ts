import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";

/**
 * A network partition between two tasks, as AWS delivers one: a security-group or NACL change, or
 * a broken link between availability zones, drops (not rejects: no RST, no ICMP) every packet of
 * the task-to-task traffic, in both directions, while the load balancer still reaches both tasks
 * and both still reach the database. The ports are the ones the synthesized task security group
 * opens between its own tasks, read from the stack, never restated. And the bounds the cluster
 * must keep, derived from the JGroups stack Keycloak actually runs (read from its distribution).
 */

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The ports of the synthesized ingress rules whose peer is the task security group itself: the
 * only traffic between two tasks (JGroups data and its FD_SOCK2 failure detection).
 */
export function taskToTaskPorts(synthDir: string, stack: string): number[] {
  return taskToTaskPortsOf(JSON.parse(readFileSync(join(synthDir, "stacks", stack, "cdk.tf.json"), "utf8")) as { resource?: Resources }, stack);
}

/** taskToTaskPorts of one stack's synthesized Terraform JSON. */
export function taskToTaskPortsOf(json: { resource?: Resources }, stack: string): number[] {
  const rules = Object.values(json.resource?.aws_vpc_security_group_ingress_rule ?? {});
  const ports = rules
    .filter((rule) => rule.referenced_security_group_id !== undefined && rule.referenced_security_group_id === rule.security_group_id)
    .map((rule) => {
      if (rule.from_port !== rule.to_port || rule.ip_protocol !== "tcp") throw new Error(`task-to-task rule ${JSON.stringify(rule)} is not one TCP port`);
      return Number(rule.from_port);
    });
  if (ports.length === 0) throw new Error(`${stack}: no ingress rule between the tasks' own security group`);
  return [...new Set(ports)].sort((x, y) => x - y);
}

/** A link of the fault turned off on purpose (E2E_PARTITION_BREAK), to show the e2e notices. */
export type PartitionBreak = "no-heal" | "no-partition";

export function partitionBreak(env: NodeJS.ProcessEnv = process.env): PartitionBreak | undefined {
  const raw = env.E2E_PARTITION_BREAK;
  if (raw === undefined || raw === "") return undefined;
  const known: PartitionBreak[] = ["no-heal", "no-partition"];
  if (!known.includes(raw as PartitionBreak)) throw new Error(`E2E_PARTITION_BREAK '${raw}' is not one of ${known.join(", ")}`);
  return raw as PartitionBreak;
}

/** A task's network interface: its address, and how to run a command in its namespace (KeycloakNode is one). */
export interface TaskNetwork {
  readonly name: string;
  readonly address: string;
  namespaceCommand(argv: string[]): string[];
}

/** Our chain in each task's namespace; the namespaces (and so the rules) go with the stand's teardown. */
const CHAIN = "kc-partition";

/**
 * The partition: in each task's namespace (its ENI) an iptables chain on INPUT and OUTPUT that
 * DROPs TCP to and from the other task on the task-to-task ports (either end's port, so both the
 * listener's and the dialler's packets). Healing flushes the chain.
 */
export class JGroupsPartition {
  constructor(
    private readonly sides: [TaskNetwork, TaskNetwork],
    readonly ports: number[],
    readonly breaks?: PartitionBreak,
  ) {}

  apply(): void {
    const [a, b] = this.sides;
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ]) {
      iptables(self, "-N", CHAIN);
      iptables(self, "-I", "INPUT", "-j", CHAIN);
      iptables(self, "-I", "OUTPUT", "-j", CHAIN);
      if (this.breaks === "no-partition") continue;
      const match = ["-p", "tcp", "-m", "multiport", "--ports", this.ports.join(","), "-j", "DROP"];
      iptables(self, "-A", CHAIN, "-s", peer.address, ...match);
      iptables(self, "-A", CHAIN, "-d", peer.address, ...match);
    }
  }

  heal(): void {
    if (this.breaks === "no-heal") return;
    for (const side of this.sides) iptables(side, "-F", CHAIN);
  }

  /** Packets the DROP rules discarded so far in both namespaces (0 once healed: flushing drops the counters too). */
  droppedPackets(): number {
    let total = 0;
    for (const side of this.sides) {
      const listing = iptablesOutput(side, "-L", CHAIN, "-n", "-v", "-x");
      for (const line of listing.split("\n")) {
        const m = /^\s*(\d+)\s+\d+\s+DROP\b/.exec(line);
        if (m !== null) total += Number(m[1]);
      }
    }
    return total;
  }
}

function iptablesOutput(task: TaskNetwork, ...args: string[]): string {
  const argv = task.namespaceCommand([resolveCommand("iptables"), ...args]);
  return execFileSync(argv[0], argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function iptables(task: TaskNetwork, ...args: string[]): void {
  iptablesOutput(task, ...args);
}

/**
 * The timings of the JGroups stack Keycloak runs, from its distribution. Keycloak 26's default
 * stack `jdbc-ping` (JGroupsConfigurator) is Infinispan's `tcp` stack
 * (org/infinispan/configuration/default-jgroups-tcp.xml in infinispan-core) with MPING replaced
 * by KEYCLOAK_JDBC_PING2 and the TCP bundler changed: MERGE3, FD_SOCK2, FD_ALL3, VERIFY_SUSPECT2
 * and GMS are the tcp stack's. Its XML sets MERGE3's intervals and VERIFY_SUSPECT2's timeout;
 * FD_ALL3 and GMS's merge_timeout keep JGroups' own defaults, which the XML must not set (checked:
 * otherwise the derivation below would use the wrong numbers).
 */
export interface JGroupsTimings {
  /** MERGE3: each member sends its view (INFO) after a random pause in [min, max]. */
  mergeMinIntervalMs: number;
  mergeMaxIntervalMs: number;
  /** MERGE3's check_interval: a coordinator compares the views it heard of once per this; JGroups sets it to 1.6 x max_interval. */
  mergeCheckIntervalMs: number;
  /** GMS merge_timeout (JGroups default 5 s): how long a merge leader waits for the merge's answers. */
  mergeTimeoutMs: number;
  /** FD_ALL3 timeout and interval (JGroups defaults 40 s, 8 s): a member is suspected when no heartbeat came for `timeout`, checked every `interval`. */
  fdTimeoutMs: number;
  fdIntervalMs: number;
  /** VERIFY_SUSPECT2's timeout: a suspicion is confirmed after this. */
  verifySuspectMs: number;
}

/** JGroups 5.5's own defaults (org.jgroups.protocols.FailureDetection, pbcast.GMS, MERGE3.computeCheckInterval). */
const JGROUPS_DEFAULTS = { fdTimeoutMs: 40_000, fdIntervalMs: 8_000, mergeTimeoutMs: 5_000, checkIntervalFactor: 1.6 };

function durationMs(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (m === null) throw new Error(`'${value}' is no JGroups duration`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(m[2] ?? "ms") as "ms" | "s" | "m"];
}

/** Attributes of the protocol element `name` in a JGroups stack XML. */
function protocolAttributes(xml: string, name: string): Record<string, string> {
  const m = new RegExp(`<${name.replace(".", "\\.")}(\\s[^>]*)?/?>`).exec(xml);
  if (m === null) throw new Error(`the tcp stack has no ${name}`);
  return Object.fromEntries([...(m[1] ?? "").matchAll(/([a-z_.]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
}

/** The tcp stack of the distribution at `distHome`, from its infinispan-core jar. */
export function jgroupsTimingsOf(distHome: string): JGroupsTimings {
  const lib = join(distHome, "lib", "lib", "main");
  const jar = readdirSync(lib).find((file) => /^org\.infinispan\.infinispan-core-.*\.jar$/.test(file));
  if (jar === undefined) throw new Error(`no infinispan-core jar in ${lib}`);
  return jgroupsTimingsOfStack(execFileSync(resolveCommand("unzip"), ["-p", join(lib, jar), "org/infinispan/configuration/default-jgroups-tcp.xml"], { encoding: "utf8" }));
}

/** The timings of a JGroups stack XML shaped like Infinispan's tcp stack. */
export function jgroupsTimingsOfStack(xml: string): JGroupsTimings {
  const merge = protocolAttributes(xml, "MERGE3");
  const fd = protocolAttributes(xml, "FD_ALL3");
  const gms = protocolAttributes(xml, "pbcast.GMS");
  if (Object.keys(fd).length > 0 || "merge_timeout" in gms || "check_interval" in merge) {
    throw new Error(`the tcp stack sets FD_ALL3 ${JSON.stringify(fd)}, GMS merge_timeout ${gms.merge_timeout} or MERGE3 check_interval ${merge.check_interval}: the derivation assumes JGroups' defaults there`);
  }
  const mergeMaxIntervalMs = durationMs(merge.max_interval);
  return {
    mergeMinIntervalMs: durationMs(merge.min_interval),
    mergeMaxIntervalMs,
    mergeCheckIntervalMs: Math.floor(mergeMaxIntervalMs * JGROUPS_DEFAULTS.checkIntervalFactor),
    mergeTimeoutMs: JGROUPS_DEFAULTS.mergeTimeoutMs,
    fdTimeoutMs: JGROUPS_DEFAULTS.fdTimeoutMs,
    fdIntervalMs: JGROUPS_DEFAULTS.fdIntervalMs,
    verifySuspectMs: durationMs(protocolAttributes(xml, "VERIFY_SUSPECT2").timeout),
  };
}

/** What the harness adds on top of JGroups' own times: Infinispan logging the view, our polling of the logs. */
export const OBSERVATION_SLACK_MS = 5_000;

/**
 * From the first dropped packet to each side's view without the other. A DROP sends no RST, so
 * FD_SOCK2's socket stays open and notices nothing: only FD_ALL3's heartbeats can tell. A peer is
 * suspected once no heartbeat came for `timeout`, which its checker sees within one `interval`;
 * VERIFY_SUSPECT2 confirms after its timeout; then the new view.
 */
export function splitBoundMs(t: JGroupsTimings): number {
  return t.fdTimeoutMs + t.fdIntervalMs + t.verifySuspectMs + OBSERVATION_SLACK_MS;
}

/**
 * From the heal to one merged view on both sides. After the heal every member sends its view
 * (MERGE3 INFO) within `max_interval`; a coordinator that has just compared the views it heard of
 * compares them again only one `check_interval` later, and then, seeing another side's view,
 * starts the merge, which GMS bounds by `merge_timeout`.
 */
export function mergeBoundMs(t: JGroupsTimings): number {
  return t.mergeMaxIntervalMs + t.mergeCheckIntervalMs + t.mergeTimeoutMs + OBSERVATION_SLACK_MS;
}
