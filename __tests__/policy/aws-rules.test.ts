/**
 * The AWS rules table (policy/aws-rules): every row holds on every shape the configuration can
 * produce, and every row's bad cases - one field of a real stack changed - make it fire.
 */
import { AWS_RULES } from "../../policy/aws-rules";
import { awsRuleStacks, AWS_SHAPE_SETTINGS, FIRST, LAST } from "../../policy/aws-rules/shapes";
import { loadConfig, SETTINGS, type RawSettings } from "../../modules/config";
import type { TerraformJson } from "../../modules/synth";
import { checkRowsOnStacks } from "../support/aws-rules-rows";

const stacks = awsRuleStacks();

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

  checkRowsOnStacks(AWS_RULES, stacks);
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
