import { synthStack } from "../support/synth";
import { DEFAULT_SHAPE, RULES, type Violation } from "./rules";
import { EXCEPTIONS } from "./exceptions";
import { SHAPE_SETTINGS, shapeOf } from "./shapes";

const stacks = SHAPE_SETTINGS.map(([name, settings]) => ({ shape: shapeOf(name, settings), json: synthStack(settings) }));
const usedExceptions = new Set<number>();

describe("policy rules", () => {
  test("there are at least 30 rules with unique ids and a rationale each", () => {
    expect(RULES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.rationale.length).toBeGreaterThan(20);
  });

  test.each(RULES.map((r) => [r.id, r] as const))("%s fires on its deliberately bad fragment", (_id, rule) => {
    expect(rule.check(rule.bad, DEFAULT_SHAPE).length).toBeGreaterThan(0);
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
