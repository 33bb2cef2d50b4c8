import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Absolute path of a command on this machine's PATH; the error says what to install. */
export function resolveCommand(name: string): string {
  try {
    return execFileSync("bash", ["-c", 'command -v -- "$1"', "bash", name], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`'${name}' is not installed on this machine (Debian: apt-get install -y ${name})`);
  }
}

/**
 * A directory to use as the whole PATH of a script under test: links to the real commands it may
 * use plus stand-ins written by the test. A command left out is missing for the script, which
 * both documents and checks what the script needs.
 */
export class BinDir {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
  }

  link(...names: string[]): this {
    for (const name of names) {
      symlinkSync(resolveCommand(name), join(this.path, name));
    }
    return this;
  }

  /** Writes an executable bash stand-in; `body` runs under `set -euo pipefail`. */
  script(name: string, body: string): this {
    const file = join(this.path, name);
    writeFileSync(file, `#!${resolveCommand("bash")}\nset -euo pipefail\n${body}\n`);
    chmodSync(file, 0o755);
    return this;
  }
}
