import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// js-yaml 3.15.2, a devDependency of its own (jest also brings it),
// without types.
const yaml = require("js-yaml") as { load(text: string): unknown };
import { projectPath } from "../../modules/shared/paths";
import { resolveCommand } from "./command-stubs";

/** bash itself comes from this machine: the job's PATH holds only the test's commands. */
const BASH = resolveCommand("bash");

/**
 * The users' GitHub workflows as data, and a small runner for one job's `run:` steps, so tests
 * check what the pipeline does rather than how its YAML is spelled. The runner follows GitHub's
 * rules for what the tests rely on: steps run in order; after a failed step only steps whose
 * `if:` calls always() or failure() run; `if:` and `${{ }}` know `steps.<id>.outputs.<name>`,
 * `inputs`, `vars`, `||`, `==` and string literals; a step's outputs are the `name=value` lines
 * it appends to $GITHUB_OUTPUT; `uses:` steps are not run (the tests stub what they provide).
 */

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  if?: string;
  environment?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  steps: Step[];
}

export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

export const WORKFLOW_FILES = ["pr.yml", "plan.yml", "deploy.yml"] as const;

export const workflowText = (file: string): string => readFileSync(projectPath(".github", "workflows", file), "utf8");
export const parseWorkflow = (text: string): Workflow => yaml.load(text) as Workflow;
export const loadWorkflow = (file: string): Workflow => parseWorkflow(workflowText(file));

/** A step's label for messages: its name, its action or its command. */
export const stepLabel = (step: Step): string => step.name ?? step.uses ?? step.run?.split("\n")[0] ?? "(empty step)";

export interface Context {
  vars: Record<string, string>;
  inputs: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string> }>;
}

/** The value of one operand: a string literal or a dotted path into the context (missing: ""). */
function operand(text: string, context: Context): string {
  const t = text.trim();
  const literal = /^'(.*)'$/.exec(t);
  if (literal) return literal[1];
  let value: unknown = context;
  for (const part of t.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === "string" ? value : "";
}

/** `a || b || 'c'` and `a == 'b'`, the only expression forms the workflows use. */
export function evaluate(expression: string, context: Context): string {
  const equality = /^(.+?)==(.+)$/.exec(expression);
  if (equality) return operand(equality[1], context) === operand(equality[2], context) ? "true" : "";
  for (const alternative of expression.split("||")) {
    const value = operand(alternative, context);
    if (value !== "") return value;
  }
  return "";
}

const expand = (text: string, context: Context): string => text.replace(/\$\{\{(.+?)\}\}/g, (_, e: string) => evaluate(e, context));

export interface StepRun {
  label: string;
  ran: boolean;
  status?: number;
  output?: string;
}

/**
 * Runs a job's `run:` steps with bash (`-eo pipefail` when the job's default shell is bash,
 * as GitHub does) in `cwd`, with PATH = `path` only and the job's and step's env expanded.
 */
export function runJob(job: Job, options: { cwd: string; path: string; context: Context; env?: Record<string, string> }): StepRun[] {
  const runs: StepRun[] = [];
  let failed = false;
  const pipefail = job.defaults?.run?.shell === "bash";
  for (const [index, step] of job.steps.entries()) {
    const label = stepLabel(step);
    const condition = step.if?.trim() ?? "success()";
    const always = /\b(always|failure)\(\)/.test(condition);
    const wanted = always || (!failed && (condition === "success()" || evaluate(condition, options.context) === "true"));
    if (!wanted || step.run === undefined) {
      runs.push({ label, ran: false });
      continue;
    }
    const outputFile = join(options.cwd, `.github-output-${index}`);
    writeFileSync(outputFile, "");
    const env: Record<string, string> = { PATH: options.path, HOME: options.cwd, GITHUB_OUTPUT: outputFile, ...options.env };
    for (const [k, v] of Object.entries({ ...job.env, ...step.env })) env[k] = expand(String(v), options.context);
    const result = spawnSync(BASH, [...(pipefail ? ["--noprofile", "--norc", "-eo", "pipefail"] : ["-e"]), "-c", expand(step.run, options.context)], {
      cwd: options.cwd, env, encoding: "utf8", timeout: 60_000,
    });
    const outputs = Object.fromEntries(
      readFileSync(outputFile, "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    if (step.id !== undefined) options.context.steps[step.id] = { outputs };
    if (result.error !== undefined) throw result.error;
    runs.push({ label, ran: true, status: result.status ?? 1, output: `${result.stdout}${result.stderr}` });
    if (result.status !== 0) failed = true;
  }
  return runs;
}
