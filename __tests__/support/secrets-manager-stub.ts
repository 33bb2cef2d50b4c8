import { createHash, randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";

/**
 * A stand-in `aws` command for Secrets Manager (see aws-secretsmanager-stub.py), plus the test's
 * view of its state. Put `binDir` first on the PATH of whatever should use it.
 */

export interface SecretVersion {
  VersionId: string;
  SecretString: string;
  VersionStages: string[];
  CreatedDate: string;
}

interface StoredSecret {
  ARN: string;
  Name: string;
  CreatedDate: string;
  LastChangedDate: string;
  Versions: SecretVersion[];
}

/** One invocation of the stub, as it logged it. */
export interface StubCall {
  operation: string;
  secretId: string | null;
  region: string | null;
  exitCode: number;
  /** put-secret-value only: "file" for `file://…`, "argument" for a literal value on the command line. */
  secretStringSource?: "file" | "argument";
  /** put-secret-value with `file://` only: the file's permission bits, e.g. "0o600". */
  secretFileMode?: string;
}

const STUB_SOURCE = join(__dirname, "aws-secretsmanager-stub.py");

export class SecretsManagerStub {
  readonly binDir: string;
  readonly stateDir: string;

  constructor(dir: string) {
    this.binDir = join(dir, "bin");
    this.stateDir = join(dir, "state");
    mkdirSync(this.binDir, { recursive: true });
    mkdirSync(this.stateDir, { recursive: true });
    const wrapper = join(this.binDir, "aws");
    // The stub is copied next to its wrapper: a caller may not see the repository (the sshd
    // stand-in gives its sessions a private /tmp, and CI may clone the repository there).
    const stub = join(this.binDir, "aws-secretsmanager-stub.py");
    copyFileSync(STUB_SOURCE, stub);
    // Absolute interpreter: the stub must not depend on the PATH of the session that calls it.
    writeFileSync(
      wrapper,
      `#!/bin/sh\nAWS_STUB_STATE_DIR='${this.stateDir}' exec ${resolvePython()} '${stub}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
  }

  /** Creates a secret like Terraform's aws_secretsmanager_secret does: with no value unless `value` is given. */
  createSecret(arn: string, value?: string | object): void {
    const created = new Date().toISOString();
    const name = arn.split(":").pop()!.replace(/-[A-Za-z0-9]{6}$/, "");
    this.write({ ARN: arn, Name: name, CreatedDate: created, LastChangedDate: created, Versions: [] });
    if (value !== undefined) this.putValue(arn, value);
  }

  /** Stores a new current version, moving the old one to AWSPREVIOUS, as PutSecretValue does. */
  putValue(arn: string, value: string | object): void {
    const secret = this.read(arn);
    const versions = secret.Versions.flatMap((version) =>
      version.VersionStages.includes("AWSCURRENT") ? [{ ...version, VersionStages: ["AWSPREVIOUS"] }] : [],
    );
    const now = new Date().toISOString();
    versions.push({
      VersionId: randomUUID(),
      SecretString: typeof value === "string" ? value : JSON.stringify(value),
      VersionStages: ["AWSCURRENT"],
      CreatedDate: now,
    });
    this.write({ ...secret, LastChangedDate: now, Versions: versions });
  }

  /** The AWSCURRENT value, or undefined while the secret has none. */
  currentValue(arn: string): string | undefined {
    return this.read(arn).Versions.find((version) => version.VersionStages.includes("AWSCURRENT"))?.SecretString;
  }

  /** The AWSCURRENT value parsed as {"username","password"}; throws while the secret has none. */
  credentials(arn: string): { username: string; password: string } {
    const value = this.currentValue(arn);
    if (value === undefined) throw new Error(`secret ${arn} has no current value`);
    return JSON.parse(value) as { username: string; password: string };
  }

  versions(arn: string): SecretVersion[] {
    return this.read(arn).Versions;
  }

  deleteSecret(arn: string): void {
    rmSync(this.file(arn), { force: true });
  }

  calls(): StubCall[] {
    const log = join(this.stateDir, "calls.jsonl");
    if (!existsSync(log)) return [];
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as StubCall);
  }

  private file(arn: string): string {
    return join(this.stateDir, `${createHash("sha256").update(arn).digest("hex")}.json`);
  }

  private read(arn: string): StoredSecret {
    return JSON.parse(readFileSync(this.file(arn), "utf8")) as StoredSecret;
  }

  private write(secret: StoredSecret): void {
    writeFileSync(this.file(secret.ARN), JSON.stringify(secret));
  }
}

function resolvePython(): string {
  // The Debian interpreter rather than a version manager's shim, which depends on HOME and PATH.
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : resolveCommand("python3");
}
