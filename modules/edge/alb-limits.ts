/**
 * The Application Load Balancer's documented limits, each defined once with its AWS source. The
 * listener routes are built within them (listener-routes.ts), the AWS rules table checks every
 * synthesized shape against them (policy/aws-rules/alb.ts) and the e2e proxy's translator refuses
 * what they refuse (policy/alb-rules.ts). `terraform plan` checks none of them: AWS refuses at apply.
 */
import { constant } from "../shared/constant";

/** Where each limit is written down. */
export const ALB_SOURCES = constant({
  quotas: "Quotas for your Application Load Balancers, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html",
  listenerRules: "Listener rules for your Application Load Balancer, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html",
  createRule: "ELB API reference, CreateRule, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html",
  ruleCondition: "ELB API reference, RuleCondition, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RuleCondition.html",
  pathPattern: "ELB API reference, PathPatternConditionConfig, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_PathPatternConditionConfig.html",
  fixedResponse: "ELB API reference, FixedResponseActionConfig, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html",
  createLoadBalancer: "ELB API reference, CreateLoadBalancer, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
  createTargetGroup: "ELB API reference, CreateTargetGroup, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
  matcher: "ELB API reference, Matcher, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Matcher.html",
  targetGroupAttribute: "ELB API reference, TargetGroupAttribute, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html",
  loadBalancerAttribute: "ELB API reference, LoadBalancerAttribute, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html",
  /** AWS documents no such error; the API's own message, quoted in these threads. */
  intervalOverTimeout:
    "not in the AWS documentation; the API's error \"Health check interval must be greater than the timeout\": https://github.com/hashicorp/terraform-provider-aws/issues/2366, https://github.com/aws/aws-cdk/issues/3703",
});

/**
 * Condition values per rule, over all its conditions (quotas; not adjustable). The API's error is
 * "A rule can only have '5' condition values".
 */
export const ALB_VALUES_PER_RULE = 5;
/** Comparison strings per condition (listenerRules: "up to three ... per condition and up to five per rule"). */
export const ALB_VALUES_PER_CONDITION = 3;
/**
 * `*` and `?` wildcards per rule, over all its conditions (quotas; not adjustable). The 2023
 * English guide says five, the current zh_cn quotas page five, its ja_jp copy six: we take five.
 */
export const ALB_WILDCARDS_PER_RULE = 5;
/** Rules per load balancer, default rules not counted (quotas; adjustable, we assume the default). */
export const ALB_RULES_PER_LOAD_BALANCER = 100;
/** Rule priorities (createRule); unique per listener. */
export const ALB_PRIORITY = constant({ min: 1, max: 50000 });
/** Path pattern length (pathPattern). */
export const ALB_PATH_PATTERN_MAX_LENGTH = 128;
/** Path pattern characters (pathPattern): A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & and the wildcards * and ?. */
export const ALB_PATH_PATTERN_CHARACTERS = /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/;
/** A fixed response (fixedResponse): body length, content types, status codes 2XX, 4XX, 5XX. */
export const ALB_FIXED_RESPONSE = constant({
  maxBodyLength: 1024,
  contentTypes: ["text/plain", "text/css", "text/html", "application/javascript", "application/json"],
  statusCode: /^[245]\d\d$/,
});
/** Load balancer and target group names (createLoadBalancer, createTargetGroup). */
export const ALB_NAME = constant({ maxLength: 32, characters: /^[A-Za-z0-9-]+$/, noEdgeHyphen: /^[^-].*[^-]$|^[^-]$/, reservedPrefix: "internal-" });
/** Target group health check (createTargetGroup); the interval must exceed the timeout (intervalOverTimeout). */
export const ALB_HEALTH_CHECK = constant({
  intervalSeconds: { min: 5, max: 300 },
  timeoutSeconds: { min: 2, max: 120 },
  threshold: { min: 2, max: 10 },
  /** HTTP codes an HTTP(S) target group's matcher may name (matcher): single, list or range. */
  matcherCodes: { min: 200, max: 499 },
});
/** `deregistration_delay.timeout_seconds` (targetGroupAttribute). */
export const ALB_DEREGISTRATION_DELAY_SECONDS = constant({ min: 0, max: 3600 });
/** `idle_timeout.timeout_seconds` (loadBalancerAttribute). */
export const ALB_IDLE_TIMEOUT_SECONDS = constant({ min: 1, max: 4000 });

/** The wildcards of one condition value, as the quota counts them. */
export const wildcardsIn = (value: string) => [...value].filter((ch) => ch === "*" || ch === "?").length;

/** A listener rule as the limits see it: its conditions' values and the fixed responses it answers. */
export interface RuleForLimits {
  /** Each condition's values (path patterns, source CIDRs, ...). */
  readonly conditions: readonly (readonly string[])[];
  readonly pathPatterns: readonly string[];
  /** The source-ip condition's values. @default [] */
  readonly sourceCidrs?: readonly string[];
}

/** Which limit a problem breaks; the AWS rules table has a row for each. */
export type RuleLimit = "values-per-rule" | "values-per-condition" | "wildcards-per-rule" | "path-pattern-length" | "path-pattern-characters" | "source-ip";

/** A source-ip value (ruleCondition: "IPv4 or IPv6 address ... in CIDR format. You can't use a wildcard"). */
export function isAlbSourceCidr(value: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
  const v6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*\/(\d{1,3})$/.exec(value);
  return v6 !== null && Number(v6[1]) <= 128;
}

export interface LimitProblem {
  readonly limit: RuleLimit | "fixed-response" | "rules-per-load-balancer" | "priority";
  readonly message: string;
}

/** What AWS refuses in one rule's conditions. */
export function ruleProblems(rule: RuleForLimits): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const values = rule.conditions.flat();
  if (values.length > ALB_VALUES_PER_RULE) problems.push({ limit: "values-per-rule", message: `${values.length} condition values (at most ${ALB_VALUES_PER_RULE} per rule)` });
  for (const c of rule.conditions) {
    if (c.length > ALB_VALUES_PER_CONDITION) problems.push({ limit: "values-per-condition", message: `a condition with ${c.length} values (at most ${ALB_VALUES_PER_CONDITION}): ${c.join(" ")}` });
  }
  const wildcards = values.reduce((n, v) => n + wildcardsIn(v), 0);
  if (wildcards > ALB_WILDCARDS_PER_RULE) problems.push({ limit: "wildcards-per-rule", message: `${wildcards} wildcards (* or ?) in the conditions (at most ${ALB_WILDCARDS_PER_RULE} per rule): ${values.join(" ")}` });
  for (const p of rule.pathPatterns) {
    if (p.length > ALB_PATH_PATTERN_MAX_LENGTH) problems.push({ limit: "path-pattern-length", message: `path pattern of ${p.length} characters (at most ${ALB_PATH_PATTERN_MAX_LENGTH}): ${p}` });
    if (!ALB_PATH_PATTERN_CHARACTERS.test(p)) problems.push({ limit: "path-pattern-characters", message: `path pattern ${JSON.stringify(p)} holds a character outside A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?` });
  }
  for (const c of rule.sourceCidrs ?? []) {
    if (!isAlbSourceCidr(c)) problems.push({ limit: "source-ip", message: `source ${JSON.stringify(c)} is not an IPv4 or IPv6 CIDR (no wildcards)` });
  }
  return problems;
}

/** What AWS refuses in a fixed response. */
export function fixedResponseProblems(r: { statusCode: string; contentType: string; body: string }): LimitProblem[] {
  const problems: string[] = [];
  if (r.body.length > ALB_FIXED_RESPONSE.maxBodyLength) problems.push(`a body of ${r.body.length} characters (at most ${ALB_FIXED_RESPONSE.maxBodyLength})`);
  if (!(ALB_FIXED_RESPONSE.contentTypes as readonly string[]).includes(r.contentType)) problems.push(`content type ${r.contentType} (one of ${ALB_FIXED_RESPONSE.contentTypes.join(", ")})`);
  if (!ALB_FIXED_RESPONSE.statusCode.test(r.statusCode)) problems.push(`status code ${r.statusCode} (2XX, 4XX or 5XX)`);
  return problems.map((p) => ({ limit: "fixed-response", message: `fixed response with ${p}` }));
}

/** What AWS refuses in the rules of one load balancer: their number, and each listener's priorities. */
export function listenerProblems(prioritiesByListener: readonly (readonly number[])[]): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const count = prioritiesByListener.flat().length;
  if (count > ALB_RULES_PER_LOAD_BALANCER) problems.push({ limit: "rules-per-load-balancer", message: `${count} rules (at most ${ALB_RULES_PER_LOAD_BALANCER} per load balancer)` });
  for (const priorities of prioritiesByListener) {
    for (const p of priorities) {
      if (!Number.isInteger(p) || p < ALB_PRIORITY.min || p > ALB_PRIORITY.max) problems.push({ limit: "priority", message: `priority ${p} (an integer ${ALB_PRIORITY.min}-${ALB_PRIORITY.max})` });
    }
    const repeated = [...new Set(priorities.filter((p, i) => priorities.indexOf(p) !== i))];
    if (repeated.length > 0) problems.push({ limit: "priority", message: `priority ${repeated.join(", ")} used twice on one listener` });
  }
  return problems;
}
