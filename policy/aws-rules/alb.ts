/**
 * The AWS rules of the load balancer: listener rule quotas, path patterns, fixed responses,
 * names, the target group's health check and attributes. The limits themselves live in
 * modules/edge/alb-limits.ts (the listener routes are built within them); these rows check
 * every synthesized shape against them.
 */
import { TASK_LIFECYCLE } from "../../modules/service/task-lifecycle";
import type { TerraformJson } from "../../modules/synth";
// The rows cite nearly every limit of the module: one namespace, not a second list of its names.
import * as limits from "../../modules/edge/alb-limits";
import { change, each, forEach, httpsListener, named, type Res, type Violation } from "../rule-kit";
import type { AwsRule } from "./rule";

/** Each condition's values as the quota counts them (a query string's key/value pair is one value). */
export function conditionValues(rule: Res): string[][] {
  return ((rule.condition ?? []) as Res[]).flatMap((c) =>
    Object.entries(c).map(([kind, v]) =>
      kind === "query_string" ? (v as Res[]).map((q) => `${q.key ?? ""}=${q.value}`) : (((v as Res).values ?? []) as string[]),
    ),
  );
}

const valuesOf = (kind: string) => (rule: Res) => ((rule.condition ?? []) as Res[]).flatMap((c) => ((c[kind] as Res | undefined)?.values ?? []) as string[]);
const pathPatterns = valuesOf("path_pattern");
const sourceCidrs = valuesOf("source_ip");

/** A row over each listener rule's conditions, for one limit. */
const ruleLimit = (limit: limits.RuleLimit) =>
  forEach("aws_lb_listener_rule", (r) =>
    limits.ruleProblems({ conditions: conditionValues(r), pathPatterns: pathPatterns(r), sourceCidrs: sourceCidrs(r) })
      .filter((p) => p.limit === limit)
      .map((p) => p.message)
      .join("; "),
  );

/** Fixed responses of every listener's default action and every rule. */
function fixedResponses(json: TerraformJson): Violation[] {
  return [...each(json, "aws_lb_listener").map(([resource, r]) => [resource, r.default_action] as const), ...each(json, "aws_lb_listener_rule").map(([resource, r]) => [resource, r.action] as const)]
    .flatMap(([resource, actions]) =>
      ((actions ?? []) as Res[])
        .filter((a) => a.type === "fixed-response")
        .flatMap((a) => {
          const f = (a.fixed_response ?? {}) as Res;
          return limits.fixedResponseProblems({ statusCode: String(f.status_code), contentType: String(f.content_type), body: String(f.message_body ?? "") });
        })
        .map((p) => ({ resource, message: p.message })),
    );
}

/** The rules of each load balancer, per listener, for the count and priority limits. */
function perLoadBalancer(limit: limits.LimitProblem["limit"]) {
  return (json: TerraformJson): Violation[] =>
    each(json, "aws_lb").flatMap(([lb]) => {
      const listeners = each(json, "aws_lb_listener").filter(([, l]) => l.load_balancer_arn === `\${${lb}.arn}`);
      const priorities = listeners.map(([listener]) =>
        each(json, "aws_lb_listener_rule").filter(([, r]) => r.listener_arn === `\${${listener}.arn}`).map(([, r]) => Number(r.priority)),
      );
      return limits.listenerProblems(priorities).filter((p) => p.limit === limit).map((p) => ({ resource: lb, message: p.message }));
    });
}

/** A name AWS accepts for a load balancer or target group; `reserved` adds the load balancer's `internal-` rule. */
const nameProblem = (name: string, reserved: boolean) =>
  (name.length > limits.ALB_NAME.maxLength && `name ${name} is ${name.length} characters (at most ${limits.ALB_NAME.maxLength})`) ||
  (!limits.ALB_NAME.characters.test(name) && `name ${name} holds a character other than letters, digits and hyphens`) ||
  (!limits.ALB_NAME.noEdgeHyphen.test(name) && `name ${name} begins or ends with a hyphen`) ||
  (reserved && name.startsWith(limits.ALB_NAME.reservedPrefix) && `name ${name} begins with ${limits.ALB_NAME.reservedPrefix}`);

const outside = (value: unknown, range: { min: number; max: number }) => !(Number.isInteger(Number(value)) && Number(value) >= range.min && Number(value) <= range.max);
const healthCheck = (r: Res) => (r.health_check ?? {}) as Res;

/** HTTP codes of a matcher: "200", "200,302", "200-299". */
function matcherProblem(matcher: unknown): string | false {
  const codes = String(matcher ?? "200").split(/[,-]/);
  const { min, max } = limits.ALB_HEALTH_CHECK.matcherCodes;
  return (!/^\d{3}([,-]\d{3})*$/.test(String(matcher ?? "200")) || codes.some((c) => outside(c, { min, max }))) && `matcher ${matcher} (HTTP codes ${min}-${max}: one, a list or a range)`;
}

const rule10 = { pick: named("rule-10") };
/** The shape with an admin allow-list, and its rule with a source condition. */
const ADMIN_SHAPE = "ARM64, prebuilt image, admin allow-list";
const admins = (r: Res) => sourceCidrs(r).length > 0;
const RULE_CONDITION = ["condition"];
const TG = "aws_lb_target_group";
/** Bad cases of one health check field: [value, clause] each. */
const hcCases = (field: string, cases: readonly (readonly [unknown, string])[]) => cases.map(([to, clause]) => change(TG, ["health_check", field], to, clause));

export const ALB_AWS_RULES: readonly AwsRule[] = [
  {
    id: "alb-rule-condition-wildcards",
    resource: "aws_lb_listener_rule",
    rule: `at most ${limits.ALB_WILDCARDS_PER_RULE} wildcards (* or ?) in a rule's conditions, all conditions together`,
    source: `${limits.ALB_SOURCES.quotas} ("Condition wildcards per rule", not adjustable; the ja_jp copy says 6, the zh_cn copy and the 2023 English guide 5)`,
    adjustable: false,
    check: ruleLimit("wildcards-per-rule"),
    bad: [change("aws_lb_listener_rule", [...RULE_CONDITION, 0, "path_pattern", "values"], ["*/..*", "*/./*", "*/?2e"], "three patterns with 6 wildcards", rule10)],
  },
  {
    id: "alb-rule-condition-values",
    resource: "aws_lb_listener_rule",
    rule: `at most ${limits.ALB_VALUES_PER_RULE} condition values in a rule, all conditions together`,
    source: `${limits.ALB_SOURCES.quotas} ("Condition values per rule", not adjustable)`,
    adjustable: false,
    check: ruleLimit("values-per-rule"),
    bad: [
      change("aws_lb_listener_rule", RULE_CONDITION, [
        { path_pattern: { values: ["/a", "/b", "/c"] } },
        { source_ip: { values: ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"] } },
      ], "3 paths and 3 sources", rule10),
    ],
  },
  {
    id: "alb-condition-comparison-strings",
    resource: "aws_lb_listener_rule",
    rule: `at most ${limits.ALB_VALUES_PER_CONDITION} comparison strings (values) in one condition`,
    source: `${limits.ALB_SOURCES.listenerRules} ("up to three comparison strings per condition and up to five per rule"; the API's own error names only the 5 per rule)`,
    adjustable: false,
    check: ruleLimit("values-per-condition"),
    bad: [change("aws_lb_listener_rule", [...RULE_CONDITION, 0, "path_pattern", "values"], ["/a", "/b", "/c", "/d"], "4 paths in one condition", rule10)],
  },
  {
    id: "alb-path-pattern-length-and-characters",
    resource: "aws_lb_listener_rule",
    rule: "a path pattern is at most 128 characters of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & and the wildcards * ?",
    source: `${limits.ALB_SOURCES.pathPattern}; ${limits.ALB_SOURCES.ruleCondition}`,
    adjustable: false,
    check: (json, shape) => [...ruleLimit("path-pattern-length")(json, shape), ...ruleLimit("path-pattern-characters")(json, shape)],
    bad: [
      change("aws_lb_listener_rule", [...RULE_CONDITION, 0, "path_pattern", "values"], [`/${"a".repeat(128)}`], "129 characters", rule10),
      change("aws_lb_listener_rule", [...RULE_CONDITION, 0, "path_pattern", "values"], ["*/%2e/*"], "a % in the pattern", rule10),
      change("aws_lb_listener_rule", [...RULE_CONDITION, 0, "path_pattern", "values"], ["/realms/a b/*"], "a space in the pattern", rule10),
    ],
  },
  {
    id: "alb-source-ip-values",
    resource: "aws_lb_listener_rule",
    rule: "a source-ip condition's values are IPv4 or IPv6 CIDRs, without wildcards",
    source: `${limits.ALB_SOURCES.ruleCondition} (SourceIpConditionConfig)`,
    adjustable: false,
    check: ruleLimit("source-ip"),
    bad: [
      change("aws_lb_listener_rule", [...RULE_CONDITION, 1, "source_ip", "values"], ["198.51.100.*"], "a wildcard address", { shape: ADMIN_SHAPE, pick: admins }),
      change("aws_lb_listener_rule", [...RULE_CONDITION, 1, "source_ip", "values"], ["198.51.100.0"], "an address without its prefix", { shape: ADMIN_SHAPE, pick: admins }),
    ],
  },
  {
    id: "alb-rules-per-load-balancer",
    resource: "aws_lb_listener_rule",
    rule: "at most 100 rules per load balancer, default rules not counted",
    source: `${limits.ALB_SOURCES.quotas} ("Rules per Application Load Balancer (excluding default rules)", adjustable; we assume the default)`,
    adjustable: true,
    check: perLoadBalancer("rules-per-load-balancer"),
    bad: [{ clause: "the rules copied 100 times", type: "aws_lb_listener_rule", path: [], copies: 100, to: (r: Res, i: number) => ({ ...r, priority: 1000 + i }) }],
  },
  {
    id: "alb-rule-priority",
    resource: "aws_lb_listener_rule",
    rule: "a rule's priority is an integer 1-50000, unique on its listener",
    source: limits.ALB_SOURCES.createRule,
    adjustable: false,
    check: perLoadBalancer("priority"),
    bad: [
      change("aws_lb_listener_rule", ["priority"], 0, "priority 0", rule10),
      change("aws_lb_listener_rule", ["priority"], 50001, "priority 50001", rule10),
      change("aws_lb_listener_rule", ["priority"], 10, "two rules with priority 10", { pick: named("rule-20") }),
    ],
  },
  {
    id: "alb-fixed-response",
    resource: "aws_lb_listener, aws_lb_listener_rule",
    rule: "a fixed response has a body of at most 1024 characters, content type text/plain, text/css, text/html, application/javascript or application/json, status 2XX, 4XX or 5XX",
    source: `${limits.ALB_SOURCES.fixedResponse} (the body limit is a length; whether AWS counts bytes is UNCONFIRMED)`,
    adjustable: false,
    check: fixedResponses,
    bad: [
      change("aws_lb_listener", ["default_action", 0, "fixed_response", "message_body"], "x".repeat(1025), "a 1025-character body", { pick: httpsListener }),
      change("aws_lb_listener", ["default_action", 0, "fixed_response", "content_type"], "text/xml", "content type text/xml", { pick: httpsListener }),
      change("aws_lb_listener_rule", ["action", 0, "fixed_response", "status_code"], "302", "status 302", rule10),
    ],
  },
  {
    id: "alb-target-group-name",
    resource: TG,
    rule: "a target group name is at most 32 letters, digits and hyphens, not beginning or ending with a hyphen",
    source: limits.ALB_SOURCES.createTargetGroup,
    adjustable: false,
    check: forEach(TG, (r) => nameProblem(String(r.name), false)),
    bad: [
      change(TG, ["name"], `${"k".repeat(30)}-kc`, "33 characters"),
      change(TG, ["name"], "keycloak_kc", "an underscore"),
      change(TG, ["name"], "keycloak-kc-", "a trailing hyphen"),
    ],
  },
  {
    id: "alb-name",
    resource: "aws_lb",
    rule: "a load balancer name is at most 32 letters, digits and hyphens, not beginning or ending with a hyphen, not beginning with internal-",
    source: limits.ALB_SOURCES.createLoadBalancer,
    adjustable: false,
    check: forEach("aws_lb", (r) => nameProblem(String(r.name), true)),
    bad: [
      change("aws_lb", ["name"], `${"k".repeat(29)}-alb`, "33 characters"),
      change("aws_lb", ["name"], "keycloak.alb", "a dot"),
      change("aws_lb", ["name"], "-keycloak-alb", "a leading hyphen"),
      change("aws_lb", ["name"], "internal-keycloak-alb", "begins with internal-"),
    ],
  },
  {
    id: "alb-health-check-interval-timeout",
    resource: TG,
    rule: "health check interval 5-300 s, timeout 2-120 s, and the interval longer than the timeout",
    source: `${limits.ALB_SOURCES.createTargetGroup}; interval over timeout: ${limits.ALB_SOURCES.intervalOverTimeout}`,
    adjustable: false,
    check: forEach(TG, (r) => {
      const { interval, timeout } = healthCheck(r);
      return (
        (outside(interval, limits.ALB_HEALTH_CHECK.intervalSeconds) && `health check interval ${interval} (5-300 s)`) ||
        (outside(timeout, limits.ALB_HEALTH_CHECK.timeoutSeconds) && `health check timeout ${timeout} (2-120 s)`) ||
        (Number(interval) <= Number(timeout) && `health check interval ${interval} s is not longer than its timeout ${timeout} s`)
      );
    }),
    bad: [
      ...hcCases("interval", [[4, "interval 4"], [301, "interval 301"]]),
      ...hcCases("timeout", [[1, "timeout 1"], [121, "timeout 121"], [TASK_LIFECYCLE.targetHealthCheck.intervalSeconds, `timeout equal to the interval (${TASK_LIFECYCLE.targetHealthCheck.intervalSeconds} s)`]]),
    ],
  },
  {
    id: "alb-health-check-thresholds",
    resource: TG,
    rule: "healthy and unhealthy thresholds 2-10 checks",
    source: limits.ALB_SOURCES.createTargetGroup,
    adjustable: false,
    check: forEach(TG, (r) =>
      ["healthy_threshold", "unhealthy_threshold"].filter((f) => outside(healthCheck(r)[f], limits.ALB_HEALTH_CHECK.threshold)).map((f) => `${f} ${healthCheck(r)[f]} (2-10)`).join("; "),
    ),
    bad: ["healthy", "unhealthy"].flatMap((kind) => hcCases(`${kind}_threshold`, [[1, `${kind} threshold 1`], [11, `${kind} threshold 11`]])),
  },
  {
    id: "alb-health-check-matcher",
    resource: TG,
    rule: "an HTTP health check matcher names HTTP codes 200-499: one, a comma list or a range",
    source: limits.ALB_SOURCES.matcher,
    adjustable: false,
    check: forEach(TG, (r) => matcherProblem(healthCheck(r).matcher)),
    bad: hcCases("matcher", [["199", "code 199"], ["200-500", "a range to 500"], ["2xx", "a pattern, not codes"]]),
  },
  {
    id: "alb-deregistration-delay",
    resource: TG,
    rule: "deregistration delay 0-3600 s",
    source: `${limits.ALB_SOURCES.targetGroupAttribute} (deregistration_delay.timeout_seconds)`,
    adjustable: false,
    check: forEach(TG, (r) => outside(r.deregistration_delay ?? 300, limits.ALB_DEREGISTRATION_DELAY_SECONDS) && `deregistration delay ${r.deregistration_delay} (0-3600 s)`),
    bad: [change(TG, ["deregistration_delay"], "-1", "-1 s"), change(TG, ["deregistration_delay"], "3601", "3601 s")],
  },
  {
    id: "alb-idle-timeout",
    resource: "aws_lb",
    rule: "idle timeout 1-4000 s",
    source: `${limits.ALB_SOURCES.loadBalancerAttribute} (idle_timeout.timeout_seconds)`,
    adjustable: false,
    check: forEach("aws_lb", (r) => outside(r.idle_timeout ?? 60, limits.ALB_IDLE_TIMEOUT_SECONDS) && `idle timeout ${r.idle_timeout} (1-4000 s)`),
    bad: [change("aws_lb", ["idle_timeout"], 0, "0 s"), change("aws_lb", ["idle_timeout"], 4001, "4001 s")],
  },
];
