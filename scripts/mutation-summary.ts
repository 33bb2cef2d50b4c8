/**
 * Scores of the mutation benchmark per file, from StrykerJS's JSON reports in
 * .cache/stryker/ (`npm run test:mutation` writes them), one row per area and file (the
 * config-static area mutates settings.ts and values.ts again, without ignoreStatic). Score =
 * killed (or timed out) / all tested mutants, as Stryker counts it; Ignored mutants (static ones
 * under ignoreStatic) are not in the score and are counted per file, so none hides.
 * `--survivors` lists each surviving mutant; `--markdown` prints README's table, one row per area
 * with its run (ignoreStatic, seconds, date, commit: .cache/stryker/runs/, which scripts/mutation.sh
 * writes), then the per-file table. A static survivor is an unproven gap only in an area run with
 * ignoreStatic; without it, every test of the area ran against it. An area with slow tests
 * (areas.cjs `confirmTests`) counts a mutant its fast tests let through as killed when the slow
 * tests turned it red (.cache/stryker/confirm/, scripts/mutation-confirm.ts), in a column of its own.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../modules/shared/paths";

interface Mutant {
  readonly id?: string;
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  /** Run while a module loads (say a stack synthesized in a describe block), perhaps also inside a test. */
  readonly static?: boolean;
  readonly location: { start: { line: number } };
}

export interface FileScore {
  readonly area: string;
  readonly file: string;
  readonly detected: number;
  /** Of the detected, those the area's slow confirmTests killed after Stryker's fast stage let them through. */
  readonly confirmedKilled: number;
  readonly undetected: number;
  /** Mutants Stryker did not test (ignoreStatic, ignorers): outside the score. */
  readonly ignored: number;
  /**
   * Undetected mutants that are also static: under ignoreStatic Stryker runs such a "hybrid" mutant
   * with only the tests that reached it inside a test, so a test file that synthesizes its stack in
   * a describe block never saw it. Not proven gaps: re-run the area with ignoreStatic false.
   */
  readonly undetectedStatic: number;
  readonly survivors: readonly string[];
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/** A report, and for an area with confirmTests the second stage's status per mutant id (scripts/mutation-confirm.ts). */
export interface AreaReport {
  readonly area: string;
  readonly files: Record<string, { mutants: Mutant[] }>;
  readonly confirmed?: Readonly<Record<string, { status: string }>>;
}

export function fileScores(reports: readonly AreaReport[]): FileScore[] {
  return reports.flatMap((report) =>
    Object.entries(report.files).map(([file, { mutants: reported }]) => {
      // A mutant the slow tests killed takes their status; the rest keep Stryker's.
      const confirmedStatus = (m: Mutant) => (UNDETECTED.has(m.status) && m.id !== undefined ? report.confirmed?.[m.id]?.status : undefined);
      const mutants = reported.map((m) => ({ ...m, status: confirmedStatus(m) ?? m.status }));
      return {
        area: report.area,
        file,
        detected: mutants.filter((m) => DETECTED.has(m.status)).length,
        confirmedKilled: reported.filter((m) => DETECTED.has(confirmedStatus(m) ?? "")).length,
        undetected: mutants.filter((m) => UNDETECTED.has(m.status)).length,
        ignored: mutants.filter((m) => m.status === "Ignored").length,
        undetectedStatic: mutants.filter((m) => UNDETECTED.has(m.status) && m.static === true).length,
        survivors: mutants
          .filter((m) => UNDETECTED.has(m.status))
          .map((m) => `${file}:${m.location.start.line} ${m.mutatorName} ${m.status}${m.static ? " (static)" : ""}: ${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 100)}`),
      };
    }),
  );
}

const percent = (detected: number, undetected: number) => (detected + undetected === 0 ? "-" : `${((100 * detected) / (detected + undetected)).toFixed(1)} %`);

export function scoreTable(scores: readonly FileScore[]): string {
  const total = scores.reduce(
    (sum, s) => ({ d: sum.d + s.detected, u: sum.u + s.undetected, st: sum.st + s.undetectedStatic, i: sum.i + s.ignored }),
    { d: 0, u: 0, st: 0, i: 0 },
  );
  return [
    "| area | file | killed | survived | of them static | ignored (not scored) | score |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...scores.map((s) => `| ${s.area} | \`${s.file}\` | ${s.detected} | ${s.undetected} | ${s.undetectedStatic} | ${s.ignored} | ${percent(s.detected, s.undetected)} |`),
    `| **all** | | ${total.d} | ${total.u} | ${total.st} | ${total.i} | ${percent(total.d, total.u)} |`,
  ].join("\n");
}

/** One area's run, as scripts/mutation.sh records it next to the report. */
export interface AreaRun {
  readonly seconds: number;
  readonly date: string;
  readonly commit: string;
  /** Whether the run ignored static mutants (areas.cjs); records from before the field was written all did. */
  readonly ignoreStatic?: boolean;
}

const runTime = (seconds: number) => (seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`);

/**
 * README's table: one row per area that has a run record (a report without one, say from a
 * run before records existed, is named under the table, not scored as if current).
 */
export function markdownTable(scores: readonly FileScore[], runs: Readonly<Record<string, AreaRun>>): string {
  const areas = [...new Set(scores.map((s) => s.area))];
  const recorded = areas.filter((area) => area in runs);
  const sum = (rows: readonly FileScore[], key: "detected" | "confirmedKilled" | "undetected" | "undetectedStatic" | "ignored") => rows.reduce((total, s) => total + s[key], 0);
  const row = (label: string, rows: readonly FileScore[], run: string) => {
    const [detected, undetected] = [sum(rows, "detected"), sum(rows, "undetected")];
    return `| ${label} | ${rows.length} | ${detected + undetected} | ${detected} | ${sum(rows, "confirmedKilled")} | ${undetected} | ${sum(rows, "undetectedStatic")} | ${sum(rows, "ignored")} | ${percent(detected, undetected)} | ${run} |`;
  };
  const inRecorded = scores.filter((s) => recorded.includes(s.area));
  const lines = [
    "| area | files | mutants tested | killed | of them by the slow tests | survived | of them static | Ignored | score | ignoreStatic | run time | date | commit |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |",
    ...recorded.map((area) => {
      const { seconds, date, commit, ignoreStatic } = runs[area];
      return row(area, scores.filter((s) => s.area === area), `${ignoreStatic === false ? "no" : "yes"} | ${runTime(seconds)} | ${date} | ${commit}`);
    }),
    row("**all**", inRecorded, ` | ${runTime(recorded.reduce((total, area) => total + runs[area].seconds, 0))} |  | `),
  ];
  const unrecorded = areas.filter((area) => !(area in runs));
  if (unrecorded.length > 0) lines.push("", `Reports without a run record, left out: ${unrecorded.join(", ")}.`);
  return [...lines, "", scoreTable(inRecorded)].join("\n");
}

if (require.main === module) {
  const dir = projectPath(".cache", "stryker");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "policy-stacks.json") : [];
  if (files.length === 0) {
    console.error("no reports in .cache/stryker: run `npm run test:mutation` first");
    process.exit(1);
  }
  const confirmed = (area: string) => {
    const file = join(dir, "confirm", `${area}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as AreaReport["confirmed"]) : undefined;
  };
  const scores = fileScores(
    files.map((f) => {
      const area = f.replace(/\.json$/, "");
      return { area, ...JSON.parse(readFileSync(join(dir, f), "utf8")), confirmed: confirmed(area) };
    }),
  );
  const runsDir = join(dir, "runs");
  const runs: Record<string, AreaRun> = Object.fromEntries(
    (existsSync(runsDir) ? readdirSync(runsDir) : []).map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(runsDir, f), "utf8")) as AreaRun]),
  );
  console.log(process.argv.includes("--markdown") ? markdownTable(scores, runs) : scoreTable(scores));
  if (process.argv.includes("--survivors")) for (const s of scores) for (const line of s.survivors) console.log(line);
}
