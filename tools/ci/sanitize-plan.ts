/**
 * Makes `terraform show -json` of a saved plan publishable from a pull request.
 *
 * Terraform writes sensitive values into the plan JSON in clear text and only marks them
 * (`before_sensitive`, `after_sensitive`, `sensitive_values`, `"sensitive": true`), and its
 * `prior_state` holds the whole state: after the first deploy that includes the bastion's
 * and the certificate's private keys. What stays is what checkov and a reviewer need:
 * resource_changes, planned_values and configuration, with every marked value set to null
 * (the masks stay, so a reader sees that a value was there); provisioners keep only their
 * references. The configuration's provider_config is published as planned and goes through
 * the scan like the rest, its constants judged by their argument names. Sections this code does not
 * know are dropped rather than published, and the result must pass the project's secret
 * scan, together with any text files given (the text plan of the PR comment), or nothing
 * is written.
 *
 * usage: terraform show -json tfplan | node --import tsx tools/ci/sanitize-plan.ts OUT.json [TEXT...]
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { scanForSecrets, type Finding } from "../../policy/secret-scan";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const objects = (v: Json | undefined): JsonObject[] => list(v).filter(isObject);

/** Whether a sensitivity mask marks anything at all. */
const marksAnything = (mask: Json | undefined): boolean =>
  mask === true || (Array.isArray(mask) ? mask.some(marksAnything) : isObject(mask) && Object.values(mask).some(marksAnything));

/** `value` with everything `mask` marks sensitive set to null; a mask that does not fit the value hides it whole. */
export function redact(value: Json, mask: Json | undefined): Json {
  if (!marksAnything(mask)) return value;
  if (mask === true) return null;
  if (Array.isArray(mask) && Array.isArray(value)) return value.map((v, i) => redact(v, mask[i]));
  if (isObject(mask) && isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, mask[k])]));
  return null;
}

/** Two masks of instances of one configuration block: sensitive where either is. */
function unionMask(a: Json | undefined, b: Json | undefined): Json {
  if (a === true || b === true) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    const [x, y] = [list(a), list(b)];
    return Array.from({ length: Math.max(x.length, y.length) }, (_, i) => unionMask(x[i], y[i]));
  }
  const [x, y] = [isObject(a) ? a : {}, isObject(b) ? b : {}];
  return Object.fromEntries([...new Set([...Object.keys(x), ...Object.keys(y)])].map((k) => [k, unionMask(x[k], y[k])]));
}

/** A change (resource, drift or output): before and after through their own masks. */
function redactChange(change: Json): Json {
  if (!isObject(change)) return change;
  // Config generated for an import is HCL text with the imported values in it.
  const { generated_config: _generated, ...rest } = change;
  return { ...rest, before: redact(rest.before ?? null, rest.before_sensitive), after: redact(rest.after ?? null, rest.after_sensitive) };
}

const redactResourceChange = (rc: Json): Json => (isObject(rc) ? { ...rc, change: redactChange(rc.change) } : rc);

/**
 * Sensitivity of a planned resource. Terraform's `sensitive_values` in planned_values leaves
 * out attributes the provider schema marks sensitive (an ACM certificate's private_key);
 * the resource change's `after_sensitive` has them, so both count.
 */
type PlannedMasks = (resource: JsonObject) => Json;

function plannedMasks(plan: JsonObject): PlannedMasks {
  const after = new Map(objects(plan.resource_changes).map((rc) => [String(rc.address), isObject(rc.change) ? rc.change.after_sensitive : undefined]));
  return (resource) => unionMask(resource.sensitive_values, after.get(String(resource.address)));
}

/** planned_values' module tree: resource values through their masks. */
function redactModule(module: Json, masks: PlannedMasks): Json {
  if (!isObject(module)) return module;
  return {
    ...module,
    resources: objects(module.resources).map((r) => ({ ...r, values: redact(r.values ?? null, masks(r)) })),
    ...(module.child_modules === undefined ? {} : { child_modules: list(module.child_modules).map((m) => redactModule(m, masks)) }),
  };
}

function redactOutputs(outputs: Json | undefined): Json {
  if (!isObject(outputs)) return outputs ?? null;
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, isObject(o) && o.sensitive === true ? { ...o, value: null } : o]));
}

/** Sensitivity of each resource in planned_values, by its configuration address (instance keys merged). */
function masksByConfigAddress(module: Json, masks: PlannedMasks, into = new Map<string, Json>()): Map<string, Json> {
  if (!isObject(module)) return into;
  for (const r of objects(module.resources)) {
    const address = String(r.address).replace(/\[[^\]]*\]$/, "").replace(/\[[^\]]*\](?=\.)/g, "");
    into.set(address, unionMask(into.get(address), masks(r)));
  }
  list(module.child_modules).forEach((m) => masksByConfigAddress(m, masks, into));
  return into;
}

/** Configuration expressions: a literal given to a sensitive argument loses its constant_value. */
function redactExpressions(expressions: Json, mask: Json | undefined): Json {
  if (!marksAnything(mask)) return expressions;
  if (Array.isArray(expressions)) return expressions.map((e, i) => redactExpressions(e, Array.isArray(mask) ? mask[i] : mask));
  if (!isObject(expressions)) return expressions;
  if (mask === true) {
    const { constant_value: _literal, ...rest } = expressions;
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, redactExpressions(v, true)]));
  }
  const fields = isObject(mask) ? mask : {};
  return Object.fromEntries(Object.entries(expressions).map(([k, v]) => [k, redactExpressions(v, fields[k])]));
}

function redactConfigModule(module: Json, masks: Map<string, Json>, prefix: string): Json {
  if (!isObject(module)) return module;
  const resources = objects(module.resources).map((r) => ({
    ...r,
    expressions: redactExpressions(r.expressions ?? null, masks.get(`${prefix}${String(r.address)}`)),
    // A provisioner's command or connection can hold a secret in any form no scan recognises: only its references stay.
    ...(r.provisioners === undefined ? {} : { provisioners: objects(r.provisioners).map((p) => ({ ...p, expressions: redactExpressions(p.expressions ?? null, true) })) }),
  }));
  const outputs = isObject(module.outputs)
    ? Object.fromEntries(
        Object.entries(module.outputs).map(([name, o]) => [
          name,
          isObject(o) && o.sensitive === true ? { ...o, expression: redactExpressions(o.expression ?? null, true) } : o,
        ]),
      )
    : module.outputs;
  const variables = isObject(module.variables)
    ? Object.fromEntries(
        Object.entries(module.variables).map(([name, v]) => {
          if (!isObject(v) || v.sensitive !== true) return [name, v];
          const { default: _default, ...rest } = v;
          return [name, rest];
        }),
      )
    : module.variables;
  const calls = isObject(module.module_calls)
    ? Object.fromEntries(
        Object.entries(module.module_calls).map(([name, call]) => [
          name,
          isObject(call) ? { ...call, module: redactConfigModule(call.module ?? null, masks, `${prefix}module.${name}.`) } : call,
        ]),
      )
    : undefined;
  return {
    ...module,
    resources,
    ...(outputs === undefined ? {} : { outputs }),
    ...(variables === undefined ? {} : { variables }),
    ...(calls === undefined ? {} : { module_calls: calls }),
  };
}

/** Root variables whose declaration is sensitive lose their value. */
function redactVariables(variables: Json | undefined, configuration: Json | undefined): Json {
  const declared = isObject(configuration) && isObject(configuration.root_module) ? configuration.root_module.variables : undefined;
  if (!isObject(variables)) return variables ?? null;
  return Object.fromEntries(
    Object.entries(variables).map(([name, v]) => {
      const d = isObject(declared) ? declared[name] : undefined;
      return [name, isObject(d) && d.sensitive === true ? { value: null } : v];
    }),
  );
}

/** Plan sections and what is published of each; any other section (prior_state first) is left out. */
const SECTIONS: Record<string, (value: Json, plan: JsonObject) => Json> = {
  format_version: (v) => v,
  terraform_version: (v) => v,
  timestamp: (v) => v,
  applyable: (v) => v,
  complete: (v) => v,
  errored: (v) => v,
  relevant_attributes: (v) => v,
  checks: (v) => v,
  variables: (v, plan) => redactVariables(v, plan.configuration),
  planned_values: (v, plan) =>
    isObject(v) ? { ...v, outputs: redactOutputs(v.outputs), root_module: redactModule(v.root_module ?? null, plannedMasks(plan)) } : v,
  resource_changes: (v) => list(v).map(redactResourceChange),
  resource_drift: (v) => list(v).map(redactResourceChange),
  output_changes: (v) => (isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, c]) => [k, redactChange(c)])) : v),
  configuration: (v, plan) => {
    if (!isObject(v)) return v;
    const planned = isObject(plan.planned_values) ? plan.planned_values.root_module : undefined;
    return { ...v, root_module: redactConfigModule(v.root_module ?? null, masksByConfigAddress(planned ?? null, plannedMasks(plan)), "") };
  },
};

export interface Sanitized {
  readonly plan: JsonObject;
  /** Top-level sections left out (always including prior_state when the plan had one). */
  readonly dropped: string[];
}

/** The publishable part of a plan JSON. */
export function sanitizePlan(plan: JsonObject): Sanitized {
  const kept = Object.entries(plan).filter(([key]) => key in SECTIONS);
  return {
    plan: Object.fromEntries(kept.map(([key, value]) => [key, SECTIONS[key](value, plan)])),
    dropped: Object.keys(plan).filter((key) => !(key in SECTIONS)),
  };
}

/** Secret-scan findings of a sanitized plan and text files (paths and reasons, never values). */
export function publishFindings(plan: JsonObject, texts: Record<string, string>): Finding[] {
  return [
    ...scanForSecrets(plan, "plan.json"),
    ...Object.entries(texts).flatMap(([name, text]) => scanForSecrets(text, name)),
  ];
}

function main(args: string[]): number {
  if (args[0] === "--help" || args[0] === "-h" || args.length < 1) {
    (args.length < 1 ? console.error : console.log)(
      "usage: terraform show -json tfplan | sanitize-plan.ts OUT.json [TEXT...]\n" +
        "  writes the publishable plan to OUT.json after it and every TEXT file pass the secret scan",
    );
    return args.length < 1 ? 2 : 0;
  }
  const [out, ...textFiles] = args;
  const { plan, dropped } = sanitizePlan(JSON.parse(readFileSync(0, "utf8")) as JsonObject);
  const findings = publishFindings(plan, Object.fromEntries(textFiles.map((f) => [f, readFileSync(f, "utf8")])));
  if (findings.length > 0) {
    for (const f of textFiles) rmSync(f, { force: true });
    console.error(`refusing to publish the plan: ${findings.map((f) => `${f.path}: ${f.reason}`).join("; ")}`);
    return 1;
  }
  writeFileSync(out, `${JSON.stringify(plan, null, 2)}\n`);
  console.log(`sanitized plan written to ${out} (left out: ${dropped.join(", ") || "nothing"})`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
