import { existsSync, readFileSync } from "node:fs";
import { waitFor } from "./waiting";

/**
 * haproxy's HTTP log (`option httplog`), which names the backend and the server that answered
 * each request: the ALB's access log would say the same (target address per request).
 */

export interface ProxyLogEntry {
  /** `keycloak`, or `keycloak_fail_open` while no target is healthy. */
  backend: string;
  /** The server that answered, after retries and redispatch; `<NOSRV>` when none did. */
  server: string;
  status: number;
  method: string;
  path: string;
}

/** Entries of the log's httplog lines (`... backend/server Tq/Tw/Tc/Tr/Ta status ... "METHOD path HTTP/x"`). */
export function proxyLogEntries(text: string): ProxyLogEntry[] {
  const entries: ProxyLogEntry[] = [];
  for (const m of text.matchAll(/ (\S+)\/(\S+) -?\d+\/-?\d+\/-?\d+\/-?\d+\/\+?-?\d+ (-?\d+) .*"(\S+) (\S+) HTTP\/[\d.]+"\s*$/gm)) {
    entries.push({ backend: m[1], server: m[2], status: Number(m[3]), method: m[4], path: m[5] });
  }
  return entries;
}

/**
 * The log entry of the one request whose path contains `marker` (e.g. an authorization request's
 * unique `state`), waiting briefly because haproxy logs a request once it has completed.
 */
export async function servedBy(logFile: string, method: string, marker: string): Promise<ProxyLogEntry> {
  return waitFor(`the proxy's log entry of ${method} ...${marker}...`, 5_000, () => {
    const matches = existsSync(logFile) ? proxyLogEntries(readFileSync(logFile, "utf8")).filter((e) => e.method === method && e.path.includes(marker)) : [];
    if (matches.length > 1) throw new Error(`${matches.length} proxy log entries of ${method} ...${marker}...: expected one`);
    return matches[0];
  }, 100);
}
