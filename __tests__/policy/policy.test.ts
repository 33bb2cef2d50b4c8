import { RULES, type Rule, type Violation } from "../../policy/rules";
import { EXCEPTIONS } from "../../policy/exceptions";
import { policyStacks } from "../../policy/shapes";
import { mutate, type Mutation } from "../../policy/mutation";

const stacks = policyStacks();
const usedExceptions = new Set<number>();

function stackOf(m: Mutation) {
  const name = m.shape ?? "prod defaults";
  const stack = stacks.find((s) => s.shape.name === name);
  if (!stack) throw new Error(`mutation "${m.clause}": no shape named "${name}"`);
  return stack;
}

/** The rule's violations before and after the mutation, on the real stack of the mutation's shape. */
function run(rule: Rule, m: Mutation) {
  const { shape, json } = stackOf(m);
  const mutated = mutate(json, m);
  return { mutated, before: rule.check(mutated.before, shape), after: rule.check(mutated.after, shape) };
}

const cases = (pick: (r: Rule) => readonly Mutation[] | undefined) =>
  RULES.flatMap((rule) => (pick(rule) ?? []).map((m) => [rule.id, m.clause, rule, m] as const));

describe("policy rules", () => {
  test("there are at least 30 rules with unique ids and a rationale each", () => {
    expect(RULES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.rationale.length).toBeGreaterThan(20);
  });

  test("every rule has at least one bad case", () => {
    expect(RULES.filter((r) => r.bad.length === 0).map((r) => r.id)).toEqual([]);
  });

  test.each(cases((r) => r.bad))("%s fires when one field of the real stack changes: %s", (_id, _clause, rule, m) => {
    const { mutated, before, after } = run(rule, m);
    expect(mutated.now).not.toEqual(mutated.was);
    expect(before).toEqual([]);
    expect(after).not.toEqual([]);
    // A violation says what is wrong, on a resource of the stack.
    for (const v of after) {
      expect(v.message.trim().length).toBeGreaterThan(4);
      expect(Object.keys(mutated.after.resource?.[v.resource.split(".")[0]] ?? {})).toContain(v.resource.split(".").slice(1).join("."));
    }
  });

  test.each(cases((r) => r.accepts))("%s stays quiet when %s", (_id, _clause, rule, m) => {
    const { mutated, before, after } = run(rule, m);
    expect(mutated.now).not.toEqual(mutated.was);
    expect(before).toEqual([]);
    expect(after).toEqual([]);
  });

  // The rules that read the container definitions: an unparsable value must stop them, not pass them.
  const containerRules = ["ECS_NO_SECRETS_IN_ENVIRONMENT", "ECS_READ_ONLY_ROOT_FILESYSTEM", "ECS_NOT_PRIVILEGED", "ECS_LOGGING"];
  test.each(containerRules)("%s fails loudly when container_definitions does not parse", (id) => {
    const rule = RULES.find((r) => r.id === id)!;
    const { shape, json } = stacks[0];
    const unparsable: Mutation = { clause: "unparsable container definitions", type: "aws_ecs_task_definition", path: ["container_definitions"], to: "${jsonencode(local.containers)}" };
    const { after, resource } = mutate(json, unparsable);
    expect(() => rule.check(after, shape)).toThrow(`${resource}: container_definitions does not parse as JSON`);
  });

  describe.each(stacks.map((s) => [s.shape.name, s] as const))("the %s stack", (_name, { shape, json }) => {
    test.each(RULES.map((r) => [r.id, r] as const))("passes %s (or has a listed exception)", (_id, rule) => {
      const unexcused: Violation[] = rule.check(json, shape).filter((v) => {
        const i = EXCEPTIONS.findIndex((e) => e.rule === rule.id && e.resource.test(v.resource) && e.appliesTo(shape));
        if (i >= 0) usedExceptions.add(i);
        return i < 0;
      });
      expect(unexcused).toEqual([]);
    });
  });

  test("every exception still excuses something (no stale exceptions)", () => {
    expect(EXCEPTIONS.filter((_, i) => !usedExceptions.has(i)).map((e) => e.rule)).toEqual([]);
  });
});
