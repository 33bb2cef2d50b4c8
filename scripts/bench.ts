/**
 * Synth speed: median of 5 runs of wall time and peak RSS, the project's way (the app
 * command in cdktf.json: transpile-only) against the cdktf template's way (ts-node with
 * type-checking). Usage: npm run bench [-- --runs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

interface Sample {
  seconds: number;
  rssMb: number;
}

function measure(command: string): Sample {
  const out = mkdtempSync(join(tmpdir(), "kc-bench-"));
  try {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %M", "bash", "-c", command], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: out },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`${command} failed:\n${r.stderr}`);
    const [seconds, kb] = r.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    return { seconds, rssMb: kb / 1024 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function bench(label: string, command: string): Sample {
  measure(command); // warm caches (tsx's transform cache, the OS page cache) once
  const samples = Array.from({ length: runs }, () => measure(command));
  const result = { seconds: median(samples.map((s) => s.seconds)), rssMb: median(samples.map((s) => s.rssMb)) };
  console.log(`${label.padEnd(40)} ${result.seconds.toFixed(2)} s  ${result.rssMb.toFixed(0)} MB  (${command})`);
  return result;
}

const app = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8")).app as string;
console.log(`synth of all stacks, median of ${runs} runs on ${require("node:os").cpus().length} cores`);
const project = bench("project (cdktf.json app, transpile-only)", app);
const template = bench("cdktf template (ts-node, type-checking)", "npx ts-node main.ts");
console.log(`speed-up: ${(template.seconds / project.seconds).toFixed(1)}x`);
console.log(`targets: <= 1.5 s ${project.seconds <= 1.5 ? "met" : "MISSED"}, <= 250 MB ${project.rssMb <= 250 ? "met" : "MISSED"}, >= 8x ${template.seconds / project.seconds >= 8 ? "met" : "MISSED"}`);
