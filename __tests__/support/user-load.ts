import { Browser, type Endpoint } from "../../tools/keycloak-http/browser";
import { STICKY_COOKIE, stickyTarget } from "./haproxy";
import { logIn, type Realm, type Tokens } from "./keycloak-login";
import { sleep, waitFor } from "./waiting";

/**
 * A bounded load of what an application's users do, through the proxy: logins the way an
 * application logs users in (authorization code + PKCE, the whole browser flow, each a new
 * visitor) and token refreshes of users who stay logged in (each with its own browser, so its
 * stickiness cookie). Every request is recorded with its time, so each lifecycle event can be
 * judged on the requests sent while it happened. A refresh that Keycloak answers `invalid_grant`
 * means the user's session is gone: the user has to log in again (a re-login), and does.
 */

export interface Sample {
  at: number;
  kind: "login" | "refresh";
  ok: boolean;
  /** The error, for failures. */
  detail?: string;
  /** Login latency (whole flow) or refresh latency. */
  ms: number;
  user: string;
  /** The node the user's stickiness cookie named when the request was sent. */
  pinnedTo?: string;
}

export interface Relogin {
  at: number;
  user: string;
  pinnedTo?: string;
  detail: string;
  /** The refresh token Keycloak refused: a fault test can ask again later whether the session really ended. */
  refusedRefreshToken: string;
}

export interface LoadOptions {
  /** Users that log in once and then refresh their tokens. @default 4 */
  sessionUsers?: number;
  /** Visitors logging in one after another, each with a fresh browser. @default 2 */
  loginUsers?: number;
  /** Pause between two requests of one user. @default 300 */
  thinkMs?: number;
}

/** Requests per login: the login page, the password POST, the code for tokens. */
export const REQUESTS_PER_LOGIN = 3;

/** The longest a recorded request (a whole login: several requests of up to 15 s each) may take. */
export const LONGEST_REQUEST_MS = 90_000;

export class UserLoad {
  readonly samples: Sample[] = [];
  readonly relogins: Relogin[] = [];
  /** Start times of the requests under way: a sample is pushed on completion but keyed by its start. */
  readonly inFlight = new InFlight();
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly endpoint: Endpoint,
    private readonly realm: Realm,
    private readonly options: LoadOptions = {},
  ) {}

  /** Logs the session users in (must succeed), then starts every user's loop. */
  async start(): Promise<void> {
    const sessions = await Promise.all(
      Array.from({ length: this.options.sessionUsers ?? 4 }, async (_, i) => {
        const browser = new Browser(this.endpoint);
        return { user: `session-${i + 1}`, browser, tokens: await logIn(browser, this.realm) };
      }),
    );
    this.loops = [
      ...sessions.map((s) => this.refreshLoop(s.user, s.browser, s.tokens)),
      ...Array.from({ length: this.options.loginUsers ?? 2 }, (_, i) => this.loginLoop(`visitor-${i + 1}`)),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Every user of the load: the session users and the visitors. */
  get users(): string[] {
    return [...this.sessionUsers, ...Array.from({ length: this.options.loginUsers ?? 2 }, (_, i) => `visitor-${i + 1}`)];
  }

  /** Users whose session lives through the load (their refreshes are recorded by name). */
  get sessionUsers(): string[] {
    return Array.from({ length: this.options.sessionUsers ?? 4 }, (_, i) => `session-${i + 1}`);
  }

  private async refreshLoop(user: string, browser: Browser, first: Tokens): Promise<void> {
    let tokens = first;
    while (!this.stopped) {
      const pinnedTo = stickyTarget(browser.cookie(STICKY_COOKIE));
      const at = Date.now();
      const done = this.inFlight.begin(at);
      try {
        const response = await browser.request(`${this.realm.issuer}/protocol/openid-connect/token`, {
          form: { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "account-console" },
          timeoutMs: 20_000,
        });
        if (response.status === 200) {
          tokens = JSON.parse(response.body) as Tokens;
          this.samples.push({ at, kind: "refresh", ok: true, ms: Date.now() - at, user, pinnedTo });
        } else if (response.status === 400 && response.body.includes("invalid_grant")) {
          // The session is gone: Keycloak asks for a new login, which the user does.
          this.relogins.push({ at, user, pinnedTo, detail: response.body.slice(0, 200), refusedRefreshToken: tokens.refresh_token });
          this.samples.push({ at, kind: "refresh", ok: true, ms: Date.now() - at, user, pinnedTo });
          tokens = await this.timedLogin(user, browser);
        } else {
          this.samples.push({ at, kind: "refresh", ok: false, detail: `HTTP ${response.status} ${response.body.slice(0, 120)}`, ms: Date.now() - at, user, pinnedTo });
        }
      } catch (error) {
        this.samples.push({ at, kind: "refresh", ok: false, detail: (error as Error).message, ms: Date.now() - at, user, pinnedTo });
      } finally {
        done();
      }
      await sleep(this.options.thinkMs ?? 300);
    }
  }

  private async loginLoop(user: string): Promise<void> {
    while (!this.stopped) {
      await this.timedLogin(user, new Browser(this.endpoint)).catch(() => undefined);
      await sleep(this.options.thinkMs ?? 300);
    }
  }

  private async timedLogin(user: string, browser: Browser): Promise<Tokens> {
    const at = Date.now();
    const pinnedTo = stickyTarget(browser.cookie(STICKY_COOKIE));
    const done = this.inFlight.begin(at);
    try {
      const tokens = await logIn(browser, this.realm);
      this.samples.push({ at, kind: "login", ok: true, ms: Date.now() - at, user, pinnedTo });
      return tokens;
    } catch (error) {
      this.samples.push({ at, kind: "login", ok: false, detail: (error as Error).message, ms: Date.now() - at, user, pinnedTo });
      throw error;
    } finally {
      done();
    }
  }

  /**
   * Waits until every request started before `to` has completed (answered, failed or timed out):
   * only then do the samples of a window that ends at `to` hold all of its requests.
   */
  async windowClosed(to: number, timeoutMs = LONGEST_REQUEST_MS): Promise<void> {
    await waitFor(`the load's requests started before the window's end to complete`, timeoutMs, () => (this.inFlight.startedBefore(to) === 0 ? true : undefined), 100);
  }
}

/** Requests under way, by start time. */
export class InFlight {
  private readonly starts = new Map<number, number>();
  private next = 0;

  /** Records a request started at `at`; call the returned function once it completed. */
  begin(at: number): () => void {
    const id = this.next++;
    this.starts.set(id, at);
    return () => {
      this.starts.delete(id);
    };
  }

  /** How many requests started before `to` are still under way. */
  startedBefore(to: number): number {
    return [...this.starts.values()].filter((at) => at < to).length;
  }
}

export interface WindowStats {
  event: string;
  seconds: number;
  logins: number;
  refreshes: number;
  /** HTTP requests sent (a login counts REQUESTS_PER_LOGIN). */
  requests: number;
  failed: number;
  failures: string[];
  relogins: Relogin[];
  /** HTTP requests per second of the window. */
  requestsPerSecond: number;
  /** Users with no successful login or refresh started in the window: stalled while the others ran. */
  usersWithoutProgress: string[];
  loginsPerSecond: number;
  /** Of successful logins, ms. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * What the load saw of the requests sent in [from, to). Samples are pushed on completion and keyed
 * by their start: take this only once every request started before `to` completed (UserLoad.windowClosed).
 */
export function windowStats(load: Pick<UserLoad, "samples" | "relogins" | "users">, event: string, from: number, to: number): WindowStats {
  const inWindow = load.samples.filter((s) => s.at >= from && s.at < to);
  const logins = inWindow.filter((s) => s.kind === "login");
  const failed = inWindow.filter((s) => !s.ok);
  const latencies = logins.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  const seconds = (to - from) / 1000;
  const requests = logins.length * REQUESTS_PER_LOGIN + inWindow.length - logins.length;
  return {
    event,
    seconds,
    logins: logins.filter((s) => s.ok).length,
    refreshes: inWindow.filter((s) => s.kind === "refresh").length,
    requests,
    failed: failed.length,
    failures: failed.slice(0, 5).map((s) => `${s.kind} of ${s.user}: ${s.detail}`),
    relogins: load.relogins.filter((r) => r.at >= from && r.at < to),
    requestsPerSecond: requests / seconds,
    usersWithoutProgress: load.users.filter((user) => !inWindow.some((s) => s.user === user && s.ok)),
    loginsPerSecond: logins.filter((s) => s.ok).length / seconds,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
}
