import { Browser, type Endpoint } from "./keycloak-http/browser";
import { logIn, stillLoggedIn, type Realm } from "./keycloak-http/login";
import { nodeStartedAt, type DrillNode, type DrillSession, type SessionCheck } from "./drill-scenario";

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

  /** When the JVM serving this session started (ms since the epoch, by this machine's clock). */
  async serverStartedAt(): Promise<number> {
    const token = await this.browser.request(`${this.realm.issuer}/protocol/openid-connect/token`, {
      form: { grant_type: "password", client_id: "admin-cli", username: this.realm.admin.username, password: this.realm.admin.password },
    });
    if (token.status !== 200) throw new Error(`admin-cli token through the load balancer: ${token.status} ${token.body.slice(0, 200)}`);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    const base = this.realm.issuer.replace(/\/realms\/[^/]+$/, "");
    const asked = Date.now();
    const info = await this.browser.request(`${base}/admin/serverinfo`, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" } });
    if (info.status !== 200) throw new Error(`server info through the load balancer: ${info.status}`);
    const uptimeMillis = (JSON.parse(info.body) as { systemInfo?: { uptimeMillis?: number } }).systemInfo?.uptimeMillis;
    if (typeof uptimeMillis !== "number") throw new Error("server info without systemInfo.uptimeMillis");
    return asked - uptimeMillis;
  }

  async pinnedNode(nodes: DrillNode[]): Promise<DrillNode> {
    const startedAt = await this.serverStartedAt();
    const node = nodeStartedAt(nodes, startedAt);
    if (node === undefined) {
      throw new Error(`no single node started just before the serving JVM (${new Date(startedAt).toISOString()}): ${nodes.map((n) => `${n.id} ${new Date(n.startedAt).toISOString()}`).join(", ")}`);
    }
    return node;
  }
}
