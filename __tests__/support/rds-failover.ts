import { execFileSync } from "node:child_process";
import type { ClusterStand, DatabaseStandIn } from "./cluster-stand";
import { resolveCommand } from "./command-stubs";
import { MariaDb } from "./mariadb";
import { sleep } from "./waiting";

/**
 * An RDS Multi-AZ failover on the stand's database (a stand built with `databaseDns`), as RDS
 * performs it for a maintenance, a minor-version update or the primary's loss:
 *
 * 1. The primary is gone and its address black-holed: every packet to or from it is dropped
 *    (iptables DROP in the database's namespace), not refused, so open connections hang and new
 *    ones time out, as they do when the primary's host or zone is lost.
 * 2. `outageMs` later the standby serves the same data (Multi-AZ replicates synchronously): here
 *    the same data directory, started bound to the standby's address in the same namespace.
 * 3. At that moment the endpoint's DNS name (RDS's CNAME, 5 s TTL) moves to the standby's address.
 *
 * AWS documents a failover as typically 60-120 s from the primary's loss to the endpoint serving
 * again (RDS User Guide, "Multi-AZ DB instance deployments": "Failover times are typically
 * 60-120 seconds").
 */

export interface FailoverTimes {
  /** The primary black-holed and gone. */
  lostAt: number;
  /** The standby serving and the DNS name moved to it. */
  backAt: number;
  from: string;
  to: string;
}

function iptables(database: DatabaseStandIn, ...args: string[]): void {
  execFileSync(resolveCommand("ip"), ["netns", "exec", database.host.namespace.name, resolveCommand("iptables"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
}

const rules = (address: string) => [
  ["INPUT", "-d", `${address}/32`, "-j", "DROP"],
  ["OUTPUT", "-s", `${address}/32`, "-j", "DROP"],
];

/** Drops every packet to and from `address` inside the database's namespace: a peer sees silence, never a reset. */
export function blackHole(database: DatabaseStandIn, address: string): void {
  for (const rule of rules(address)) iptables(database, "-I", ...rule);
}

/** The old primary, repaired, is the standby a later failover moves back to: its address answers again. */
function restore(database: DatabaseStandIn, address: string): void {
  for (const rule of rules(address)) {
    try {
      iptables(database, "-D", ...rule);
    } catch {
      // Never black-holed.
    }
  }
  const present = execFileSync(resolveCommand("ip"), ["-n", database.host.namespace.name, "-o", "-4", "addr", "show", "dev", "eth0"], { encoding: "utf8" });
  if (!present.includes(` ${address}/`)) database.host.namespace.addAddress("eth0", `${address}/24`);
}

/**
 * Fails the stand's database over: the primary black-holed and killed, the standby serving the
 * same data `outageMs` later under the same name. `whileDown` runs right after the primary is lost
 * (a zone loss kills a task then), concurrently with the outage.
 */
export async function failOver(stand: ClusterStand, outageMs: number, whileDown: () => Promise<void> = async () => {}): Promise<FailoverTimes> {
  const database = stand.failoverDatabase;
  if (database === undefined) throw new Error("a failover needs a stand built with databaseDns");
  const from = stand.db.address;
  const to = from === database.host.address ? database.standbyAddress : database.host.address;
  // Silence first, so the killed server's resets never reach a client.
  blackHole(database, from);
  await stand.db.crash();
  const lostAt = Date.now();
  const during = whileDown();
  await sleep(outageMs - (Date.now() - lostAt));
  restore(database, to);
  const standby = await MariaDb.resume({ workDir: database.dir, address: to, port: database.port, netns: database.host.namespace.name, tls: database.tls });
  stand.trackDatabase(standby);
  database.dns.set(database.endpoint, to);
  const backAt = Date.now();
  await during;
  return { lostAt, backAt, from, to };
}
