/**
 * Bad cases of the policy rules as mutations of the real synthesized stack: one field of
 * one real resource changed. A hand-made fragment only proves that a rule fires on the
 * fragment its author imagined; a mutation proves it fires on the stack we ship once that
 * one field goes wrong, and each clause of a rule gets its own mutation.
 */
import type { TerraformJson } from "../modules/synth";

type Res = Record<string, unknown>;
type Key = string | number;

/** Marks a field to be deleted. */
export const REMOVED = Symbol("removed");

/** One field of one real resource, changed. */
export interface Mutation {
  /** What the mutation breaks (or, in `accepts`, what the rule must tolerate). */
  readonly clause: string;
  /** Name of the configuration shape (`shapes.ts`) whose stack is mutated. @default "prod defaults" */
  readonly shape?: string;
  readonly type: string;
  /** Which resource of `type`. @default the first one */
  readonly pick?: (r: Res, name: string) => boolean;
  /**
   * Path into the resource; fields holding JSON text (container definitions, policies) are
   * entered as JSON. Empty: `to` is a whole new resource, only for a type the stack never
   * creates (there is no real one to change).
   */
  readonly path: readonly Key[];
  /** The new value, or a function of the resource and the whole stack, or `REMOVED`. */
  readonly to: unknown;
  /**
   * The value the field has before the mutation, where the real stack breaks the rule by
   * design (an excepted resource): the case then goes from `from` to `to`.
   */
  readonly from?: unknown;
  /**
   * For a count quota: the picked resource is copied this many times (path empty); `to` makes
   * each copy from the original and its index, e.g. a free priority.
   */
  readonly copies?: number;
}

export interface Mutated {
  /** `type.name` of the changed resource. */
  readonly resource: string;
  readonly before: TerraformJson;
  readonly after: TerraformJson;
  /** The field's value before and after, as JSON text (to prove it changed). */
  readonly was: string;
  readonly now: string;
}

/** Does `text` hold a JSON object or array (as cdktf writes container definitions and policies)? */
function jsonText(value: unknown): value is string {
  return typeof value === "string" && /^[[{]/.test(value);
}

/** Sets (or deletes) `path` in `node`, entering JSON text fields; returns the old value. */
function setIn(node: unknown, path: readonly Key[], value: unknown): { node: unknown; old: unknown } {
  const [key, ...rest] = path;
  const container = (jsonText(node) ? JSON.parse(node) : node) as Record<Key, unknown>;
  if (container === null || typeof container !== "object") throw new Error(`cannot enter ${String(key)}: not an object`);
  let old: unknown;
  if (rest.length === 0) {
    old = container[key];
    if (value === REMOVED) delete container[key];
    else container[key] = value;
  } else {
    const inner = setIn(container[key], rest, value);
    container[key] = inner.node;
    old = inner.old;
  }
  return { node: jsonText(node) ? JSON.stringify(container) : container, old };
}

const show = (value: unknown) => (value === undefined || value === REMOVED ? "(absent)" : JSON.stringify(value));

/** The stack before and after the mutation. Fails when the picked resource is missing or nothing changes. */
export function mutate(stack: TerraformJson, m: Mutation): Mutated {
  const before = structuredClone(stack);
  if (m.copies !== undefined) return copy(before, m, m.copies);
  if (m.path.length === 0) return add(before, m);
  // `data.<type>` changes a data source.
  const [block, type] = m.type.startsWith("data.") ? (["data", m.type.slice(5)] as const) : (["resource", m.type] as const);
  const entries = Object.entries(before[block]?.[type] ?? {});
  const found = entries.find(([name, r]) => (m.pick ? m.pick(r, name) : true));
  if (!found) throw new Error(`mutation "${m.clause}": no ${m.type} to change`);
  const [name] = found;
  const table = before[block]![type];
  if (m.from !== undefined) table[name] = setIn(table[name], m.path, m.from).node as Res;
  const after = structuredClone(before);
  const target = after[block]![type];
  const value = typeof m.to === "function" ? (m.to as (r: Res, json: TerraformJson) => unknown)(table[name], before) : m.to;
  const { node, old } = setIn(target[name], m.path, value);
  target[name] = node as Res;
  const was = show(old);
  const now = show(value);
  if (was === now) throw new Error(`mutation "${m.clause}" changes nothing: ${m.path.join(".")} already ${now}`);
  return { resource: `${m.type}.${name}`, before, after, was, now };
}

function add(before: TerraformJson, m: Mutation): Mutated {
  if (before.resource?.[m.type]) throw new Error(`mutation "${m.clause}": the stack has a real ${m.type}; change one of its fields instead`);
  const after = structuredClone(before);
  after.resource = { ...after.resource, [m.type]: { added: m.to as Res } };
  return { resource: `${m.type}.added`, before, after, was: show(undefined), now: show(m.to) };
}

function copy(before: TerraformJson, m: Mutation, copies: number): Mutated {
  const found = Object.entries(before.resource?.[m.type] ?? {}).find(([name, r]) => (m.pick ? m.pick(r, name) : true));
  if (!found || m.path.length > 0 || typeof m.to !== "function") throw new Error(`mutation "${m.clause}": copies need a ${m.type} to copy, an empty path and a function making each copy`);
  const [name, original] = found;
  const after = structuredClone(before);
  const make = m.to as (r: Res, index: number) => Res;
  for (let i = 0; i < copies; i++) after.resource![m.type][`${name}_copy_${i}`] = make(structuredClone(original), i);
  const count = (json: TerraformJson) => `${Object.keys(json.resource![m.type]).length} ${m.type}`;
  return { resource: `${m.type}.${name}`, before, after, was: count(before), now: count(after) };
}
