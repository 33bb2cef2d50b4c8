import { Browser, fetchOnce, type Endpoint } from "../../tools/keycloak-http/browser";
import { logIn, type Realm, type Tokens } from "../../tools/keycloak-http/login";
import { percentile } from "./user-load";
import { sleep } from "./waiting";

/**
 * The capacity benchmark's load (npm run bench:capacity), shaped like keycloak-benchmark's
 * scenarios: a password login as a browser does it (login page, password POST, code exchange
 * with PKCE: `AuthorizationCode`), a client credentials grant (`ClientSecret`), and a refresh of
 * a logged-in user's tokens (`RefreshToken`). Each operation is timed as a whole.
 *
 * Two ways to drive it: a closed loop (N workers back to back, to find the CPU cost of an
 * operation quickly) and an open loop at a fixed rate (arrivals do not wait for answers, as real
 * users do not), which is how a fixed CPU utilisation is held. An arrival that finds the in-flight
 * cap reached is not sent and counted as `skipped`: the node fell behind the rate.
 */

export const SCENARIOS = ["login", "client-credentials", "refresh"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Requests one operation sends to Keycloak. */
export const REQUESTS_PER_OPERATION: Record<Scenario, number> = { login: 3, "client-credentials": 1, refresh: 1 };

export interface BenchUser {
  username: string;
  password: string;
}

/** What the load needs of the benchmark realm. */
export interface BenchTarget {
  endpoint: Endpoint;
  /** `https://<hostname>/realms/<realm>`. */
  issuer: string;
  users: BenchUser[];
  /** The confidential client with a service account. */
  service: { clientId: string; secret: string };
}

export interface OperationSample {
  scenario: Scenario;
  /** Start, epoch ms. */
  at: number;
  ms: number;
  ok: boolean;
  detail?: string;
}

/** One operation of a scenario; throws on any unexpected answer. */
type Operation = () => Promise<void>;

/** Logged-in users whose tokens the refresh scenario refreshes, each used by one request at a time. */
export class SessionPool {
  private readonly idle: { tokens: Tokens }[] = [];

  private constructor(private readonly target: BenchTarget) {}

  static async logIn(target: BenchTarget, size: number): Promise<SessionPool> {
    const pool = new SessionPool(target);
    for (let i = 0; i < size; i++) pool.idle.push({ tokens: await logIn(new Browser(target.endpoint), realmOf(target, i)) });
    return pool;
  }

  /** Refreshes the tokens of an idle session; false when every session is busy. */
  async refresh(): Promise<boolean> {
    const session = this.idle.shift();
    if (session === undefined) return false;
    try {
      const response = await fetchOnce(`${this.target.issuer}/protocol/openid-connect/token`, this.target.endpoint, {
        form: { grant_type: "refresh_token", refresh_token: session.tokens.refresh_token, client_id: ACCOUNT_CLIENT },
        timeoutMs: 30_000,
      });
      if (response.status !== 200) throw new Error(`refresh answered ${response.status} ${response.body.slice(0, 160)}`);
      session.tokens = JSON.parse(response.body) as Tokens;
      return true;
    } finally {
      this.idle.push(session);
    }
  }
}

/** The public client logIn's code flow uses (tools/keycloak-http/login.ts), present in every realm. */
const ACCOUNT_CLIENT = "account-console";

function realmOf(target: BenchTarget, i: number): Realm {
  const user = target.users[i % target.users.length];
  return { issuer: target.issuer, accountUrl: `${target.issuer}/account/`, admin: user };
}

/** The operation of `scenario`; the refresh scenario needs `sessions`. */
export function operationOf(scenario: Scenario, target: BenchTarget, sessions?: SessionPool): Operation {
  let next = 0;
  switch (scenario) {
    case "login":
      return async () => {
        await logIn(new Browser(target.endpoint), realmOf(target, next++));
      };
    case "client-credentials":
      return async () => {
        const response = await fetchOnce(`${target.issuer}/protocol/openid-connect/token`, target.endpoint, {
          form: { grant_type: "client_credentials", client_id: target.service.clientId, client_secret: target.service.secret },
          timeoutMs: 30_000,
        });
        if (response.status !== 200) throw new Error(`client credentials answered ${response.status} ${response.body.slice(0, 160)}`);
      };
    case "refresh":
      if (sessions === undefined) throw new Error("the refresh scenario needs logged-in sessions");
      return async () => {
        if (!(await sessions.refresh())) throw new Error("no idle session to refresh (raise the pool size above the in-flight cap)");
      };
  }
}

export interface LoadResult {
  samples: OperationSample[];
  /** Arrivals not sent because `maxInFlight` operations were under way. */
  skipped: number;
}

async function timed(scenario: Scenario, op: Operation, samples: OperationSample[]): Promise<void> {
  const at = Date.now();
  try {
    await op();
    samples.push({ scenario, at, ms: Date.now() - at, ok: true });
  } catch (error) {
    samples.push({ scenario, at, ms: Date.now() - at, ok: false, detail: (error as Error).message });
  }
}

/** `workers` workers each running `scenario` back to back for `durationMs`. */
export async function closedLoop(scenario: Scenario, op: Operation, workers: number, durationMs: number): Promise<LoadResult> {
  const until = Date.now() + durationMs;
  const samples: OperationSample[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) await timed(scenario, op, samples);
    }),
  );
  return { samples, skipped: 0 };
}

/**
 * `ratePerSecond` arrivals of `scenario` a second for `durationMs`, evenly spaced, each sent
 * without waiting for the others unless `maxInFlight` are under way. Resolves once every sent
 * operation has completed.
 */
export async function openLoop(scenario: Scenario, op: Operation, ratePerSecond: number, durationMs: number, maxInFlight: number): Promise<LoadResult> {
  const start = Date.now();
  const samples: OperationSample[] = [];
  const running = new Set<Promise<void>>();
  let skipped = 0;
  for (let i = 0; ; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    if (due >= start + durationMs) break;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (running.size >= maxInFlight) {
      skipped++;
      continue;
    }
    const p: Promise<void> = timed(scenario, op, samples).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return { samples, skipped };
}

export interface LatencyStats {
  ok: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** The first few failures. */
  failures: string[];
}

export function latencyStats(samples: OperationSample[]): LatencyStats {
  const ok = samples.filter((s) => s.ok);
  const sorted = ok.map((s) => s.ms).sort((a, b) => a - b);
  const failed = samples.filter((s) => !s.ok);
  return {
    ok: ok.length,
    failed: failed.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    failures: [...new Set(failed.map((s) => `${s.scenario}: ${s.detail}`))].slice(0, 3),
  };
}
