import { fileScores, scoreTable } from "../../scripts/mutation-summary";

const mutant = (status: string, line = 1) => ({ status, mutatorName: "EqualityOperator", replacement: "a  !==\n b", location: { start: { line } } });

describe("mutation summary", () => {
  const scores = fileScores([
    { files: { "a.ts": { mutants: [mutant("Killed"), mutant("Timeout"), mutant("Survived", 7), mutant("Ignored"), mutant("CompileError")] } } },
    { files: { "b.ts": { mutants: [mutant("Killed"), mutant("NoCoverage", 3)] } } },
  ]);

  test("counts killed and timed-out mutants as detected, survived and uncovered as not, and leaves out ignored and invalid ones", () => {
    expect(scores.map(({ file, detected, undetected }) => [file, detected, undetected])).toEqual([["a.ts", 2, 1], ["b.ts", 1, 1]]);
  });

  test("lists every undetected mutant with file, line, mutator and replacement", () => {
    expect(scores.flatMap((s) => s.survivors)).toEqual(["a.ts:7 EqualityOperator Survived: a !== b", "b.ts:3 EqualityOperator NoCoverage: a !== b"]);
  });

  test("the table gives each file's score and the total", () => {
    const table = scoreTable(scores);
    expect(table).toContain("| `a.ts` | 2 | 1 | 66.7 % |");
    expect(table).toContain("| `b.ts` | 1 | 1 | 50.0 % |");
    expect(table).toContain("| **all** | 3 | 2 | 60.0 % |");
  });
});
