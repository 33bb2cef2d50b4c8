import { randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import { PORTS } from "../../modules/shared/constants";
import { asFetchResponse, Browser, fetchOnce, loginFormAction, type Endpoint } from "../../tools/keycloak-http/browser";
import { STICKY_COOKIE } from "./haproxy";
import type { KeycloakNode } from "./keycloak-node";

/**
 * An application that signs users in with openid-client (a certified relying-party library):
 * discovery, authorization code with PKCE, refresh, userinfo and introspection. Its back channel
 * goes through the ALB-like proxy like a browser's would, keeping the proxy's stickiness cookie,
 * so the test knows which node issued a token and can kill exactly that node.
 */

export const APP_CLIENT_ID = "e2e-app";
/** Never opened: the test reads the code from the redirect Keycloak answers. */
export const APP_REDIRECT_URI = "https://app.e2e.test/callback";

export interface User {
  username: string;
  password: string;
}

/** fetch over the test endpoint (fixed address, trusted CA) carrying one stickiness cookie. */
class StickyFetch {
  /** The node that answered last, as the proxy's cookie names it. */
  server: string | undefined;

  constructor(private readonly endpoint: Endpoint) {}

  readonly fetch: oidc.CustomFetch = async (url, options) => {
    const headers = { ...options.headers, ...(this.server === undefined ? {} : { Cookie: `${STICKY_COOKIE}=${this.server}` }) };
    const body = options.body === undefined || options.body === null ? undefined : String(options.body);
    const response = await fetchOnce(url, this.endpoint, { method: options.method, headers, body });
    for (const line of response.headers["set-cookie"] ?? []) {
      const m = new RegExp(`^${STICKY_COOKIE}=([^;]*)`).exec(line);
      if (m !== null) this.server = m[1];
    }
    return asFetchResponse(response);
  };
}

export class OidcApp {
  private refreshToken?: string;
  /** The latest access token and the node that issued it: the next round introspects it, maybe after that node is gone. */
  private lastAccessToken?: { token: string; issuedBy?: string };
  subject?: string;

  private constructor(
    private readonly config: oidc.Configuration,
    private readonly channel: StickyFetch,
  ) {}

  /** Discovery through the proxy, pinned to `server` when given. */
  static async discover(issuer: string, endpoint: Endpoint, clientSecret: string, server?: string): Promise<OidcApp> {
    const channel = new StickyFetch(endpoint);
    channel.server = server;
    const config = await oidc.discovery(new URL(issuer), APP_CLIENT_ID, undefined, oidc.ClientSecretPost(clientSecret), { [oidc.customFetch]: channel.fetch });
    config[oidc.customFetch] = channel.fetch;
    return new OidcApp(config, channel);
  }

  /** The node that served the app's last request (and so issued its latest tokens). */
  get server(): string | undefined {
    return this.channel.server;
  }

  /** The authorization code flow with PKCE; `userAgent` is the user's browser (cookie jar) that logs in. */
  async signIn(userAgent: Browser, user: User): Promise<void> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: APP_REDIRECT_URI,
      scope: "openid profile email",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    const page = await userAgent.request(url.href);
    const action = loginFormAction(page.body);
    if (action === undefined) throw new Error(`no login form at ${url.href}: ${page.status}`);
    const redirect = await userAgent.request(action, { form: { username: user.username, password: user.password, credentialId: "" } });
    if (redirect.status !== 302 || redirect.location === undefined) throw new Error(`login answered ${redirect.status}: ${redirect.body.slice(0, 300)}`);
    const tokens = await oidc.authorizationCodeGrant(this.config, new URL(redirect.location), { pkceCodeVerifier: verifier, expectedState: state });
    this.refreshToken = tokens.refresh_token;
    this.lastAccessToken = { token: tokens.access_token, issuedBy: this.server };
    this.subject = tokens.claims()?.sub;
  }

  /**
   * One round of what an application does with a session: introspect the access token of the
   * previous round (issued by the node the app was pinned to then, which may be gone now; the
   * master realm's tokens live 60 s, so rounds must be closer than that), refresh the tokens with
   * the refresh token of the previous round, read userinfo with the new access token.
   */
  async useSession(): Promise<{ ok: boolean; detail: string }> {
    if (this.refreshToken === undefined || this.subject === undefined || this.lastAccessToken === undefined) return { ok: false, detail: "not signed in" };
    const previous = this.lastAccessToken;
    const introspection = await oidc.tokenIntrospection(this.config, previous.token);
    const refreshed = await oidc.refreshTokenGrant(this.config, this.refreshToken);
    this.refreshToken = refreshed.refresh_token ?? this.refreshToken;
    this.lastAccessToken = { token: refreshed.access_token, issuedBy: this.server };
    const userinfo = await oidc.fetchUserInfo(this.config, refreshed.access_token, this.subject);
    const ok = introspection.active === true && introspection.sub === this.subject && userinfo.sub === this.subject;
    return { ok, detail: `token issued by ${previous.issuedBy} active=${introspection.active}, refreshed via ${this.server}, userinfo ${userinfo.preferred_username}` };
  }
}

/** Admin API calls straight to one node (not through the proxy), with an admin token. */
async function adminCall(node: KeycloakNode, token: string, method: string, path: string, json: unknown): Promise<void> {
  const response = await fetchOnce(`http://${node.address}:${PORTS.http}/admin/realms/master${path}`, { address: node.address }, {
    method,
    headers: { Authorization: `Bearer ${token}` },
    json,
  });
  if (response.status !== 201 && response.status !== 204) throw new Error(`${method} ${path} through ${node.name}: ${response.status} ${response.body}`);
}

/** The confidential client of the app (code flow, PKCE S256 required); returns its secret. */
export async function createAppClient(node: KeycloakNode, token: string): Promise<string> {
  const secret = randomBytes(24).toString("base64url");
  await adminCall(node, token, "POST", "/clients", {
    clientId: APP_CLIENT_ID,
    publicClient: false,
    secret,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    redirectUris: [APP_REDIRECT_URI],
    attributes: { "pkce.code.challenge.method": "S256" },
    // Keycloak 26 introspects a token only for a client in its audience ("Client 'e2e-app' is not in
    // the token audience", found by the first run); an app introspecting its own tokens needs this.
    protocolMappers: [
      {
        name: "own audience",
        protocol: "openid-connect",
        protocolMapper: "oidc-audience-mapper",
        config: { "included.client.audience": APP_CLIENT_ID, "access.token.claim": "true", "introspection.token.claim": "true" },
      },
    ],
  });
  return secret;
}

/** A user without any admin role, with every attribute the default user profile asks for. */
export async function createUser(node: KeycloakNode, token: string, username: string): Promise<User> {
  const password = randomBytes(18).toString("base64url");
  await adminCall(node, token, "POST", "/users", {
    username,
    enabled: true,
    email: `${username}@e2e.test`,
    emailVerified: true,
    firstName: username,
    lastName: "Tester",
    credentials: [{ type: "password", value: password, temporary: false }],
  });
  return { username, password };
}
