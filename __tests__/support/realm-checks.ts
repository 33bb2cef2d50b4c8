import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "../../modules/shared/constants";
import { DOCKER_DIR } from "../../modules/image/image";
import { REALMS_DIR, THEMES_FOLDER } from "../../modules/image/image-content";
import { authorizationRequest, Browser, fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import { STICKY_COOKIE } from "./haproxy";
import type { KeycloakNode } from "./keycloak-node";
import { servedBy } from "./proxy-log";

/**
 * What the e2e checks of the realms and themes shipped as code read: the example realm export
 * and the example theme's marker (both taken from the repository's files, so a change there
 * changes the expectation), the import's outcome in a node's log, and the login page as the
 * proxy serves it from a chosen node.
 */

export interface ExampleRealm {
  name: string;
  clientId: string;
  redirectUri: string;
  loginTheme: string;
}

/** realms/example.json: its realm, its first client and that client's first redirect URI. */
export function exampleRealm(): ExampleRealm {
  const realm = JSON.parse(readFileSync(join(REALMS_DIR, "example.json"), "utf8")) as {
    realm: string;
    loginTheme: string;
    clients: { clientId: string; redirectUris: string[] }[];
  };
  const [client] = realm.clients;
  return { name: realm.realm, clientId: client.clientId, redirectUri: client.redirectUris[0].replace(/\*$/, "callback"), loginTheme: realm.loginTheme };
}

/** The heading the realm's login theme puts on the sign-in page (its `loginAccountTitle` message). */
export function themeMarker(theme: string): string {
  const messages = readFileSync(join(DOCKER_DIR, THEMES_FOLDER, theme, "login", "messages", "messages_en.properties"), "utf8");
  const marker = /^loginAccountTitle=(.+)$/m.exec(messages)?.[1]?.trim();
  if (marker === undefined) throw new Error(`the ${theme} theme sets no loginAccountTitle`);
  return marker;
}

export type ImportOutcome = "imported" | "skipped" | "not attempted";

function outcomeIn(log: string, realm: string): ImportOutcome {
  if (log.includes(`Realm '${realm}' already exists. Import skipped`)) return "skipped";
  if (log.includes(`Realm '${realm}' imported`)) return "imported";
  return "not attempted";
}

/** What `--import-realm` did with `realm` in each start of the node so far, in order, from Keycloak's log. */
export function importOutcomes(node: KeycloakNode, realm: string): ImportOutcome[] {
  if (!existsSync(node.logFile)) return [];
  // KeycloakNode.start writes a `===== <name> start #<n> at ... =====` line before each start.
  return readFileSync(node.logFile, "utf8")
    .split(/^===== \S+ start #\d+ at \S+ =====$/m)
    .slice(1)
    .map((log) => outcomeIn(log, realm));
}

/** The client IDs of `realm` matching `clientId`, as one node's admin API lists them. */
export async function clientIds(node: KeycloakNode, token: string, realm: string, clientId: string): Promise<string[]> {
  const url = `http://${node.address}:${PORTS.http}/admin/realms/${realm}/clients?clientId=${encodeURIComponent(clientId)}`;
  const response = await fetchOnce(url, { address: node.address }, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  if (response.status !== 200) throw new Error(`GET clients of ${realm} through ${node.name}: ${response.status} ${response.body}`);
  return (JSON.parse(response.body) as { clientId: string }[]).map((client) => client.clientId);
}

export interface LoginPage {
  status: number;
  /** The node that answered, per the proxy's log. */
  server: string;
  showsMarker: boolean;
}

/** The realm's login page for its client, through the proxy, pinned (stickiness cookie) to `node`. */
export async function loginPageVia(endpoint: Endpoint, proxyLog: string, node: KeycloakNode, issuer: string, realm: ExampleRealm, marker: string): Promise<LoginPage> {
  const browser = new Browser(endpoint);
  browser.setCookie(STICKY_COOKIE, node.name);
  const auth = authorizationRequest(issuer, realm.clientId, realm.redirectUri);
  const page = await browser.request(auth.url);
  const entry = await servedBy(proxyLog, "GET", auth.state);
  return { status: page.status, server: entry.server, showsMarker: page.body.includes(marker) };
}
