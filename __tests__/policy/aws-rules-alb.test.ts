import { ALB_AWS_RULES } from "../../policy/aws-rules/alb";
import type { AwsRule } from "../../policy/aws-rules/rule";
import { policyStacks } from "../../policy/shapes";
import { mutate, type Mutation } from "../../policy/mutation";
import { DEFAULT_SHAPE } from "../../policy/rule-kit";
import { synthStack } from "../../modules/synth";
import { MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS } from "../../modules/edge/listener-routes";

const stacks = policyStacks();

function stackOf(m: Mutation) {
  const name = m.shape ?? "prod defaults";
  const stack = stacks.find((s) => s.shape.name === name);
  if (!stack) throw new Error(`mutation "${m.clause}": no shape named "${name}"`);
  return stack;
}

const cases = ALB_AWS_RULES.flatMap((rule) => rule.bad.map((m) => [rule.id, m.clause, rule, m] as const));

describe("AWS rules of the load balancer", () => {
  test("each row has a unique id, its rule in words, an AWS documentation source and a bad case", () => {
    expect(new Set(ALB_AWS_RULES.map((r) => r.id)).size).toBe(ALB_AWS_RULES.length);
    for (const r of ALB_AWS_RULES) {
      expect(r.id).toMatch(/^alb-[a-z0-9-]+$/);
      expect(r.source).toMatch(/https:\/\/(docs\.aws\.amazon\.com|github\.com)\//);
      expect(r.rule.length).toBeGreaterThan(15);
      expect(r.bad.length).toBeGreaterThan(0);
    }
  });

  test.each(cases)("%s fires when one field of the real stack changes: %s", (_id, _clause, rule: AwsRule, m) => {
    const { shape, json } = stackOf(m);
    const mutated = mutate(json, m);
    expect(mutated.now).not.toEqual(mutated.was);
    expect(rule.check(mutated.before, shape)).toEqual([]);
    const after = rule.check(mutated.after, shape);
    expect(after).not.toEqual([]);
    for (const v of after) {
      expect(v.message.trim().length).toBeGreaterThan(4);
      expect(Object.keys(mutated.after.resource?.[v.resource.split(".")[0]] ?? {})).toContain(v.resource.split(".").slice(1).join("."));
    }
  });

  describe.each(stacks.map((s) => [s.shape.name, s] as const))("the %s stack", (_name, { shape, json }) => {
    test.each(ALB_AWS_RULES.map((r) => [r.id, r] as const))("passes %s", (_id, rule) => {
      expect(rule.check(json, shape)).toEqual([]);
    });
  });

  // The ALB at its largest: the longest name prefix, every admin CIDR, every public realm with the longest name config allows.
  const largest = synthStack({
    namePrefix: `k${"x".repeat(18)}z`,
    adminAllowedCidrs: Array.from({ length: MAX_ADMIN_CIDRS }, (_, i) => `198.51.${100 + i}.0/24`),
    publicRealms: Array.from({ length: MAX_PUBLIC_REALMS }, (_, i) => `${"r".repeat(62)}${String(i).padStart(2, "0")}`),
  });
  test.each(ALB_AWS_RULES.map((r) => [r.id, r] as const))("the largest ALB config allows passes %s", (_id, rule) => {
    expect(rule.check(largest, DEFAULT_SHAPE)).toEqual([]);
  });
});
