import { applyMutant, shard, undetected, type ReportMutant } from "../../scripts/mutation-confirm";

const SOURCE = "const a = 1;\nif (a <= limit) {\n  run();\n}\n";
const mutant = (id: string, status: string, start: [number, number], end: [number, number], replacement?: string): ReportMutant => ({
  id,
  status,
  mutatorName: "EqualityOperator",
  replacement,
  location: { start: { line: start[0], column: start[1] }, end: { line: end[0], column: end[1] } },
});

describe("mutation confirm (the slow tests' second stage)", () => {
  test("puts the replacement exactly where the report's 1-based line and column span says, on any line", () => {
    expect(applyMutant(SOURCE, mutant("1", "Survived", [2, 5], [2, 15], "a < limit"))).toBe("const a = 1;\nif (a < limit) {\n  run();\n}\n");
    expect(applyMutant(SOURCE, mutant("2", "Survived", [2, 17], [4, 2], "{}"))).toBe("const a = 1;\nif (a <= limit) {}\n");
    expect(applyMutant(SOURCE, mutant("3", "Survived", [1, 11], [1, 12], "0"))).toBe("const a = 0;\nif (a <= limit) {\n  run();\n}\n");
  });

  test("refuses a span outside the source and a mutant without a replacement", () => {
    expect(() => applyMutant(SOURCE, mutant("1", "Survived", [9, 1], [9, 2], "x"))).toThrow("position 9:1 is outside the source");
    expect(() => applyMutant(SOURCE, mutant("1", "Survived", [1, 40], [1, 41], "x"))).toThrow("position 1:40 is outside the source");
    expect(() => applyMutant(SOURCE, mutant("7", "Survived", [1, 1], [1, 2]))).toThrow("mutant 7 has no replacement");
  });

  test("takes only the mutants the fast stage let through (survived, not covered), and refuses a report whose file changed since", () => {
    const report = {
      files: {
        "a.ts": { source: SOURCE, mutants: [mutant("1", "Killed", [1, 1], [1, 2], "x"), mutant("2", "Survived", [1, 1], [1, 2], "x"), mutant("3", "NoCoverage", [1, 1], [1, 2], "x"), mutant("4", "Ignored", [1, 1], [1, 2], "x")] },
        "b.ts": { source: "old", mutants: [mutant("5", "Timeout", [1, 1], [1, 2], "x")] },
      },
    };
    expect(undetected(report, () => SOURCE).map(({ file, mutant: m }) => `${file} ${m.id}`)).toEqual(["a.ts 2", "a.ts 3"]);
    expect(() => undetected(report, (file) => (file === "a.ts" ? `${SOURCE}// edited\n` : "old"))).toThrow("a.ts changed since the report: run the area again");
  });

  test("shard K of N takes every N-th mutant from the K-th, so N runs share them without overlap; a wrong spec is refused", () => {
    const items = [1, 2, 3, 4, 5];
    expect([shard(items, "1/2"), shard(items, "2/2"), shard(items, undefined)]).toEqual([[1, 3, 5], [2, 4], items]);
    expect(shard(items, "3/3")).toEqual([3]);
    for (const bad of ["0/2", "3/2", "x", "1/0"]) expect(() => shard(items, bad)).toThrow(`shard ${bad}: K/N with 1 <= K <= N`);
  });
});
