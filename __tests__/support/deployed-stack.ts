import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_SETTINGS, synthStack } from "../../modules/synth";
import { projectPath } from "../../modules/shared/paths";
import { BinDir } from "./command-stubs";

/**
 * A deployed stack as the operator commands (`npm run drill|backup|permanent-admin -- <stack>`)
 * see it, without AWS: the synthesized JSON in a cdktf output folder of the test's own, a stand-in
 * `terraform` that answers `output -raw NAME` from `values` and records every call with its
 * folder, and a stand-in `bash` that records the argv an operator script would get.
 */
export class DeployedStack {
  readonly out: string;
  readonly bin: BinDir;
  private readonly calls: string;
  private readonly argvFile: string;

  constructor(readonly work: string, readonly stack: string, values: Record<string, string>) {
    this.out = join(work, "cdktf.out");
    mkdirSync(join(this.out, "stacks", stack), { recursive: true });
    writeFileSync(join(this.out, "stacks", stack, "cdk.tf.json"), JSON.stringify(synthStack(OFFLINE_SETTINGS, stack.replace(/^keycloak-/, ""))));
    const valuesDir = join(work, "outputs");
    mkdirSync(valuesDir);
    for (const [name, value] of Object.entries(values)) writeFileSync(join(valuesDir, name), value);
    this.calls = join(work, "terraform-calls");
    this.argvFile = join(work, "script-argv");
    writeFileSync(this.calls, "");
    this.bin = new BinDir(join(work, "bin")).link("cat", "stat").script(
      "terraform",
      `printf '%s\\t%s\\n' "$PWD" "$*" >>'${this.calls}'
[[ $# -eq 3 && $1 == output && $2 == -raw ]] || { echo "stand-in terraform: unexpected: $*" >&2; exit 1; }
cat -- '${valuesDir}'/"$3" 2>/dev/null || { echo "Output \\"$3\\" not found" >&2; exit 1; }`,
    ).script(
      "bash",
      // The argv, one per line; and what the --identity file held, and its mode, while it stood.
      `printf '%s\\n' "$@" >'${this.argvFile}'
for ((i = 1; i < $#; i++)); do
  if [[ \${!i} == --identity ]]; then j=$((i + 1)); stat -c %a -- "\${!j}" >'${this.argvFile}.mode'; cat -- "\${!j}" >'${this.argvFile}.identity'; fi
done
exit "\${STUB_EXIT:-0}"`,
    );
  }

  /** `npm run <script> -- <args>` as node runs it, with only the stand-ins on PATH. */
  run(tool: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const result = spawnSync(process.execPath, ["--import", "tsx", projectPath("tools", tool), ...args], {
      encoding: "utf8",
      cwd: projectPath(),
      input: options.input ?? "",
      env: { PATH: this.bin.path, HOME: this.work, CDKTF_OUTDIR: this.out, AWS_EC2_METADATA_DISABLED: "true", ...options.env },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** What terraform was asked, as `folder<TAB>arguments`. */
  terraformCalls(): string[] {
    return readFileSync(this.calls, "utf8").split("\n").filter(Boolean);
  }

  /** The folder terraform must be asked in. */
  get stackDir(): string {
    return join(this.out, "stacks", this.stack);
  }

  /** The argv the operator script got, and the identity file's mode and content while it ran. */
  scriptArgv(): { argv: string[]; identityMode?: string; identity?: string } {
    const read = (suffix: string) => {
      try {
        return readFileSync(this.argvFile + suffix, "utf8");
      } catch {
        return undefined;
      }
    };
    return { argv: (read("") ?? "").split("\n").slice(0, -1), identityMode: read(".mode")?.trim(), identity: read(".identity") };
  }
}
