import { ALB_AWS_RULES } from "../../policy/aws-rules/alb";
import { policyStacks } from "../../policy/shapes";
import { DEFAULT_SHAPE } from "../../policy/rule-kit";
import { synthStack } from "../../modules/synth";
import { MAX_ADMIN_CIDRS, MAX_PUBLIC_REALMS } from "../../modules/edge/listener-routes";
import { checkRowsOnStacks } from "../support/aws-rules-rows";

// The policy's shapes, fewer than the whole table's: this file runs in the listener's mutation area, once per mutant.
const stacks = policyStacks();

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

  checkRowsOnStacks(ALB_AWS_RULES, stacks);

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
