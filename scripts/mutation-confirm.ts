/**
 * The second stage of an area with slow tests (areas.cjs `confirmTests`): Stryker runs each
 * mutant against the area's fast tests; each mutant they let through is then applied to its
 * file here, one at a time, and the slow tests run once against it (a test file that synthesizes
 * stacks in a describe block costs 20-30 s per mutant: every static mutant under Stryker would pay
 * that). A mutant the slow tests turn red counts as killed in mutation-summary.ts, named apart.
 * `node --import tsx scripts/mutation-confirm.ts AREA [K/N]` after Stryker's run of the area
 * (scripts/mutation.sh runs it for such an area); it reads .cache/stryker/AREA.json and writes
 * .cache/stryker/confirm/AREA.json after each mutant, so a stopped run keeps what it did. `K/N`
 * takes every N-th mutant from the K-th: N worktrees share the work, and their result files merge
 * key by key. A report whose source differs from today's file is refused: its locations would
 * point at other code.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { projectPath } from "../modules/shared/paths";

interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ReportMutant {
  readonly id: string;
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: Position; readonly end: Position };
}

export interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly ReportMutant[] }>;
}

/** One second-stage result, keyed by Stryker's mutant id. */
export interface Confirmation {
  readonly file: string;
  readonly line: number;
  readonly mutatorName: string;
  readonly status: "Killed" | "Timeout" | "Survived";
  readonly seconds: number;
}

/** Offset of a report position (lines and columns count from 1) in the source. */
function offset(source: string, { line, column }: Position): number {
  const lines = source.split("\n");
  if (line < 1 || line > lines.length || column < 1 || column > lines[line - 1].length + 1) throw new Error(`position ${line}:${column} is outside the source`);
  return lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
}

/** The source with the mutant's replacement in place of the code it spans. */
export function applyMutant(source: string, mutant: ReportMutant): string {
  if (mutant.replacement === undefined) throw new Error(`mutant ${mutant.id} has no replacement`);
  return source.slice(0, offset(source, mutant.location.start)) + mutant.replacement + source.slice(offset(source, mutant.location.end));
}

/** The mutants the first stage did not detect; throws when a file that holds one changed since the report. */
export function undetected(report: Report, readSource: (file: string) => string): { file: string; source: string; mutant: ReportMutant }[] {
  return Object.entries(report.files).flatMap(([file, { source, mutants }]) => {
    const left = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
    if (left.length > 0 && readSource(file) !== source) throw new Error(`${file} changed since the report: run the area again`);
    return left.map((mutant) => ({ file, source, mutant }));
  });
}

/** A slow test file takes 20-30 s; ten minutes is a mutant that hangs (detected, as Stryker counts a timeout). */
const TIMEOUT_MS = 10 * 60 * 1000;

/** The mutants of shard K of N (1-based): every N-th, from the K-th. */
export function shard<T>(items: readonly T[], spec: string | undefined): T[] {
  if (spec === undefined) return [...items];
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const [k, n] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (k < 1 || k > n) throw new Error(`shard ${spec}: K/N with 1 <= K <= N`);
  return items.filter((_, i) => i % n === k - 1);
}

function main(area: string, shardSpec?: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const areas = require("../stryker/areas.cjs") as Record<string, { confirmTests?: string[]; relatedTestsOnly?: boolean }>;
  if (!areas[area]?.confirmTests) throw new Error(`area ${area} has no confirmTests in stryker/areas.cjs`);
  const relatedOnly = areas[area].relatedTestsOnly ?? false;
  const report = JSON.parse(readFileSync(projectPath(".cache", "stryker", `${area}.json`), "utf8")) as Report;
  const todo = shard(undetected(report, (file) => readFileSync(projectPath(file), "utf8")), shardSpec);
  // As Stryker does for a relatedTestsOnly area: only the test files that import the mutated file.
  const runSlowTests = (file?: string) =>
    spawnSync("npx", ["jest", "--config", "stryker/jest.config.cjs", "--bail", "--silent", ...(relatedOnly && file ? ["--findRelatedTests", file] : [])], {
      cwd: projectPath(),
      env: { ...process.env, MUTATION_AREA: area, MUTATION_STAGE: "confirm" },
      stdio: "ignore",
      timeout: TIMEOUT_MS,
    });
  // A red run on today's code would count every mutant as killed.
  if (todo.length > 0 && runSlowTests().status !== 0) throw new Error(`the confirmTests of ${area} fail without a mutant: fix them first`);
  const out = projectPath(".cache", "stryker", "confirm", `${area}.json`);
  mkdirSync(dirname(out), { recursive: true });
  const results: Record<string, Confirmation> = {};
  // Stopped in the middle (Ctrl-C, kill), the mutated file gets its source back first.
  let applied: { file: string; source: string } | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (applied) writeFileSync(projectPath(applied.file), applied.source);
      process.exit(130);
    });
  }
  for (const [index, { file, source, mutant }] of todo.entries()) {
    const started = Date.now();
    applied = { file, source };
    writeFileSync(projectPath(file), applyMutant(source, mutant));
    let status: Confirmation["status"];
    try {
      const run = runSlowTests(file);
      status = run.error ? "Timeout" : run.status === 0 ? "Survived" : "Killed";
    } finally {
      writeFileSync(projectPath(file), source);
      applied = undefined;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    results[mutant.id] = { file, line: mutant.location.start.line, mutatorName: mutant.mutatorName, status, seconds };
    writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
    console.log(`${index + 1}/${todo.length} ${file}:${mutant.location.start.line} ${mutant.mutatorName} ${status} (${seconds} s)`);
  }
  const killed = Object.values(results).filter((r) => r.status !== "Survived").length;
  console.log(`mutation confirm ${area}: ${killed} of ${todo.length} killed by the slow tests`);
}

if (require.main === module) {
  const area = process.argv[2];
  if (!area) {
    console.error("usage: node --import tsx scripts/mutation-confirm.ts AREA [K/N]");
    process.exit(2);
  }
  main(area, process.argv[3]);
}
