import * as oidc from "openid-client";
import { asFetchResponse, authorizationRequest, Browser, codeFrom, loginFormAction, type AuthorizationRequest } from "./browser";

/**
 * A user's way into Keycloak through its public endpoint, as a browser and its application take it:
 * the login form, the code flow (openid-client), and "still logged in" with prompt=none. Shared by
 * `npm run drill` (tools/drill-session.ts) and the e2e harness.
 */
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
