/**
 * `npm run policy -- [--out DIR] [stack...]`: the security rules (rules.ts) on synthesized stacks,
 * like checkov without Python. Checks every `DIR/stacks/<stack>/cdk.tf.json` (DIR: cdktf.out), or
 * the stacks named; prints each finding as rule, resource and why; exits 1 on any finding, 0 with
 * a one-line summary otherwise, 2 when it cannot check.
 *
 * The rules judge the resources of the JSON, and take the stack's shape (profile, egress mode,
 * throw-away, HA, the SSH opt-in) from the stack's configuration (cdktf.json and KEYCLOAK_*, as
 * synth reads them), never from the JSON: the shape grants leniency (a dev stack needs no Multi-AZ,
 * a throw-away one no deletion protection), so reading it from the resources would let a changed
 * stack excuse itself (deletion protection removed would read as throw-away). Run it with the
 * KEYCLOAK_* variables the synth had.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TerraformJson } from "../modules/synth";
import { cdktfOut, stackConfig } from "../tools/stack";
import { EXCEPTIONS } from "./exceptions";
import { RULES, type Shape } from "./rules";
import { shapeOfConfig } from "./shapes";

export const USAGE = `usage: npm run policy -- [--out DIR] [stack...]
  stack      a synthesized stack, e.g. keycloak-prod (default: every stack in DIR/stacks)
  --out DIR  cdktf's output folder (default: CDKTF_OUTDIR, or cdktf.out)
The stack's shape (profile, egress mode, ...) comes from cdktf.json and KEYCLOAK_*: run with the
variables the synth had.`;

export interface Finding {
  readonly stack: string;
  readonly rule: string;
  readonly resource: string;
  readonly message: string;
  readonly why: string;
}

export interface StackVerdict {
  readonly findings: Finding[];
  /** Violations a listed exception excuses for this shape. */
  readonly excused: number;
}

/** Every rule on one stack; a rule that cannot read the stack is a finding, not a pass. */
export function checkStack(stack: string, json: TerraformJson, shape: Shape): StackVerdict {
  const findings: Finding[] = [];
  let excused = 0;
  for (const rule of RULES) {
    let violations;
    try {
      violations = rule.check(json, shape);
    } catch (error) {
      findings.push({ stack, rule: rule.id, resource: "(stack)", message: `cannot check: ${(error as Error).message}`, why: rule.rationale });
      continue;
    }
    for (const v of violations) {
      if (EXCEPTIONS.some((e) => e.rule === rule.id && e.resource.test(v.resource) && e.appliesTo(shape))) excused++;
      else findings.push({ stack, rule: rule.id, resource: v.resource, message: v.message, why: rule.rationale });
    }
  }
  return { findings, excused };
}

export function formatFinding(f: Finding): string {
  return `${f.stack}: ${f.rule} ${f.resource}: ${f.message}\n    why: ${f.why}`;
}

function parseArgs(argv: string[]): { outDir: string; stacks: string[] } {
  let outDir = cdktfOut();
  const stacks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`--out needs a value\n${USAGE}`);
      outDir = value;
    } else if (argv[i].startsWith("-")) throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    else stacks.push(argv[i]);
  }
  return { outDir, stacks };
}

function synthesizedStacks(outDir: string): string[] {
  const dir = join(outDir, "stacks");
  const stacks = existsSync(dir) ? readdirSync(dir).filter((s) => existsSync(join(dir, s, "cdk.tf.json"))).sort() : [];
  if (stacks.length === 0) throw new Error(`no synthesized stack in ${dir}: run 'npm run synth' first`);
  return stacks;
}

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  if (argv.includes("--help")) {
    out(`${USAGE}\n`);
    return 0;
  }
  const { outDir, stacks: named } = parseArgs(argv);
  const stacks = named.length > 0 ? named : synthesizedStacks(outDir);
  const checked = stacks.map((stack) => {
    const file = join(outDir, "stacks", stack, "cdk.tf.json");
    if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run synth' first`);
    const shape = shapeOfConfig(stack, stackConfig(stack));
    return { stack, shape, ...checkStack(stack, JSON.parse(readFileSync(file, "utf8")) as TerraformJson, shape) };
  });
  const findings = checked.flatMap((c) => c.findings);
  for (const f of findings) out(`${formatFinding(f)}\n`);
  const shapes = checked.map((c) => `${c.stack} (${c.shape.profile}, ${c.shape.egressMode} egress)`).join(", ");
  const excused = checked.reduce((n, c) => n + c.excused, 0);
  out(`policy: ${findings.length === 0 ? "no findings" : `${findings.length} finding${findings.length === 1 ? "" : "s"}`} in ${shapes}; ${RULES.length} rules, ${excused} excused by policy/exceptions.ts\n`);
  return findings.length === 0 ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`policy: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
