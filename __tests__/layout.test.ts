import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { projectPath, PROJECT_ROOT } from "../modules/shared/paths";

/**
 * The tree reads like the architecture diagram (README: Layout): each part of the diagram is a
 * folder of modules/, and imports point one way only.
 */

const SOURCE_ROOTS = ["main.ts", "modules", "policy", "tools", "scripts", "__tests__"];

function sourceFiles(path: string): string[] {
  if (statSync(path).isFile()) return /\.(ts|js)$/.test(path) ? [path] : [];
  return readdirSync(path).flatMap((entry) => (entry === "node_modules" ? [] : sourceFiles(join(path, entry))));
}

/** Every relative import of a file, resolved to a path relative to the project root. */
export function relativeImports(file: string, source = readFileSync(file, "utf8")): string[] {
  const specs = [...source.matchAll(/(?:from|import|require)\s*\(?\s*["'](\.{1,2}\/[^"']*)["']/g)].map((m) => m[1]);
  return specs.map((spec) => relative(PROJECT_ROOT, resolve(dirname(file), spec)).split(sep).join("/"));
}

const files = SOURCE_ROOTS.flatMap((root) => sourceFiles(projectPath(root)));
const imports = files.map((file) => ({ file: relative(PROJECT_ROOT, file).split(sep).join("/"), targets: relativeImports(file) }));

/** The parts of the diagram, in its order; README's Layout section lists the same. */
const CONCERNS = ["network", "edge", "database", "access", "image", "service", "monitoring"];

describe("project layout", () => {
  test("no file outside __tests__/ imports from __tests__/ (product and user commands never run test code)", () => {
    const offenders = imports
      .filter(({ file }) => !file.startsWith("__tests__/"))
      .flatMap(({ file, targets }) => targets.filter((t) => t.startsWith("__tests__/")).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  test("no part of the diagram imports the configuration: the stack maps settings to typed props", () => {
    const offenders = imports
      .filter(({ file }) => CONCERNS.some((c) => file.startsWith(`modules/${c}/`)))
      .flatMap(({ file, targets }) => targets.filter((t) => t.startsWith("modules/config")).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  test("modules/ holds one folder per part of the diagram, plus config/ and shared/, and only stack.ts and synth.ts at its top", () => {
    const entries = readdirSync(projectPath("modules")).sort();
    expect(entries).toEqual([...CONCERNS, "config", "shared", "stack.ts", "synth.ts"].sort());
  });

  test("shared/ depends on nothing of ours: every folder may import it without a cycle", () => {
    const offenders = imports
      .filter(({ file }) => file.startsWith("modules/shared/"))
      .flatMap(({ file, targets }) => targets.filter((t) => !t.startsWith("modules/shared/")).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  test("the import scan sees a planted import from test code (the checks above can fail)", () => {
    const planted = relativeImports(projectPath("tools", "x.ts"), 'import { synthStack } from "../__tests__/support/x";');
    expect(planted).toEqual(["__tests__/support/x"]);
  });
});
