import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";
import type { ServerCertificate } from "./database-tls";

/**
 * A throwaway MariaDB server, the stand-in for RDS MySQL in tests (Debian's mariadb-server).
 * It runs as root with its own data directory, without the machine's my.cnf, optionally inside a
 * network namespace, listening on one TCP address; tests administer it as root over its socket.
 * With `tls` it serves TLS and refuses plain TCP connections, as RDS does with the stack's
 * require_secure_transport=1.
 */

/** The server's TLS: its certificate, and the CA that `queryAs` verifies it with. */
export interface MariaDbTls {
  readonly certificate: ServerCertificate;
  readonly caFile: string;
}

export interface MariaDbOptions {
  /** Empty directory for data, socket, pid file and log; the caller removes it. */
  workDir: string;
  /** TCP address to listen on (a 198.18.x address in a test namespace). */
  address: string;
  /** @default 3306 */
  port?: number;
  /** Network namespace to run in; @default the host's. */
  netns?: string;
  /** @default 60_000 */
  startTimeoutMs?: number;
  /** Serve TLS with require_secure_transport=ON. @default plain TCP allowed */
  tls?: MariaDbTls;
}

/** Login for `MariaDb.queryAs`. */
export interface Login {
  user: string;
  password: string;
  database?: string;
}

/**
 * How `queryAs` connects: "verified-tls" checks the server's certificate against the CA of
 * `MariaDbTls` and the address connected to; "plain" refuses TLS (--skip-ssl).
 */
export type Transport = "verified-tls" | "plain";

export interface QueryResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** A MySQL string literal for any value (backslash escapes are on: the server keeps its default sql_mode). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A double-quoted option-file value: the option file parser unescapes \\ and \". */
export function optionValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export class MariaDb {
  private exited = false;

  private constructor(
    readonly address: string,
    readonly port: number,
    readonly socket: string,
    private readonly workDir: string,
    private readonly server: ChildProcess,
    private readonly tls: MariaDbTls | undefined,
  ) {
    server.once("exit", () => (this.exited = true));
  }

  static async start(options: MariaDbOptions): Promise<MariaDb> {
    const dataDir = join(options.workDir, "data");
    mkdirSync(options.workDir, { recursive: true });
    execFileSync(
      resolveCommand("mariadb-install-db"),
      ["--no-defaults", `--datadir=${dataDir}`, "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return MariaDb.serve(options);
  }

  /**
   * A server on the data directory of a stopped one (its `workDir`), listening on another
   * address: what RDS Multi-AZ's standby is after a failover, the same data (synchronous
   * replication) behind a new address.
   */
  static resume(options: MariaDbOptions): Promise<MariaDb> {
    return MariaDb.serve(options);
  }

  private static async serve(options: MariaDbOptions): Promise<MariaDb> {
    const { workDir, address, port = 3306, netns, startTimeoutMs = 60_000, tls } = options;
    const dataDir = join(workDir, "data");
    const socket = join(workDir, "mariadb.sock");
    const serverArgv = [
      resolveCommand("mariadbd"),
      // First, so the machine's /etc/mysql configuration cannot change the stand-in.
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      `--bind-address=${address}`,
      `--pid-file=${join(workDir, "mariadb.pid")}`,
      `--log-error=${join(workDir, "error.log")}`,
      "--user=root",
      // No reverse lookups of client addresses: no DNS traffic, and grants match by address.
      "--skip-name-resolve",
      "--skip-log-bin",
      "--innodb-buffer-pool-size=32M",
      "--performance-schema=OFF",
      ...(tls === undefined ? [] : MariaDb.tlsArguments(workDir, tls.certificate)),
    ];
    const argv = netns === undefined ? serverArgv : [resolveCommand("ip"), "netns", "exec", netns, ...serverArgv];
    const server = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
    const db = new MariaDb(address, port, socket, workDir, server, tls);
    try {
      await db.waitUntilReady(startTimeoutMs);
    } catch (error) {
      await db.stop();
      throw error;
    }
    return db;
  }

  /** The server reads its certificate from fixed files, so `whileServing` can replace it while it runs. */
  private static tlsArguments(workDir: string, certificate: ServerCertificate): string[] {
    MariaDb.installCertificate(workDir, certificate);
    const { certFile, keyFile } = MariaDb.certificatePaths(workDir);
    return [`--ssl-cert=${certFile}`, `--ssl-key=${keyFile}`, "--require-secure-transport=ON"];
  }

  private static certificatePaths(workDir: string): ServerCertificate {
    return { certFile: join(workDir, "server-cert.pem"), keyFile: join(workDir, "server-key.pem") };
  }

  private static installCertificate(workDir: string, certificate: ServerCertificate): void {
    const target = MariaDb.certificatePaths(workDir);
    copyFileSync(certificate.certFile, target.certFile);
    copyFileSync(certificate.keyFile, target.keyFile);
  }

  /** Serves `certificate` to new connections while `body` runs, then its own again (FLUSH SSL re-reads the files). */
  async whileServing<T>(certificate: ServerCertificate, body: () => Promise<T>): Promise<T> {
    const own = this.tls?.certificate;
    if (own === undefined) throw new Error("this MariaDB was started without TLS");
    MariaDb.installCertificate(this.workDir, certificate);
    this.query("FLUSH SSL;");
    try {
      return await body();
    } finally {
      MariaDb.installCertificate(this.workDir, own);
      this.query("FLUSH SSL;");
    }
  }

  /** SIGKILL, synchronously: for a teardown that runs from a signal handler. */
  killNow(): void {
    this.server.kill("SIGKILL");
  }

  /** Runs SQL as root over the local socket and returns tab-separated rows without a header; throws on error. */
  query(sql: string): string {
    return execFileSync(
      resolveCommand("mariadb"),
      ["--no-defaults", `--socket=${this.socket}`, "--user=root", "--batch", "--skip-column-names"],
      { input: sql, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] },
    );
  }

  /**
   * Runs SQL as `login` over TCP, the way a client on the network logs in. The password goes
   * through an option file, never the command line. Does not throw when the server refuses.
   */
  queryAs(login: Login, sql: string, transport: Transport | undefined = this.tls && "verified-tls"): QueryResult {
    const config = join(this.workDir, `client-${process.pid}-${Date.now()}.cnf`);
    writeFileSync(config, `[client]\nuser=${optionValue(login.user)}\npassword=${optionValue(login.password)}\n`, {
      mode: 0o600,
    });
    try {
      const stdout = execFileSync(
        resolveCommand("mariadb"),
        [
          `--defaults-file=${config}`,
          "--protocol=TCP",
          `--host=${this.address}`,
          `--port=${this.port}`,
          ...this.transportArguments(transport),
          "--batch",
          "--skip-column-names",
          ...(login.database === undefined ? [] : [login.database]),
        ],
        { input: sql, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] },
      );
      return { ok: true, stdout, stderr: "" };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      return { ok: false, stdout: failure.stdout ?? "", stderr: failure.stderr ?? String(error) };
    } finally {
      rmSync(config, { force: true });
    }
  }

  private transportArguments(transport: Transport | undefined): string[] {
    if (transport === "plain") return ["--skip-ssl"];
    if (transport === undefined) return [];
    if (this.tls === undefined) throw new Error("verified TLS needs a MariaDB started with tls");
    return [`--ssl-ca=${this.tls.caFile}`, "--ssl-verify-server-cert"];
  }

  /** SIGKILL, and waits for the exit: the server is gone without closing a connection. */
  async crash(): Promise<void> {
    if (this.exited || this.server.exitCode !== null || this.server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.server.once("exit", () => resolve()));
    this.server.kill("SIGKILL");
    await exited;
  }

  /** Stops the server (SIGTERM, SIGKILL after 30 s) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.exited || this.server.exitCode !== null || this.server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.server.once("exit", () => resolve()));
    this.server.kill("SIGTERM");
    const timer = setTimeout(() => this.server.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`mariadbd exited during start-up:\n${this.logTail()}`);
      try {
        this.query("SELECT 1;");
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`mariadbd not ready after ${timeoutMs} ms:\n${this.logTail()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private logTail(): string {
    const log = join(this.workDir, "error.log");
    return existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "(no error log)";
  }
}
