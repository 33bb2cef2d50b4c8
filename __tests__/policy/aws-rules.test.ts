/**
 * The AWS rules table (policy/aws-rules): every row holds on every shape the configuration can
 * produce, and every row's bad cases - one field of a real stack changed - make it fire.
 */
import { AWS_RULES, type AwsRule } from "../../policy/aws-rules";
import { awsRuleStacks, AWS_SHAPE_SETTINGS, FIRST, LAST } from "../../policy/aws-rules/shapes";
import { loadConfig, SETTINGS, type RawSettings } from "../../modules/config";
import { mutate, type Mutation } from "../../policy/mutation";
import type { TerraformJson } from "../../modules/synth";

const stacks = awsRuleStacks();

function stackOf(m: Mutation) {
  const name = m.shape ?? "prod defaults";
  const stack = stacks.find((s) => s.shape.name === name);
  if (!stack) throw new Error(`mutation "${m.clause}": no shape named "${name}"`);
  return stack;
}

/** Is `type.name` (or `data.type.name`) a resource of the stack? */
function exists(json: TerraformJson, resource: string): boolean {
  const [block, rest] = resource.startsWith("data.") ? (["data", resource.slice(5)] as const) : (["resource", resource] as const);
  const [type, ...name] = rest.split(".");
  return Object.keys(json[block]?.[type] ?? {}).includes(name.join("."));
}

describe("the AWS rules table", () => {
  test("rows have unique ids, a rule in words, an AWS documentation source and at least one bad case", () => {
    expect(AWS_RULES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(AWS_RULES.map((r) => r.id)).size).toBe(AWS_RULES.length);
    for (const r of AWS_RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(r.rule.length).toBeGreaterThan(10);
      expect(r.source).toMatch(/https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
      expect(r.bad.length).toBeGreaterThan(0);
    }
  });

  test("the shapes cover both profiles, every egress mode, both architectures and a hosted zone", () => {
    const settings = AWS_SHAPE_SETTINGS.map(([, s]) => s);
    expect(new Set(stacks.map((s) => s.shape.profile))).toEqual(new Set(["prod", "dev"]));
    expect(new Set(stacks.map((s) => s.shape.egressMode))).toEqual(new Set(["nat", "public-ip", "endpoints"]));
    const architecture = (json: TerraformJson) => (Object.values(json.resource!.aws_ecs_task_definition)[0].runtime_platform as { cpu_architecture: string }).cpu_architecture;
    expect(new Set(stacks.map((s) => architecture(s.json)))).toEqual(new Set(["X86_64", "ARM64"]));
    expect(settings.some((s) => s.hostedZoneId && s.hostname)).toBe(true);
  });

  describe.each(stacks.map((s) => [s.shape.name, s] as const))("the %s stack", (_name, { shape, json }) => {
    test.each(AWS_RULES.map((r) => [r.id, r] as const))("keeps %s", (_id, rule: AwsRule) => {
      expect(rule.check(json, shape)).toEqual([]);
    });
  });

  const cases = AWS_RULES.flatMap((rule) => rule.bad.map((m) => [rule.id, m.clause, rule, m] as const));
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
});

describe("the first-value and last-value shapes", () => {
  const load = (settings: RawSettings) => loadConfig({ environment: "test", perEnvironment: settings, env: {}, warn: () => undefined });
  /** Settings with no first or last value (names, ids, switches other shapes cover). */
  const WITHOUT_RANGE = ["profile", "region", "publicSubnetCidrs", "privateSubnetCidrs", "bastionAllowSshFromAnywhere", "bastionAmiId", "stateBucket", "stateRegion", "hostname", "hostedZoneId", "hostnameAdmin", "privateZoneName", "availabilityZones", "bastionInstanceType", "imageUri"];

  test("between them they set every setting that has a range", () => {
    const set = new Set([...Object.keys(FIRST), ...Object.keys(LAST)]);
    expect(SETTINGS.map((s) => s.key).filter((k) => !set.has(k) && !WITHOUT_RANGE.includes(k))).toEqual([]);
  });

  const numeric = (shape: RawSettings) => Object.entries(shape).filter(([, v]) => typeof v === "number") as [string, number][];
  test.each(numeric(FIRST))("first: %s = %d is the smallest the configuration accepts", (key, value) => {
    expect(() => load({ ...FIRST, [key]: value - 1 })).toThrow(key);
  });
  test.each(numeric(LAST))("last: %s = %d is the largest the configuration accepts", (key, value) => {
    expect(() => load({ ...LAST, [key]: value + 1 })).toThrow(key);
  });
  test("lists are at their longest: one more entry is refused", () => {
    for (const key of ["albIngressCidrs", "adminAllowedCidrs", "bastionAllowedCidrs", "publicRealms"] as const) {
      const list = LAST[key] as string[];
      const more = key === "publicRealms" ? [...list, "one-more"] : [...list, "203.0.113.9/32"];
      expect(() => load({ ...LAST, [key]: more })).toThrow(key);
    }
  });
});
