import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * Just enough of a browser for Keycloak's login pages: a cookie jar, form posts, no automatic
 * redirects (the tests look at each one), and a fixed address for the public host name so no
 * DNS is involved.
 */

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The Location header, resolved against the request URL. */
  location?: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as it is, with the caller's Content-Type header. */
  body?: string;
  /** @default 15_000 */
  timeoutMs?: number;
}

interface Cookie {
  value: string;
  path: string;
}

export interface Endpoint {
  /** Address to connect to instead of resolving the URL's host. @default the URL's host, resolved by DNS */
  address?: string;
  /** PEM certificates to trust for https. */
  ca?: string;
}

/** One HTTP exchange without cookies; rejects on network errors and timeouts. */
export function fetchOnce(url: string, endpoint: Endpoint, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let payload: string | undefined;
  if (options.form !== undefined) {
    payload = new URLSearchParams(options.form).toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (options.json !== undefined) {
    payload = JSON.stringify(options.json);
    headers["Content-Type"] = "application/json";
  } else if (options.body !== undefined) {
    payload = options.body;
  }
  if (payload !== undefined) headers["Content-Length"] = String(Buffer.byteLength(payload));
  const secure = target.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: endpoint.address ?? target.hostname,
        port: target.port === "" ? (secure ? 443 : 80) : Number(target.port),
        path: `${target.pathname}${target.search}`,
        method: options.method ?? (payload === undefined ? "GET" : "POST"),
        headers: { Host: target.host, ...headers },
        timeout: options.timeoutMs ?? 15_000,
        agent: false,
        ...(secure ? { servername: target.hostname, ca: endpoint.ca } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          const location = res.headers.location === undefined ? undefined : new URL(res.headers.location, url).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, location });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${req.method} ${url}: no response within ${options.timeoutMs ?? 15_000} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export class Browser {
  private readonly cookies = new Map<string, Cookie>();

  constructor(private readonly endpoint: Endpoint) {}

  async request(url: string, options: RequestOptions = {}): Promise<Response> {
    const path = new URL(url).pathname;
    const cookieHeader = [...this.cookies.entries()]
      .filter(([, cookie]) => path.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join("; ");
    const headers = { ...(options.headers ?? {}), ...(cookieHeader === "" ? {} : { Cookie: cookieHeader }) };
    const response = await fetchOnce(url, this.endpoint, { ...options, headers });
    this.store(response.headers["set-cookie"] ?? [], path);
    return response;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  setCookie(name: string, value: string, path = "/"): void {
    this.cookies.set(name, { value, path });
  }

  private store(setCookies: string[], requestPath: string): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(";").map((part) => part.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const maxAge = attribute("max-age");
      const expires = attribute("expires");
      const expired = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) < Date.now());
      if (expired || value === "") {
        this.cookies.delete(name);
        continue;
      }
      this.cookies.set(name, { value, path: attribute("path") ?? requestPath.replace(/\/[^/]*$/, "/") });
    }
  }
}

/** Parameters of one OpenID Connect authorization-code request with PKCE. */
export interface AuthorizationRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

export function authorizationRequest(
  issuer: string,
  clientId: string,
  redirectUri: string,
  extra: Record<string, string> = {},
): AuthorizationRequest {
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  const params = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    response_mode: "query",
    scope: "openid",
    state,
    nonce,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    ...extra,
  });
  return { url: `${issuer}/protocol/openid-connect/auth?${params.toString()}`, verifier, state, nonce };
}

/** A response as the Fetch API's Response, for libraries that take a fetch implementation. */
export function asFetchResponse(response: Response): globalThis.Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const empty = response.status === 204 || response.status === 304;
  return new globalThis.Response(empty ? null : response.body, { status: response.status, headers });
}

/** The `action` of Keycloak's login form (`kc-form-login`), HTML entities decoded. */
export function loginFormAction(html: string): string | undefined {
  const form = /<form[^>]*id="kc-form-login"[^>]*>/.exec(html)?.[0];
  const action = form === undefined ? undefined : /action="([^"]+)"/.exec(form)?.[1];
  return action?.replace(/&amp;/g, "&").replace(/&#x3d;/gi, "=").replace(/&#61;/g, "=");
}

/** The authorization code of a redirect back to the client, after checking its state. */
export function codeFrom(location: string | undefined, state: string): string | undefined {
  if (location === undefined) return undefined;
  const params = new URL(location).searchParams;
  if (params.get("state") !== state) return undefined;
  return params.get("code") ?? undefined;
}
