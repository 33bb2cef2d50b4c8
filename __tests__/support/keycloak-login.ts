import * as oidc from "openid-client";
import { PORTS } from "../../modules/constants";
import { asFetchResponse, authorizationRequest, Browser, codeFrom, fetchOnce, loginFormAction, type AuthorizationRequest, type Endpoint } from "./browser";
import type { KeycloakNode } from "./keycloak-node";

/** A user's and an admin's ways into Keycloak: the browser login to the account console, and the admin API. */

export interface Realm {
  /** `https://<hostname>/realms/<realm>`. */
  issuer: string;
  /** The account console's redirect URI, the client the browser logs in to. */
  accountUrl: string;
  admin: { username: string; password: string };
}

/** Fills in the login form of a fresh authorization request; returns the response to the POST. */
export function submitLogin(browser: Browser, realm: Realm, formAction: string) {
  return browser.request(formAction, { form: { username: realm.admin.username, password: realm.admin.password, credentialId: "" } });
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/**
 * The account console's side of the code flow, done by openid-client (a certified relying
 * party): the redirect's state, issuer and code, the token request with the PKCE verifier, the
 * ID token's claims and nonce. Its requests go through `browser` (cookie jar, test endpoint).
 */
export async function exchangeCodeForTokens(browser: Browser, realm: Realm, callback: string, auth: AuthorizationRequest): Promise<Tokens> {
  const config = new oidc.Configuration(
    { issuer: realm.issuer, token_endpoint: `${realm.issuer}/protocol/openid-connect/token`, authorization_response_iss_parameter_supported: true },
    "account-console",
    undefined,
    oidc.None(),
  );
  config[oidc.customFetch] = async (url, options) =>
    asFetchResponse(await browser.request(url, { method: options.method, headers: options.headers, body: options.body == null ? undefined : String(options.body) }));
  try {
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    if (tokens.refresh_token === undefined) throw new Error("the token response has no refresh token");
    return { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
  } catch (error) {
    // openid-client's messages are generic; the cause says which check failed or what the server answered.
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(`code exchange after ${callback.slice(0, 120)}: ${(error as Error).message}${cause === undefined ? "" : ` (${JSON.stringify(cause).slice(0, 300)})`}`);
  }
}

/** The access token of `exchangeCodeForTokens`. */
export async function exchangeCode(browser: Browser, realm: Realm, callback: string, auth: AuthorizationRequest): Promise<string> {
  return (await exchangeCodeForTokens(browser, realm, callback, auth)).access_token;
}

/** Full browser login to the account console (login page, password, code for tokens); throws on any unexpected answer. */
export async function logIn(browser: Browser, realm: Realm): Promise<Tokens> {
  const auth = authorizationRequest(realm.issuer, "account-console", realm.accountUrl);
  const page = await browser.request(auth.url);
  const action = loginFormAction(page.body);
  if (page.status !== 200 || action === undefined) throw new Error(`login page answered ${page.status} without the login form`);
  const redirect = await submitLogin(browser, realm, action);
  const code = codeFrom(redirect.location, auth.state);
  if (redirect.status !== 302 || code === undefined) {
    throw new Error(`login POST answered ${redirect.status} ${redirect.location ?? ""}: ${redirect.body.slice(0, 300)}`);
  }
  return exchangeCodeForTokens(browser, realm, redirect.location!, auth);
}

/**
 * "No login asked": a new authorization request with prompt=none comes straight back with a code
 * (Keycloak answers error=login_required without a session), the code gives tokens, and the
 * account API shows the admin's profile with them.
 */
export async function stillLoggedIn(browser: Browser, realm: Realm): Promise<{ ok: boolean; detail: string }> {
  const auth = authorizationRequest(realm.issuer, "account-console", realm.accountUrl, { prompt: "none" });
  const redirect = await browser.request(auth.url);
  const code = codeFrom(redirect.location, auth.state);
  if (redirect.status !== 302 || code === undefined) {
    return { ok: false, detail: `auth answered ${redirect.status} ${redirect.location ?? redirect.body.slice(0, 200)}` };
  }
  const token = await exchangeCode(browser, realm, redirect.location!, auth);
  const profile = await browser.request(`${realm.issuer}/account`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  const username = profile.status === 200 ? (JSON.parse(profile.body) as { username?: string }).username : undefined;
  return { ok: username === realm.admin.username, detail: `account API ${profile.status}, username ${username}` };
}

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
