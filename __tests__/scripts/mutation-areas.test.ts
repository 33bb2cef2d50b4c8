import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { projectPath } from "../../modules/shared/paths";

/** Every logic file of modules/ has a mutation score: it is in an area, or listed as declarative with why. */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const areas = require("../../stryker/areas.cjs") as Record<string, { mutate: string[]; tests: string[]; confirmTests?: string[]; ignoreStatic?: boolean }>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const declarative = require("../../stryker/declarative.cjs") as Record<string, string>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith(".ts") ? [relative(projectPath(), path)] : [];
  });
}

const moduleFiles = tsFiles(projectPath("modules")).sort();
/** Whole files an area mutates (a `file:lines` range scores only those lines). */
const mutatedWhole = new Set(Object.values(areas).flatMap((a) => a.mutate.filter((m) => !m.includes(":") && !m.includes("*"))));

/** Every file an area mutates, with the lines it mutates (a glob expanded; a whole file is lines 1 to the end). */
const mutatedSpans = Object.values(areas).flatMap((a) =>
  a.mutate.flatMap((m) => {
    const [, file, from, to] = /^([^:]+)(?::(\d+)-(\d+))?$/.exec(m)!;
    const slash = file.lastIndexOf("/");
    const pattern = new RegExp(`^${file.slice(slash + 1).replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
    const files = file.includes("*") ? readdirSync(projectPath(file.slice(0, slash))).filter((f) => pattern.test(f)).map((f) => `${file.slice(0, slash)}/${f}`) : [file];
    return files.map((f) => ({ file: f, from: Number(from ?? 1), to: Number(to ?? Infinity) }));
  }),
);

/**
 * Does StrykerJS see into this expression? It never mutates inside a TypeScript `as` expression,
 * so only what holds nothing to mutate may stand there: names, property and index reads, calls of
 * such on such, empty literals.
 */
function nothingToMutate(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) return nothingToMutate(e.expression);
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isPropertyAccessExpression(e)) return nothingToMutate(e.expression);
  if (ts.isElementAccessExpression(e)) return nothingToMutate(e.expression) && (ts.isIdentifier(e.argumentExpression) || ts.isNumericLiteral(e.argumentExpression));
  if (ts.isArrayLiteralExpression(e)) return e.elements.length === 0;
  if (ts.isObjectLiteralExpression(e)) return e.properties.length === 0;
  if (ts.isCallExpression(e)) return nothingToMutate(e.expression) && e.arguments.every(nothingToMutate);
  return false;
}

/** `file:line text` of each `as` expression in the mutated lines that hides code from the mutator. */
function hiddenFromMutator({ file, from, to }: { file: string; from: number; to: number }): string[] {
  const source = ts.createSourceFile(file, readFileSync(projectPath(file), "utf8"), ts.ScriptTarget.Latest, true);
  const hidden: string[] = [];
  const visit = (node: ts.Node) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    if (ts.isAsExpression(node) && !nothingToMutate(node.expression) && line >= from && line <= to) hidden.push(`${file}:${line} ${node.getText().slice(0, 60)}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return hidden;
}

describe("mutation areas", () => {
  test("no mutated line hides code from the mutator in an `as` expression (StrykerJS skips it silently; write constant(x) for `x as const`)", () => {
    expect(mutatedSpans.length).toBeGreaterThan(20);
    expect(mutatedSpans.flatMap(hiddenFromMutator)).toEqual([]);
  });

  test("every file of modules/ is mutated whole by an area, or is declarative with a reason (a line range alone needs the reason too)", () => {
    const unscored = moduleFiles.filter((f) => !mutatedWhole.has(f) && !(f in declarative));
    expect(unscored).toEqual([]);
  });

  test("every mutated file and every area's test file (fast and confirm stage) exists, and a declarative file is not also mutated", () => {
    for (const area of Object.values(areas)) {
      for (const m of area.mutate.filter((x) => !x.includes("*"))) expect({ file: m, exists: existsSync(projectPath(m.replace(/:.*/, ""))) }).toEqual({ file: m, exists: true });
      for (const t of [...area.tests, ...(area.confirmTests ?? [])]) expect({ test: t, exists: existsSync(projectPath("__tests__", t)) }).toEqual({ test: t, exists: true });
    }
    expect(Object.keys(declarative).filter((f) => mutatedWhole.has(f))).toEqual([]);
  });

  test("a line range mutates whole functions: it starts on a function's first line and ends on its closing brace (ranges drift when a file changes)", () => {
    const ranges = Object.values(areas).flatMap((a) => a.mutate.filter((m) => m.includes(":")));
    expect(ranges.length).toBeGreaterThan(0);
    for (const range of ranges) {
      const [, file, from, to] = /^(.+):(\d+)-(\d+)$/.exec(range)!;
      const lines = readFileSync(projectPath(file), "utf8").split("\n");
      expect({ range, first: /^export function |^function /.test(lines[Number(from) - 1]), last: lines[Number(to) - 1] }).toEqual({ range, first: true, last: "}" });
    }
  });

  test("the listener, lifecycle, capacity, monitoring, access and image modules have areas, and settings.ts and values.ts one without ignoreStatic", () => {
    for (const name of ["listener", "lifecycle", "capacity", "monitoring", "access", "image"]) expect(Object.keys(areas)).toContain(name);
    expect(areas["config-static"]).toMatchObject({ mutate: ["modules/config/settings.ts", "modules/config/values.ts"], ignoreStatic: false });
  });
});
