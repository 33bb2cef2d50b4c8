import { PORTS } from "../../modules/shared/constants";
import { fetchOnce } from "../../tools/keycloak-http/browser";
import { adminToken, type Realm } from "./keycloak-login";
import type { KeycloakNode } from "./keycloak-node";
import { sleep, waitFor } from "./waiting";

/**
 * Which Keycloak release ran when, as the nodes themselves report it, not as the harness
 * believes it started them: every slot's address is asked for the admin API's server info
 * (`systemInfo.version`, the release of the JVM that answers) at a fixed interval, whether or not
 * the harness thinks a node runs there. "Two versions at once" is then read from these reports.
 *
 * Limit: a node is seen from its first answer on. A starting node (e.g. one migrating the schema)
 * does not answer yet, so the reports cannot see it; what they bound is when each release served.
 */

export interface VersionReport {
  /** The slot asked (its address does not change when the slot gets a node of another release). */
  node: string;
  /** When the request was sent. */
  at: number;
  /** The release the node reported; undefined when it did not answer (stopped, starting, refused). */
  version?: string;
}

/** A stretch of one node answering with one release. */
export interface VersionSpan {
  node: string;
  version: string;
  /** The first answer with this release. */
  from: number;
  /** The first report after the last such answer (the node answered otherwise or not at all then), or the last answer if none followed. */
  to: number;
}

/** The nodes' reports, per node, cut into stretches of answers with one release. */
export function versionSpans(reports: VersionReport[]): VersionSpan[] {
  const spans: VersionSpan[] = [];
  const byNode = new Map<string, VersionReport[]>();
  for (const report of reports) byNode.set(report.node, [...(byNode.get(report.node) ?? []), report]);
  for (const [node, own] of byNode) {
    let open: VersionSpan | undefined;
    for (const report of [...own].sort((x, y) => x.at - y.at)) {
      if (open !== undefined && report.version === open.version) {
        open.to = report.at;
        continue;
      }
      // Anything else ends the stretch; the node may have answered until this report was sent.
      if (open !== undefined) open.to = report.at;
      open = report.version === undefined ? undefined : { node, version: report.version, from: report.at, to: report.at };
      if (open !== undefined) spans.push(open);
    }
  }
  return spans;
}

export interface VersionOverlap {
  first: VersionSpan;
  second: VersionSpan;
  ms: number;
}

/**
 * Pairs of stretches of two different releases on two nodes that overlap in time: both releases
 * served at once. (One node's successive releases are successive processes on one address.)
 */
export function versionOverlaps(spans: VersionSpan[]): VersionOverlap[] {
  const overlaps: VersionOverlap[] = [];
  spans.forEach((first, i) => {
    for (const second of spans.slice(i + 1)) {
      if (first.node === second.node || first.version === second.version) continue;
      const ms = Math.min(first.to, second.to) - Math.max(first.from, second.from);
      if (ms > 0) overlaps.push({ first, second, ms });
    }
  });
  return overlaps;
}

/** The longest time two releases served at once (0: never), from the nodes' reports. */
export function mixedVersionMs(reports: VersionReport[]): number {
  return Math.max(0, ...versionOverlaps(versionSpans(reports)).map((o) => o.ms));
}

/** Asks every slot's node for its release every `intervalMs` until stopped. */
export class VersionWatch {
  readonly reports: VersionReport[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(
    /** The node now in each slot (a slot's node is replaced when it gets another release). */
    slots: (() => KeycloakNode)[],
    realm: Realm,
    readonly intervalMs = 1_000,
  ) {
    this.loops = slots.map(async (current) => {
      let token: string | undefined;
      while (!this.stopped) {
        const node = current();
        const at = Date.now();
        let version: string | undefined;
        try {
          token ??= await adminToken(node, realm);
          const response = await fetchOnce(`http://${node.address}:${PORTS.http}/admin/serverinfo`, { address: node.address }, {
            headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
            timeoutMs: 5_000,
          });
          if (response.status === 200) version = (JSON.parse(response.body) as { systemInfo: { version: string } }).systemInfo.version;
          else token = undefined;
        } catch {
          token = undefined;
        }
        this.reports.push({ node: node.name, at, version });
        await sleep(Math.max(0, intervalMs - (Date.now() - at)));
      }
    });
  }

  /** Resolves once each of `nodes` reported its release: the watch sees them before anything changes. */
  async answered(nodes: string[], timeoutMs: number): Promise<void> {
    await waitFor(`${nodes.join(", ")} to report their release`, timeoutMs, async () =>
      nodes.every((node) => this.reports.some((r) => r.node === node && r.version !== undefined)) ? true : undefined);
  }

  async stop(): Promise<VersionReport[]> {
    this.stopped = true;
    await Promise.all(this.loops);
    return this.reports;
  }
}
