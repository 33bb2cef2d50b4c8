import { fileScores, markdownTable, scoreTable } from "../../scripts/mutation-summary";

const mutant = (status: string, line = 1, isStatic = false, id?: string) => ({ id, status, mutatorName: "EqualityOperator", replacement: "a  !==\n b", location: { start: { line } }, static: isStatic });

describe("mutation summary", () => {
  const scores = fileScores([
    { area: "one", files: { "a.ts": { mutants: [mutant("Killed"), mutant("Timeout"), mutant("Survived", 7), mutant("Ignored"), mutant("Ignored"), mutant("CompileError")] } } },
    { area: "two", files: { "b.ts": { mutants: [mutant("Killed", 1, true), mutant("NoCoverage", 3), mutant("Survived", 4, true)] } } },
  ]);

  test("counts killed and timed-out mutants as detected, survived and uncovered as not (and which of those are static), and ignored ones apart", () => {
    expect(scores.map(({ area, file, detected, undetected, undetectedStatic, ignored }) => [area, file, detected, undetected, undetectedStatic, ignored])).toEqual([
      ["one", "a.ts", 2, 1, 0, 2],
      ["two", "b.ts", 1, 2, 1, 0],
    ]);
  });

  test("lists every undetected mutant with file, line, mutator, whether it is static, and replacement", () => {
    expect(scores.flatMap((s) => s.survivors)).toEqual(["a.ts:7 EqualityOperator Survived: a !== b", "b.ts:3 EqualityOperator NoCoverage: a !== b", "b.ts:4 EqualityOperator Survived (static): a !== b"]);
  });

  test("the table gives each area's file score, its undetected static mutants, its ignored (unscored) mutants, and the total", () => {
    const table = scoreTable(scores);
    expect(table).toContain("| one | `a.ts` | 2 | 1 | 0 | 2 | 66.7 % |");
    expect(table).toContain("| two | `b.ts` | 1 | 2 | 1 | 0 | 33.3 % |");
    expect(table).toContain("| **all** | | 3 | 3 | 1 | 2 | 50.0 % |");
  });

  test("--markdown gives one row per recorded area with its files, tested, killed, survived, Ignored, score and run, a total, and names a report without a run record", () => {
    const table = markdownTable(scores, { one: { seconds: 754, date: "2026-12-06", commit: "abc1234" } });
    expect(table).toContain("| one | 1 | 3 | 2 | 0 | 1 | 0 | 2 | 66.7 % | yes | 13 min | 2026-12-06 | abc1234 |");
    expect(table).toContain("| **all** | 1 | 3 | 2 | 0 | 1 | 0 | 2 | 66.7 % |  | 13 min |  |  |");
    expect(table).not.toMatch(/^\| two \|/m);
    expect(table).toContain("Reports without a run record, left out: two.");
    expect(table).toContain("| one | `a.ts` | 2 | 1 | 0 | 2 | 66.7 % |");
    expect(table).not.toContain("`b.ts`");
  });

  test("--markdown sums every recorded area into the total, gives short runs in seconds, and says which runs ignored static mutants (a record without the field did)", () => {
    const table = markdownTable(scores, { one: { seconds: 60, date: "2026-12-06", commit: "abc1234" }, two: { seconds: 20, date: "2026-12-07", commit: "def5678", ignoreStatic: false } });
    expect(table).toContain("| one | 1 | 3 | 2 | 0 | 1 | 0 | 2 | 66.7 % | yes | 60 s | 2026-12-06 | abc1234 |");
    expect(table).toContain("| two | 1 | 3 | 1 | 0 | 2 | 1 | 0 | 33.3 % | no | 20 s | 2026-12-07 | def5678 |");
    expect(table).toContain("| **all** | 2 | 6 | 3 | 0 | 3 | 1 | 2 | 50.0 % |  | 80 s |  |  |");
    expect(table).not.toContain("without a run record");
  });

  test("a mutant the area's slow confirmTests turned red counts as killed, in its own column; one they let through, or one Stryker already killed, keeps Stryker's status", () => {
    const confirmed = fileScores([
      {
        area: "slow",
        files: { "c.ts": { mutants: [mutant("Survived", 1, true, "1"), mutant("NoCoverage", 2, false, "2"), mutant("Survived", 3, false, "3"), mutant("Killed", 4, false, "4")] } },
        confirmed: { "1": { status: "Killed" }, "2": { status: "Timeout" }, "3": { status: "Survived" }, "4": { status: "Survived" } },
      },
    ]);
    expect(confirmed.map(({ detected, confirmedKilled, undetected, undetectedStatic }) => [detected, confirmedKilled, undetected, undetectedStatic])).toEqual([[3, 2, 1, 0]]);
    expect(confirmed[0].survivors).toEqual(["c.ts:3 EqualityOperator Survived: a !== b"]);
    expect(markdownTable(confirmed, { slow: { seconds: 100, date: "2026-12-08", commit: "abc1234", ignoreStatic: false } })).toContain("| slow | 1 | 4 | 3 | 2 | 1 | 0 | 0 | 75.0 % | no | 2 min | 2026-12-08 | abc1234 |");
  });
});
