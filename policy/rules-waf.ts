/** Policy rules on the WAF in front of the ALB (modules/edge/waf.ts; rules.ts lists them all). */
import type { TerraformJson } from "../modules/synth";
import { CLIENT_FORWARDING_HEADERS, RATE_LIMITED_PATHS, REDACTED_HEADERS } from "../modules/edge/waf";
import { WAF_LOG_PREFIX, WAF_MIN_RATE_LIMIT } from "../modules/edge/waf-limits";
import { REMOVED } from "./mutation";
import { change, each, type Res, type Rule, type Violation } from "./rule-kit";

/** The web ACL's rules as WAF receives them (rule_json); JSON that does not parse is an error, not "no rules". */
export function aclRules(acl: Res, resource: string): Res[] {
  try {
    return JSON.parse(String(acl.rule_json)) as Res[];
  } catch (error) {
    throw new Error(`${resource}: rule_json does not parse as JSON (${(error as Error).message}); the WAF rules cannot check it`);
  }
}

/** Violations for every web ACL where `bad` returns a message. */
const forEachAcl = (bad: (rules: Res[], acl: Res, resource: string, json: TerraformJson) => string | false) =>
  (json: TerraformJson): Violation[] =>
    each(json, "aws_wafv2_web_acl").flatMap(([resource, acl]) => {
      const message = bad(aclRules(acl, resource), acl, resource, json);
      return message ? [{ resource, message }] : [];
    });

function dig<T = unknown>(node: unknown, ...path: string[]): T | undefined {
  const found = path.reduce<unknown>((n, key) => (n !== null && typeof n === "object" ? (n as Res)[key] : undefined), node);
  return found as T | undefined;
}

/** The rate-based rule whose scope-down is the regex of `path`; undefined when there is none. */
const rateRuleFor = (rules: Res[], path: string) =>
  rules.find((r) => dig(r, "Statement", "RateBasedStatement", "ScopeDownStatement", "RegexMatchStatement", "RegexString") === path);

/** A mutation of one field of the named WAF rule inside rule_json (REMOVED deletes it). */
export const changeRule = (name: string, path: (string | number)[], to: unknown, clause: string) =>
  change("aws_wafv2_web_acl", ["rule_json"], (r: Res) => {
    const rules = JSON.parse(String(r.rule_json)) as Res[];
    let node: Res = rules.find((rule) => rule.Name === name)!;
    for (const key of path.slice(0, -1)) node = node[key] as Res;
    const last = path[path.length - 1];
    if (to === REMOVED) delete node[last];
    else node[last] = to;
    return JSON.stringify(rules);
  }, clause);

/** The web ACLs of this stack associated with the load balancer `resource` (`aws_lb.x`). */
function aclsOf(json: TerraformJson, resource: string): [string, Res][] {
  const arns = each(json, "aws_wafv2_web_acl_association").filter(([, a]) => a.resource_arn === `\${${resource}.arn}`).map(([, a]) => a.web_acl_arn);
  return each(json, "aws_wafv2_web_acl").filter(([name]) => arns.includes(`\${${name}.arn}`));
}

/** What is missing from AWS's managed baseline in these rules, or false. */
function baselineGap(rules: Res[]): string | false {
  for (const name of MANAGED) {
    const rule = rules.find((r) => dig(r, "Statement", "ManagedRuleGroupStatement", "Name") === name);
    if (!rule) return `${name} missing`;
    if (dig(rule, "OverrideAction", "None") === undefined) return `${name} does not block (override action ${JSON.stringify(rule.OverrideAction)})`;
    const overrides = dig<Res[]>(rule, "Statement", "ManagedRuleGroupStatement", "RuleActionOverrides") ?? [];
    const relaxed = overrides.filter((o) => o.Name !== "SizeRestrictions_BODY").map((o) => o.Name);
    if (relaxed.length > 0) return `${name} relaxes ${relaxed.join(", ")}`;
  }
  return false;
}

export const TOKEN_RULE = "token-rate-per-address";
export const LOGIN_RULE = "login-actions-rate-per-address";
export const HEADER_RULE = "client-forwarding-headers";
const MANAGED = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"];

export const WAF_RULES: readonly Rule[] = [
  {
    id: "WAF_ON_ALB",
    checkov: { id: "CKV2_AWS_28", source: "graph_checks/aws/ALBProtectedByWAF.yaml" },
    rationale: "The internet-facing ALB has a web ACL: managed rules, per-address limits on login and token, and the rule that keeps the client address unforgeable.",
    check: (json) =>
      each(json, "aws_lb").flatMap(([resource]) => (aclsOf(json, resource).length > 0 ? [] : [{ resource, message: "no web ACL of this stack associated with it" }])),
    bad: [
      change("aws_wafv2_web_acl_association", ["resource_arn"], "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/1", "the web ACL guards another load balancer"),
      change("aws_wafv2_web_acl_association", ["web_acl_arn"], "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/other/1", "an ACL from outside the stack"),
    ],
  },
  {
    id: "WAF_MANAGED_BASELINE",
    checkov: { id: "CKV2_AWS_76", source: "graph_checks/aws/ALBWebACLConfiguredWIthLog4jVulnerability.yaml" },
    rationale: "AWS's common rule set, known bad inputs (log4j and friends) and IP reputation list run in block mode; only the body-size rule is relaxed, and only for Keycloak's forms.",
    check: (json) =>
      each(json, "aws_lb").flatMap(([resource]) => {
        const acls = aclsOf(json, resource);
        const message = acls.length === 0 ? "no web ACL, so no managed rules" : acls.map(([name, acl]) => baselineGap(aclRules(acl, name))).find(Boolean);
        return message ? [{ resource, message }] : [];
      }),
    bad: [
      changeRule("AWSManagedRulesKnownBadInputsRuleSet", ["Statement", "ManagedRuleGroupStatement", "Name"], "AWSManagedRulesLinuxRuleSet", "known bad inputs replaced"),
      changeRule("AWSManagedRulesCommonRuleSet", ["OverrideAction"], { Count: {} }, "the common rule set only counts"),
      changeRule("AWSManagedRulesCommonRuleSet", ["Statement", "ManagedRuleGroupStatement", "RuleActionOverrides", 1], { Name: "CrossSiteScripting_BODY", ActionToUse: { Count: {} } }, "a second rule relaxed"),
    ],
  },
  {
    id: "WAF_RATE_LIMITS_BY_SOURCE_IP",
    rationale: "Token and login-actions requests are limited per address, keyed on the source IP WAF sees (never a forwarded header, which the client writes), within WAF's limits.",
    check: forEachAcl((rules) => {
      for (const [what, path] of Object.entries(RATE_LIMITED_PATHS)) {
        const rule = rateRuleFor(rules, path);
        if (!rule) return `no rate-based rule on ${what} (${path})`;
        const statement = dig<Res>(rule, "Statement", "RateBasedStatement")!;
        if (statement.AggregateKeyType !== "IP") return `${what} limit keyed on ${statement.AggregateKeyType}, not the source IP`;
        if (statement.ForwardedIPConfig !== undefined || statement.CustomKeys !== undefined) return `${what} limit reads a forwarded header or custom keys`;
        if (!(Number(statement.Limit) >= WAF_MIN_RATE_LIMIT)) return `${what} limit ${statement.Limit} below WAF's minimum ${WAF_MIN_RATE_LIMIT}`;
        if (dig(rule, "Action", "Block") === undefined) return `${what} limit does not block`;
      }
      return false;
    }),
    bad: [
      changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "AggregateKeyType"], "FORWARDED_IP", "token limit keyed on X-Forwarded-For"),
      changeRule(LOGIN_RULE, ["Statement", "RateBasedStatement", "ForwardedIPConfig"], { HeaderName: "X-Forwarded-For", FallbackBehavior: "MATCH" }, "login limit reading a forwarded header"),
      changeRule(LOGIN_RULE, ["Statement", "RateBasedStatement", "ScopeDownStatement", "RegexMatchStatement", "RegexString"], "^/realms/[^/]+/account", "login limit on another path"),
      changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "Limit"], 5, "a limit WAF refuses"),
      changeRule(TOKEN_RULE, ["Action"], { Count: {} }, "token limit only counts"),
      changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "CustomKeys"], [{ Header: { Name: "x-client", TextTransformations: [{ Priority: 0, Type: "NONE" }] } }], "token limit keyed on a header the client writes"),
    ],
    accepts: [changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "Limit"], WAF_MIN_RATE_LIMIT, "the limit is WAF's minimum")],
  },
  {
    id: "WAF_REFUSES_CLIENT_FORWARDING_HEADERS",
    rationale: "Keycloak records the leftmost X-Forwarded-For entry; requests that bring their own forwarding headers are blocked before anything else, so the only entry is the ALB's.",
    check: forEachAcl((rules) => {
      const first = [...rules].sort((a, b) => Number(a.Priority) - Number(b.Priority))[0];
      const match = dig<Res>(first, "Statement", "RegexMatchStatement");
      if (first?.Name !== HEADER_RULE || match === undefined) return `the first rule is ${first?.Name}, not ${HEADER_RULE}`;
      if (dig(first, "Action", "Block") === undefined) return `${HEADER_RULE} does not block`;
      const included = dig<string[]>(match, "FieldToMatch", "Headers", "MatchPattern", "IncludedHeaders") ?? [];
      const missing = CLIENT_FORWARDING_HEADERS.filter((h) => !included.includes(h) || !new RegExp(String(match.RegexString)).test(h));
      if (missing.length > 0) return `${HEADER_RULE} does not catch ${missing.join(", ")}`;
      if (dig(match, "FieldToMatch", "Headers", "MatchScope") !== "KEY") return `${HEADER_RULE} does not look at header names`;
      return false;
    }),
    bad: [
      changeRule(HEADER_RULE, ["Priority"], 100, "evaluated after the rate limits"),
      changeRule(HEADER_RULE, ["Action"], { Count: {} }, "only counted"),
      changeRule(HEADER_RULE, ["Statement", "RegexMatchStatement", "FieldToMatch", "Headers", "MatchPattern", "IncludedHeaders"], ["forwarded"], "X-Forwarded-For no longer inspected"),
      changeRule(HEADER_RULE, ["Statement", "RegexMatchStatement", "FieldToMatch", "Headers", "MatchScope"], "VALUE", "header values instead of names"),
      changeRule(HEADER_RULE, ["Statement", "RegexMatchStatement", "RegexString"], "^x-forwarded-host$", "a regex that misses X-Forwarded-For"),
    ],
  },
  {
    id: "WAF_LOGGING",
    checkov: { id: "CKV2_AWS_31", source: "graph_checks/aws/WAF2HasLogs.yaml" },
    rationale: "Every web ACL logs what it blocks to a CloudWatch log group WAF accepts (aws-waf-logs-*) with a retention, the Authorization and Cookie headers redacted.",
    check: forEachAcl((_rules, _acl, resource, json) => {
      const config = each(json, "aws_wafv2_web_acl_logging_configuration").find(([, c]) => c.resource_arn === `\${${resource}.arn}`)?.[1];
      if (!config) return "no logging configuration";
      const groups = each(json, "aws_cloudwatch_log_group");
      const destinations = (config.log_destination_configs as string[] | undefined) ?? [];
      const group = groups.find(([name]) => destinations.includes(`\${${name}.arn}`))?.[1];
      if (!group) return "logs to no log group of this stack";
      if (!String(group.name).startsWith(WAF_LOG_PREFIX)) return `log group ${group.name} does not start with ${WAF_LOG_PREFIX} (WAF refuses it)`;
      const redacted = ((config.redacted_fields as Res[] | undefined) ?? []).map((f) => String(dig(f, "single_header", "name")).toLowerCase());
      const shown = REDACTED_HEADERS.filter((h) => !redacted.includes(h));
      return shown.length > 0 && `logs the ${shown.join(", ")} header`;
    }),
    bad: [
      change("aws_wafv2_web_acl_logging_configuration", ["resource_arn"], "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/other/1", "logging of another ACL"),
      change("aws_wafv2_web_acl_logging_configuration", ["redacted_fields"], [{ single_header: { name: "cookie" } }], "the Authorization header logged"),
      change("aws_cloudwatch_log_group", ["name"], "keycloak-waf", "a log group name WAF refuses", { pick: (r) => String(r.name).startsWith(WAF_LOG_PREFIX) }),
    ],
  },
];
