import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { resolveCommand } from "./command-stubs";
import { runProcess, type RunResult } from "./run-process";

/**
 * An OpenSSH server standing in for the bastion host. It runs inside a network namespace with a
 * mount namespace of its own, in which /tmp is an empty tmpfs and root's home is a directory of
 * the test: like a separate machine, nothing a session writes to /tmp reaches the host or other
 * tests, and the host's shell start-up files (which may change PATH) do not apply. Login is root
 * with an RSA 4096 key only (the TLS provider's default key type), as Terraform's connection does.
 */

export interface SshServerOptions {
  /** Empty directory outside /tmp (the server's /tmp is replaced); the caller removes it. */
  workDir: string;
  netns: string;
  address: string;
  /** @default 22 */
  port?: number;
  /** Directories put before the standard PATH of every session (e.g. stand-in commands). */
  pathPrefix?: string[];
  /** @default 20_000 */
  startTimeoutMs?: number;
}

export interface SshRunOptions {
  /** @default 30_000 */
  timeoutMs?: number;
}

const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Terraform's ssh communicator: `#!/bin/sh` unless the script starts with `#!`. */
const TERRAFORM_DEFAULT_SHEBANG = "#!/bin/sh\n";

export class SshServer {
  readonly user = "root";
  private exited = false;

  private constructor(
    readonly address: string,
    readonly port: number,
    /** Private key a client logs in with. */
    readonly keyPath: string,
    private readonly workDir: string,
    private readonly server: ChildProcess,
  ) {
    server.once("exit", () => (this.exited = true));
  }

  static async start(options: SshServerOptions): Promise<SshServer> {
    const { netns, address, port = 22, pathPrefix = [], startTimeoutMs = 20_000 } = options;
    const workDir = resolve(options.workDir);
    if (workDir === "/tmp" || workDir.startsWith("/tmp/")) {
      throw new Error(`SshServer workDir ${workDir} must be outside /tmp: the server gets its own /tmp`);
    }
    const home = join(workDir, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
    const hostKey = join(workDir, "ssh_host_ed25519_key");
    const clientKey = join(workDir, "client_rsa");
    const keygen = resolveCommand("ssh-keygen");
    execFileSync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "bastion-host", "-f", hostKey]);
    execFileSync(keygen, ["-q", "-t", "rsa", "-b", "4096", "-N", "", "-C", "terraform", "-f", clientKey]);
    writeFileSync(join(home, ".ssh", "authorized_keys"), readFileSync(`${clientKey}.pub`), { mode: 0o600 });

    const config = join(workDir, "sshd_config");
    writeFileSync(
      config,
      [
        `ListenAddress ${address}:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(workDir, "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        `SetEnv PATH=${[...pathPrefix, STANDARD_PATH].join(":")}`,
        "",
      ].join("\n"),
    );
    // sshd refuses to start without its privilege separation directory (Debian creates it in the service unit).
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    const log = openSync(join(workDir, "sshd.log"), "a");
    const isolateAndRun =
      'mount --bind "$1" /root && mount -t tmpfs -o mode=1777,size=256m bastion-tmp /tmp && exec "$2" -D -e -f "$3"';
    const server = spawn(
      resolveCommand("ip"),
      ["netns", "exec", netns, "/bin/sh", "-c", isolateAndRun, "sh", home, resolveCommand("sshd"), config],
      { stdio: ["ignore", log, log] },
    );
    closeSync(log);
    const ssh = new SshServer(address, port, clientKey, workDir, server);
    try {
      await ssh.waitUntilListening(startTimeoutMs);
    } catch (error) {
      await ssh.stop();
      throw error;
    }
    return ssh;
  }

  /** Runs `command` through the login shell of the remote user, as `ssh host command` does. */
  run(command: string, options: SshRunOptions = {}): Promise<RunResult> {
    return runProcess(resolveCommand("ssh"), [...this.clientOptions("-p"), `${this.user}@${this.address}`, command], {
      timeoutMs: options.timeoutMs,
    });
  }

  /** Copies a local file with the SCP protocol, as Terraform's file provisioner does. */
  async upload(localPath: string, remotePath: string): Promise<void> {
    const result = await runProcess(resolveCommand("scp"), [
      "-O",
      ...this.clientOptions("-P"),
      localPath,
      `${this.user}@${this.address}:${remotePath}`,
    ]);
    if (result.code !== 0) throw new Error(`scp to ${remotePath} failed (${result.code}): ${result.stderr}`);
  }

  /**
   * Runs an `inline` command list the way Terraform's remote-exec provisioner does: joined with
   * newlines into one script (default shebang `#!/bin/sh`), uploaded to /tmp/terraform_<n>.sh,
   * chmod 0777, executed as a command, then overwritten with an empty file.
   */
  async remoteExecInline(inline: readonly string[], options: SshRunOptions = {}): Promise<RunResult> {
    const body = [...inline, ""].join("\n");
    const script = body.startsWith("#!") ? body : TERRAFORM_DEFAULT_SHEBANG + body;
    const remotePath = `/tmp/terraform_${randomInt(2 ** 31 - 1)}.sh`;
    const local = join(this.workDir, `remote-exec-${process.pid}-${Date.now()}.sh`);
    writeFileSync(local, script);
    await this.upload(local, remotePath);
    const chmod = await this.run(`chmod 0777 ${remotePath}`);
    if (chmod.code !== 0) throw new Error(`chmod of ${remotePath} failed: ${chmod.stderr}`);
    const result = await this.run(remotePath, options);
    writeFileSync(local, "");
    await this.upload(local, remotePath);
    return result;
  }

  /** Stops the server (SIGTERM, SIGKILL after 10 s); sessions still open end with it. */
  async stop(): Promise<void> {
    if (this.exited || this.server.exitCode !== null || this.server.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.server.once("exit", () => done()));
    this.server.kill("SIGTERM");
    const timer = setTimeout(() => this.server.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private clientOptions(portFlag: "-p" | "-P"): string[] {
    return [
      "-F",
      "/dev/null",
      "-i",
      this.keyPath,
      portFlag,
      String(this.port),
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "LogLevel=ERROR",
    ];
  }

  private async waitUntilListening(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`sshd exited during start-up:\n${this.logTail()}`);
      if (await canConnect(this.address, this.port)) return;
      if (Date.now() > deadline) throw new Error(`sshd not listening after ${timeoutMs} ms:\n${this.logTail()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  private logTail(): string {
    const log = join(this.workDir, "sshd.log");
    return existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "(no log)";
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      done(false);
    });
    socket.once("error", () => done(false));
  });
}
