import { request as httpsRequest } from "node:https";
import type { Endpoint } from "../../tools/keycloak-http/browser";
import { STICKY_COOKIE } from "./haproxy";

/**
 * A request kept in flight on one target through the proxy: the stickiness cookie names the
 * target (haproxy accepts a cookie without its dates), the headers go at once and the form body a
 * byte at a time over `holdMs`, so the proxy holds a connection to that target for that long.
 * What a deregistration delay exists for: a graceful stop must let it be answered before the task
 * gets SIGTERM. Keycloak's answer itself does not matter (an unknown client's grant: 401).
 */

export interface HeldRequest {
  /** The target the cookie named. */
  target: string;
  /** Whether the proxy was seen holding a connection to the target for it (set by the caller, which reads the proxy). */
  reachedTarget?: boolean;
  /** When the headers were sent (epoch ms). */
  sentAt: number;
  /** When the answer's status line arrived, if one did. */
  answeredAt?: number;
  status?: number;
  error?: string;
}

const BODY = "grant_type=client_credentials&client_id=held-request&padding=";
/** Body bytes sent one at a time: the hold's resolution. */
const TRICKLED_BYTES = 20;

export function holdRequest(url: string, endpoint: Endpoint, target: string, holdMs: number): Promise<HeldRequest> {
  const address = new URL(url);
  const body = BODY + "x".repeat(TRICKLED_BYTES);
  const record: HeldRequest = { target, sentAt: Date.now() };
  return new Promise((resolve) => {
    const req = httpsRequest({
      host: endpoint.address ?? address.hostname,
      port: address.port === "" ? 443 : Number(address.port),
      path: address.pathname,
      method: "POST",
      servername: address.hostname,
      ca: endpoint.ca,
      agent: false,
      timeout: holdMs + 60_000,
      headers: {
        Host: address.host,
        Cookie: `${STICKY_COOKIE}=${target}`,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": String(Buffer.byteLength(body)),
        Connection: "close",
      },
    });
    const finish = (fields: Partial<HeldRequest>) => resolve({ ...record, ...fields });
    req.on("response", (res) => {
      const answeredAt = Date.now();
      res.resume();
      res.on("end", () => finish({ answeredAt, status: res.statusCode }));
      res.on("error", (error) => finish({ answeredAt, status: res.statusCode, error: error.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${holdMs + 60_000} ms`)));
    req.on("error", (error) => finish({ error: error.message }));
    req.flushHeaders();
    const head = body.length - TRICKLED_BYTES;
    req.write(body.slice(0, head));
    let sent = head;
    const timer = setInterval(() => {
      if (req.destroyed) return clearInterval(timer);
      req.write(body[sent]);
      sent += 1;
      if (sent === body.length) {
        clearInterval(timer);
        req.end();
      }
    }, holdMs / TRICKLED_BYTES);
  });
}
