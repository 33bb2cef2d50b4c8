import { Browser, type Endpoint } from "./keycloak-http/browser";
import { logIn, stillLoggedIn, type Realm } from "./keycloak-http/login";
import { nodeStartedAt, type DrillNode, type DrillSession, type SessionCheck } from "./drill-scenario";

export interface ServerInfo {
  /** When the JVM started, ms since the epoch: the time of asking minus its uptime. */
  startedAt: number;
  /** `cpuInfo.processorCount`: Runtime.availableProcessors(). */
  processors: number;
  /** `memoryInfo.total`: Runtime.maxMemory(), the heap's maximum. */
  heapMaxBytes: number;
}

/** Keycloak's `/admin/serverinfo` answer, asked at `asked` (ms since the epoch). */
export function parseServerInfo(body: string, asked: number): ServerInfo {
  const info = JSON.parse(body) as { systemInfo?: { uptimeMillis?: unknown }; cpuInfo?: { processorCount?: unknown }; memoryInfo?: { total?: unknown } };
  const fields = { uptimeMillis: info.systemInfo?.uptimeMillis, processorCount: info.cpuInfo?.processorCount, total: info.memoryInfo?.total };
  const missing = Object.entries(fields).filter(([, v]) => typeof v !== "number").map(([k]) => k);
  if (missing.length > 0) throw new Error(`server info without ${missing.join(", ")}`);
  return { startedAt: asked - Number(fields.uptimeMillis), processors: Number(fields.processorCount), heapMaxBytes: Number(fields.total) };
}

/**
 * The drill's logged-in user over HTTP: the account-console login of a master-realm admin
 * through the load balancer (cookie jar, code flow with PKCE), "still logged in" as a silent
 * authorization request (prompt=none). The load balancer's stickiness cookie is opaque on AWS,
 * so the node that serves the session is found by asking it: Keycloak's server info (through
 * the same cookies, so the same node) tells its uptime, and the node that started then is the
 * one. The local e2e checks this answer against the proxy's own cookie.
 */
export class HttpDrillSession implements DrillSession {
  readonly browser: Browser;

  constructor(
    private readonly realm: Realm,
    endpoint: Endpoint,
  ) {
    this.browser = new Browser(endpoint);
  }

  async logIn(): Promise<void> {
    await logIn(this.browser, this.realm);
  }

  async check(): Promise<SessionCheck> {
    return stillLoggedIn(this.browser, this.realm);
  }

  /**
   * What the JVM serving this session says of itself (Keycloak's server info, through the same
   * cookies, so the same node): when it started (ms since the epoch, by this machine's clock),
   * Runtime.availableProcessors() and Runtime.maxMemory().
   */
  async serverInfo(): Promise<ServerInfo> {
    const token = await this.browser.request(`${this.realm.issuer}/protocol/openid-connect/token`, {
      form: { grant_type: "password", client_id: "admin-cli", username: this.realm.admin.username, password: this.realm.admin.password },
    });
    if (token.status !== 200) throw new Error(`admin-cli token through the load balancer: ${token.status} ${token.body.slice(0, 200)}`);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    const base = this.realm.issuer.replace(/\/realms\/[^/]+$/, "");
    const asked = Date.now();
    const info = await this.browser.request(`${base}/admin/serverinfo`, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" } });
    if (info.status !== 200) throw new Error(`server info through the load balancer: ${info.status}`);
    return parseServerInfo(info.body, asked);
  }

  async pinnedNode(nodes: DrillNode[]): Promise<DrillNode> {
    const { startedAt } = await this.serverInfo();
    const node = nodeStartedAt(nodes, startedAt);
    if (node === undefined) {
      throw new Error(`no single node started just before the serving JVM (${new Date(startedAt).toISOString()}): ${nodes.map((n) => `${n.id} ${new Date(n.startedAt).toISOString()}`).join(", ")}`);
    }
    return node;
  }
}
