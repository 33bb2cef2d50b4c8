import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { HEALTH_READY_PATH, PORTS } from "../../modules/shared/constants";
import { resolveCommand } from "./command-stubs";
import type { TargetHealthCheck } from "./ecs-timings";

/**
 * The ALB stand-in: haproxy terminating HTTPS with a certificate made by openssl at test time (as
 * the original made its self-signed ACM certificate), forwarding to the Keycloak nodes the way the
 * stack's listener and target group do: X-Forwarded-For/-Proto/-Port, health check on the
 * management port, duration-based cookie stickiness (AWSALB), and a dead target's users go to a
 * live one once the health check (or, on the ECS stand, the deregistration) took it out; no retry
 * and no redispatch of a request, which the ALB does neither.
 */

/**
 * The health-check timing of a stand without the ECS stand-in (no `targetGroup`): a check every
 * `intervalMs`, a server is DOWN after `fall` failed checks and UP after `rise` good ones. The e2e
 * test derives what a node's death may cost users from these numbers.
 *
 * Faster than the synthesized target group (targetGroup / ecs-timings.ts) on purpose, and only
 * for killed nodes: on those stands a killed node stands for a crashed task, and ECS deregisters
 * a stopping task's target as the task stops (ecs-lifecycle.ts), long before the target group's
 * interval x unhealthy threshold; these checks stand in for that deregistration. A node that hangs
 * without exiting is only taken out by the target group's health check: `unhealthyAfterMs`, or
 * the ECS stand, which runs the synthesized timings. How long ECS takes from the exit to the
 * deregistration on AWS is what `npm run drill` measures; these 3 s are not a claim about it.
 */
export const HEALTH_CHECK = { intervalMs: 1_000, fall: 2, rise: 2 } as const;

/** The cookie the ALB uses for duration-based stickiness; haproxy sets one of the same name. */
export const STICKY_COOKIE = "AWSALB";

/**
 * The task a stickiness cookie pins to: haproxy's inserted cookie is the server's name, followed
 * with `maxlife` by `|<first>|<last>` dates (the ALB's own cookie is opaque; the stand names the
 * node). Compare this, never the whole value, with a node's name.
 */
export function stickyTarget(cookie: string | undefined): string | undefined {
  return cookie?.split("|")[0];
}

export interface Certificate {
  /** PEM certificate, for clients to trust. */
  certPem: string;
  /** Certificate and key in one file, as haproxy's `crt` wants it. */
  bundleFile: string;
}

/** A self-signed certificate for `hostname`, with the original's steps: genrsa 2048, req, x509 -days 365. */
export function makeCertificate(dir: string, hostname: string): Certificate {
  const key = join(dir, "proxy.key");
  const csr = join(dir, "proxy.csr");
  const cert = join(dir, "proxy.crt");
  const extensions = join(dir, "proxy.ext");
  const openssl = resolveCommand("openssl");
  const run = (...args: string[]) => execFileSync(openssl, args, { stdio: ["ignore", "ignore", "pipe"] });
  run("genrsa", "-out", key, "2048");
  run("req", "-new", "-key", key, "-out", csr, "-subj", `/CN=${hostname}`);
  // Clients check the name against subjectAltName only.
  writeFileSync(extensions, `subjectAltName=DNS:${hostname}\n`);
  run("x509", "-req", "-days", "365", "-in", csr, "-signkey", key, "-out", cert, "-extfile", extensions);
  const certPem = readFileSync(cert, "utf8");
  const bundleFile = join(dir, "proxy.pem");
  writeFileSync(bundleFile, certPem + readFileSync(key, "utf8"), { mode: 0o600 });
  return { certPem, bundleFile };
}

export interface Backend {
  /** Server name; also the value of the stickiness cookie that pins a client to it. */
  name: string;
  address: string;
}

export interface HaproxyOptions {
  dir: string;
  /** Address and port the HTTPS frontend listens on. */
  bindAddress: string;
  bindPort: number;
  certificate: Certificate;
  backends: Backend[];
  /** Routing of the frontend before it forwards: the stack's listener rules (see alb-rules.ts). @default [] (forward everything) */
  frontendRules?: readonly string[];
  /** @default 15_000 */
  startTimeoutMs?: number;
  /**
   * The synthesized target group's health check and stickiness (ecs-timings.ts), for the ECS
   * stand-in. @default HEALTH_CHECK on the management port's readiness, AWSALB stickiness
   */
  targetGroup?: { healthCheck: TargetHealthCheck; stickiness?: { cookieDurationSeconds: number } };
  /** Backends registered at start; the others start in maintenance until registered. @default all */
  registered?: readonly string[];
  /**
   * Without `targetGroup`: take a server out only after this long of failed checks (the
   * synthesized target group's interval x unhealthy threshold), still checking every
   * HEALTH_CHECK.intervalMs. The ALB's time to fail a target that is up but not ready, with
   * the fast proxy's quick recovery. @default HEALTH_CHECK.fall checks
   */
  unhealthyAfterMs?: number;
}

/** Failed fast checks before a server is DOWN: HEALTH_CHECK.fall, or as many as `unhealthyAfterMs` takes. */
export function fastFall(unhealthyAfterMs?: number): number {
  return unhealthyAfterMs === undefined ? HEALTH_CHECK.fall : Math.max(HEALTH_CHECK.fall, Math.ceil(unhealthyAfterMs / HEALTH_CHECK.intervalMs));
}

export function haproxyConfig(options: HaproxyOptions): string {
  const registered = (name: string) => options.registered === undefined || options.registered.includes(name);
  const servers = options.backends.map(
    (backend) => `  server ${backend.name} ${backend.address}:${PORTS.http} cookie ${backend.name}${registered(backend.name) ? "" : " disabled"}`,
  );
  const tg = options.targetGroup;
  const sticky = tg === undefined || tg.stickiness !== undefined;
  const cookie = sticky ? [`  cookie ${STICKY_COOKIE} insert indirect nocache${tg?.stickiness ? ` maxlife ${tg.stickiness.cookieDurationSeconds}s` : ""}`] : [];
  const check = tg?.healthCheck;
  return [
    "global",
    "  log stdout format raw local0 info",
    `  stats socket ${join(options.dir, "admin.sock")} mode 600 level admin`,
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    // As the ALB: a request whose target refuses the connection or fails is answered with an
    // error (the ALB's 502, haproxy's 503), never retried on the same or another target.
    "  retries 0",
    "",
    "frontend https",
    `  bind ${options.bindAddress}:${options.bindPort} ssl crt ${options.certificate.bundleFile}`,
    "  option forwardfor",
    "  http-request set-header X-Forwarded-Proto https",
    `  http-request set-header X-Forwarded-Port ${options.bindPort}`,
    ...(options.frontendRules ?? []),
    // The ALB "fails open": when no target of a group is healthy it routes to all of them.
    "  use_backend keycloak_fail_open if { nbsrv(keycloak) lt 1 }",
    "  default_backend keycloak",
    "",
    "backend keycloak",
    "  balance roundrobin",
    ...cookie,
    `  option httpchk GET ${check?.path ?? HEALTH_READY_PATH}`,
    `  http-check expect status ${check?.matcher ?? 200}`,
    ...(check === undefined
      ? [`  default-server check port ${PORTS.management} inter ${HEALTH_CHECK.intervalMs}ms fall ${fastFall(options.unhealthyAfterMs)} rise ${HEALTH_CHECK.rise}`]
      : [`  timeout check ${check.timeoutMs}ms`, `  default-server check port ${check.port} inter ${check.intervalMs}ms fall ${check.unhealthyThreshold} rise ${check.healthyThreshold}`]),
    ...servers,
    "",
    "backend keycloak_fail_open",
    "  balance roundrobin",
    ...cookie,
    ...servers,
    "",
  ].join("\n");
}

/** One server's line of haproxy's `show stat`. */
export interface ServerStat {
  backend: string;
  server: string;
  /** "UP", "DOWN", "MAINT", "DRAIN", "UP 1/2", ... */
  status: string;
  /** Sessions (requests in flight) on the server now. */
  current: number;
  /** Sessions the server was given since the proxy started (`stot`): it grows with every request sent to it. */
  total: number;
}

export class Haproxy {
  private constructor(
    private readonly process: ChildProcess,
    readonly configFile: string,
    readonly logFile: string,
    private readonly socket: string,
  ) {}

  static async start(options: HaproxyOptions): Promise<Haproxy> {
    const configFile = join(options.dir, "haproxy.cfg");
    const logFile = join(options.dir, "haproxy.log");
    writeFileSync(configFile, haproxyConfig(options));
    const haproxy = resolveCommand("haproxy");
    execFileSync(haproxy, ["-c", "-q", "-f", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    const log = openSync(logFile, "a");
    const child = spawn(haproxy, ["-db", "-f", configFile], { detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    const proxy = new Haproxy(child, configFile, logFile, join(options.dir, "admin.sock"));
    const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
    while (!(await canConnect(options.bindAddress, options.bindPort))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        proxy.kill();
        throw new Error(`haproxy did not listen on ${options.bindAddress}:${options.bindPort}:\n${readFileSync(logFile, "utf8")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return proxy;
  }

  /** Process (and group) ID, for the test's cleanup guard. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Health-check state of each server ("UP", "DOWN", ...), from the admin socket. */
  async serverStates(): Promise<Record<string, string>> {
    const states: Record<string, string> = {};
    for (const stat of await this.serverStats()) if (stat.backend === "keycloak") states[stat.server] = stat.status;
    return states;
  }

  /** Every server of both backends, from the admin socket's `show stat`. */
  async serverStats(): Promise<ServerStat[]> {
    const csv = await adminCommand(this.socket, "show stat");
    const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
    const columns = header.split(",");
    return rows
      .map((row) => Object.fromEntries(row.split(",").map((cell, i) => [columns[i], cell])))
      .filter((r) => r.pxname.startsWith("keycloak") && r.svname !== "BACKEND" && r.svname !== "FRONTEND")
      .map((r) => ({ backend: r.pxname, server: r.svname, status: r.status, current: Number(r.scur), total: Number(r.stot) }));
  }

  /** A command on haproxy's runtime API (`set server ...`); throws on any answer but an empty one. */
  async runtime(command: string): Promise<void> {
    const answer = (await adminCommand(this.socket, command)).trim();
    if (answer !== "") throw new Error(`haproxy refused '${command}': ${answer}`);
  }

  kill(): void {
    if (this.process.pid === undefined || this.process.exitCode !== null || this.process.signalCode !== null) return;
    try {
      process.kill(-this.process.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const socket = connect({ path: socketPath });
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.end(`${command}\n`));
    socket.on("data", (chunk: string) => (output += chunk));
    socket.once("end", () => resolve(output));
    socket.once("error", reject);
  });
}
