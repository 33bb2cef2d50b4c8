/**
 * A pattern's examples (pattern-examples.ts) are strong enough when every mutant of the pattern
 * misjudges one of them. The mutants are weapon-regex's, the generator StrykerJS uses for its
 * Regex mutator, at the same level: a pattern mutant that would survive shows up here in seconds
 * instead of in a 100-minute mutation run. Not in a mutation area: it tests the examples, not the code.
 */
import { execFileSync } from "node:child_process";
import { judge, PATTERNS } from "./pattern-examples";

/**
 * weapon-regex's level-1 mutants of each pattern: { pattern, description } per mutant. The package
 * is ESM only, which jest's CommonJS cannot load: one node process makes them all.
 */
function patternMutants(patterns: readonly RegExp[]): { pattern: string; description: string }[][] {
  const script = `import { mutate } from "weapon-regex";
    const patterns = JSON.parse(process.argv[1]);
    console.log(JSON.stringify(patterns.map(([source, flags]) => mutate(source, flags, { mutationLevels: [1] }).map((m) => ({ pattern: m.pattern, description: m.description })))));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(patterns.map((p) => [p.source, p.flags]))], { encoding: "utf8" }));
}

describe("configuration pattern mutants", () => {
  const mutants = Object.fromEntries(patternMutants(Object.values(PATTERNS).map((c) => c.pattern)).map((list, i) => [Object.keys(PATTERNS)[i], list]));

  test.each(Object.entries(PATTERNS))("%s: every mutant of the pattern (weapon-regex level 1, as StrykerJS makes them) misjudges one of its examples", (name, cases) => {
    expect(mutants[name].length).toBeGreaterThan(0);
    const unnoticed = mutants[name]
      .filter((m) => {
        const { accepted, refused } = judge(new RegExp(m.pattern, cases.pattern.flags), cases);
        return accepted.length === 0 && refused.length === 0;
      })
      .map((m) => `${m.description}: /${m.pattern}/`);
    expect(unnoticed).toEqual([]);
  });
});
