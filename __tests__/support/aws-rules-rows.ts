/**
 * The two checks every part of the AWS rules table gets (policy/aws-rules): each row holds on
 * every stack given, and each row's bad cases - one field of a real stack changed - make it fire.
 * Defines the jest tests where it is called.
 */
import type { AwsRule } from "../../policy/aws-rules";
import { mutate, type Mutation } from "../../policy/mutation";
import type { Shape } from "../../policy/rule-kit";
import type { TerraformJson } from "../../modules/synth";

export interface ShapedStack {
  readonly shape: Shape;
  readonly json: TerraformJson;
}

/** Is `type.name` (or `data.type.name`) a resource of the stack? */
function exists(json: TerraformJson, resource: string): boolean {
  const [block, rest] = resource.startsWith("data.") ? (["data", resource.slice(5)] as const) : (["resource", resource] as const);
  const [type, ...name] = rest.split(".");
  return Object.keys(json[block]?.[type] ?? {}).includes(name.join("."));
}

export function checkRowsOnStacks(rows: readonly AwsRule[], stacks: readonly ShapedStack[]): void {
  function stackOf(m: Mutation): ShapedStack {
    const name = m.shape ?? "prod defaults";
    const stack = stacks.find((s) => s.shape.name === name);
    if (!stack) throw new Error(`mutation "${m.clause}": no shape named "${name}"`);
    return stack;
  }

  describe.each(stacks.map((s) => [s.shape.name, s] as const))("the %s stack", (_name, { shape, json }) => {
    test.each(rows.map((r) => [r.id, r] as const))("keeps %s", (_id, rule: AwsRule) => {
      expect(rule.check(json, shape)).toEqual([]);
    });
  });

  const cases = rows.flatMap((rule) => rule.bad.map((m) => [rule.id, m.clause, rule, m] as const));
  test.each(cases)("%s fires on the real stack with %s", (_id, _clause, rule, m) => {
    const { shape, json } = stackOf(m);
    const mutated = mutate(json, m);
    expect(mutated.now).not.toEqual(mutated.was);
    expect(rule.check(mutated.before, shape)).toEqual([]);
    const after = rule.check(mutated.after, shape);
    expect(after).not.toEqual([]);
    for (const v of after) {
      expect(v.message.trim().length).toBeGreaterThan(4);
      expect(exists(mutated.after, v.resource)).toBe(true);
    }
  });
}
