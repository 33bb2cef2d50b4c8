/**
 * Scores of the mutation benchmark per file, from StrykerJS's JSON reports in
 * .cache/stryker/ (`npm run test:mutation` writes them). Score = killed (or timed out) /
 * all tested mutants, as Stryker counts it; `--survivors` lists each surviving mutant.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../modules/shared/paths";

interface Mutant {
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { start: { line: number } };
}

export interface FileScore {
  readonly file: string;
  readonly detected: number;
  readonly undetected: number;
  readonly survivors: readonly string[];
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

export function fileScores(reports: readonly { files: Record<string, { mutants: Mutant[] }> }[]): FileScore[] {
  return reports.flatMap((report) =>
    Object.entries(report.files).map(([file, { mutants }]) => ({
      file,
      detected: mutants.filter((m) => DETECTED.has(m.status)).length,
      undetected: mutants.filter((m) => UNDETECTED.has(m.status)).length,
      survivors: mutants
        .filter((m) => UNDETECTED.has(m.status))
        .map((m) => `${file}:${m.location.start.line} ${m.mutatorName} ${m.status}: ${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 100)}`),
    })),
  );
}

const percent = (detected: number, undetected: number) => (detected + undetected === 0 ? "-" : `${((100 * detected) / (detected + undetected)).toFixed(1)} %`);

export function scoreTable(scores: readonly FileScore[]): string {
  const total = scores.reduce((sum, s) => ({ d: sum.d + s.detected, u: sum.u + s.undetected }), { d: 0, u: 0 });
  return [
    "| file | killed | survived | score |",
    "| --- | ---: | ---: | ---: |",
    ...scores.map((s) => `| \`${s.file}\` | ${s.detected} | ${s.undetected} | ${percent(s.detected, s.undetected)} |`),
    `| **all** | ${total.d} | ${total.u} | ${percent(total.d, total.u)} |`,
  ].join("\n");
}

if (require.main === module) {
  const dir = projectPath(".cache", "stryker");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "policy-stacks.json") : [];
  if (files.length === 0) {
    console.error("no reports in .cache/stryker: run `npm run test:mutation` first");
    process.exit(1);
  }
  const scores = fileScores(files.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8"))));
  console.log(scoreTable(scores));
  if (process.argv.includes("--survivors")) for (const s of scores) for (const line of s.survivors) console.log(line);
}
