import { PORTS } from "../../modules/shared/constants";
import { Browser, fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import { logIn, type Realm } from "../../tools/keycloak-http/login";
import type { KeycloakNode } from "./keycloak-node";

/** An admin's way into Keycloak (the admin API of one node), and a login load; the user's way is tools/keycloak-http/login.ts. */
export { exchangeCode, exchangeCodeForTokens, logIn, stillLoggedIn, submitLogin, type Realm, type Tokens } from "../../tools/keycloak-http/login";

/** An admin access token from the master realm, asked of one node directly (not through the proxy). */
export async function adminToken(node: KeycloakNode, realm: Realm): Promise<string> {
  const response = await fetchOnce(
    `http://${node.address}:${PORTS.http}/realms/master/protocol/openid-connect/token`,
    { address: node.address },
    { form: { grant_type: "password", client_id: "admin-cli", username: realm.admin.username, password: realm.admin.password } },
  );
  if (response.status !== 200) throw new Error(`admin token from ${node.name}: ${response.status} ${response.body}`);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

/** A realm (the master realm unless named) as one node's admin API answers it. */
export async function realmRepresentation(node: KeycloakNode, token: string, name = "master"): Promise<Record<string, unknown>> {
  const response = await fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms/${name}`, { address: node.address }, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  if (response.status !== 200) throw new Error(`GET realm through ${node.name}: ${response.status} ${response.body}`);
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** Changes fields of a realm (the master realm unless named) through one node's admin API. */
export async function updateRealm(node: KeycloakNode, token: string, fields: Record<string, unknown>, name = "master"): Promise<void> {
  const response = await fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms/${name}`, { address: node.address }, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}` },
    json: fields,
  });
  if (response.status !== 204) throw new Error(`PUT realm through ${node.name}: ${response.status} ${response.body}`);
}

export interface LoginLoad {
  logins: number;
  failed: number;
  /** The first few failures. */
  failures: string[];
  /** Duration of each successful login, in ms. */
  latenciesMs: number[];
}

/**
 * `users` concurrent users logging in through the proxy for `durationMs`, each login a fresh
 * browser (so the proxy spreads them like new visitors) doing the whole login.
 */
export async function loginLoad(endpoint: Endpoint, realm: Realm, users: number, durationMs: number): Promise<LoginLoad> {
  const until = Date.now() + durationMs;
  const result: LoginLoad = { logins: 0, failed: 0, failures: [], latenciesMs: [] };
  await Promise.all(
    Array.from({ length: users }, async () => {
      while (Date.now() < until) {
        const started = Date.now();
        try {
          await logIn(new Browser(endpoint), realm);
          result.logins++;
          result.latenciesMs.push(Date.now() - started);
        } catch (error) {
          result.failed++;
          if (result.failures.length < 5) result.failures.push((error as Error).message);
        }
      }
    }),
  );
  return result;
}
