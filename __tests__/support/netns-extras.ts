import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";

/**
 * Additions to netns.ts for tests that run servers in a namespace: a /24 of their own and
 * host names that resolve inside the namespace only.
 */

/**
 * The first three octets ("198.19.42") of a /24 inside 198.18.0.0/15 that no host interface uses,
 * so test files running in parallel do not route each other's traffic. Avoids 198.18.0.0/24, which
 * other tests use with fixed addresses. Always the lower half of a /23 (an even third octet): the
 * stands' VPC is that /23 (vpcCidrAround), whose public subnets, the ALB's and so the proxy's,
 * are carved from its start, where the test network's gateway is.
 */
export function freeTestSubnet(): string {
  const inUse = execFileSync("ip", ["-o", "-4", "addr", "show"], { encoding: "utf8" });
  for (let attempt = 0; attempt < 50; attempt++) {
    const block = 2 * randomInt(1, 256);
    const prefix = `198.${18 + Math.floor(block / 256)}.${block % 256}`;
    if (!inUse.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error("no free /24 in 198.18.0.0/15 after 50 tries");
}

/**
 * Makes `names` resolve to the given addresses for processes started with `ip netns exec <namespace>`,
 * which bind-mounts /etc/netns/<namespace>/hosts over /etc/hosts and .../resolv.conf over
 * /etc/resolv.conf. Without `nameserver`, resolv.conf names no server (the resolver then asks the
 * namespace's own loopback), so a name missing from the file fails instead of reaching a real DNS
 * server; with it, names missing from the file are asked of that server (a test's own, dns-server.ts).
 * Returns the removal.
 */
export function setNamespaceHosts(namespace: string, names: Record<string, string>, nameserver?: string): () => void {
  const dir = `/etc/netns/${namespace}`;
  mkdirSync(dir, { recursive: true });
  const lines = ["127.0.0.1 localhost", ...Object.entries(names).map(([name, address]) => `${address} ${name}`)];
  writeFileSync(`${dir}/hosts`, `${lines.join("\n")}\n`);
  writeFileSync(`${dir}/resolv.conf`, `${nameserver === undefined ? "" : `nameserver ${nameserver}\n`}options attempts:1 timeout:1\n`);
  return () => rmSync(dir, { recursive: true, force: true });
}
