/**
 * The AWS rules of the web ACL in front of the ALB (modules/edge/waf.ts): names, metric names,
 * rule priorities and actions, rate-based limits and windows, regexes, the web ACL's capacity,
 * its scope and its logging. The limits live in modules/edge/waf-limits.ts; these rows check
 * every synthesized shape against them (a shape without WAF has nothing to check).
 */
import type { TerraformJson } from "../../modules/synth";
import {
  MANAGED_RULE_GROUP_WCU,
  WAF_ALB_SCOPE,
  WAF_DESCRIPTION,
  WAF_LABEL_MATCH,
  WAF_LOG_PREFIX,
  WAF_LOGGING_FILTER,
  WAF_MAX_RATE_LIMIT,
  WAF_METRIC_NAME,
  WAF_MIN_RATE_LIMIT,
  WAF_NAME,
  WAF_RATE_WINDOWS,
  WAF_REGEX_MAX_LENGTH,
  WAF_SOURCES,
  WAF_WEB_ACL_CAPACITY,
  webAclCapacity,
} from "../../modules/edge/waf-limits";
import { aclRules, changeRule, HEADER_RULE, LOGIN_RULE, TOKEN_RULE } from "../rules-waf";
import { change, each, forEach, nameOf, type AwsRule, type Res, type Violation } from "./kit";

const ACL = "aws_wafv2_web_acl";
const LOGGING = "aws_wafv2_web_acl_logging_configuration";
const COMMON = "AWSManagedRulesCommonRuleSet";
const LARGE_BODY_RULE = "large-body-outside-keycloak-forms";
const LABEL_MATCH = ["Statement", "AndStatement", "Statements", 0, "LabelMatchStatement"];

/** Violations for every web ACL where `bad(rules, acl)` returns a message. */
const forEachAcl = (bad: (rules: Res[], acl: Res) => string | false | undefined) =>
  forEach(ACL, (acl, _shape, resource) => bad(aclRules(acl, resource), acl));

/** Every statement of a rule, nested ones included. */
function statements(statement: Res): [string, Res][] {
  return Object.entries(statement).flatMap(([kind, body]) => {
    const b = body as Res;
    const inner = [b.ScopeDownStatement, b.Statement, ...((b.Statements as Res[] | undefined) ?? [])].filter((s): s is Res => s !== undefined);
    return [[kind, b] as [string, Res], ...inner.flatMap(statements)];
  });
}
const ofKind = (rules: Res[], kind: string) => rules.flatMap((r) => statements(r.Statement as Res).filter(([k]) => k === kind).map(([, b]) => [r, b] as const));

const nameProblem = (what: string, name: string) =>
  (name.length < 1 || name.length > WAF_NAME.maxLength ? `${what} "${name}" is ${name.length} characters (1-${WAF_NAME.maxLength})` : undefined) ??
  (!WAF_NAME.characters.test(name) ? `${what} "${name}" holds a character other than A-Z a-z 0-9 _ -` : undefined);

function metricProblem(what: string, metric: unknown): string | undefined {
  const m = String(metric ?? "");
  if (m.length < 1 || m.length > WAF_METRIC_NAME.maxLength) return `${what} metric name "${m}" is ${m.length} characters (1-${WAF_METRIC_NAME.maxLength})`;
  if (!WAF_METRIC_NAME.characters.test(m)) return `${what} metric name "${m}" holds a character other than A-Z a-z 0-9 _ -`;
  return (WAF_METRIC_NAME.reserved as readonly string[]).includes(m) ? `${what} metric name "${m}" is reserved by WAF` : undefined;
}

/** A rule added to rule_json. */
const addRule = (rule: Res, clause: string) =>
  change(ACL, ["rule_json"], (r: Res) => JSON.stringify([...(JSON.parse(String(r.rule_json)) as Res[]), rule]), clause);
const managedRule = (group: string, name: string, priority: number) => ({
  Name: name, Priority: priority, OverrideAction: { None: {} },
  Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: group } },
  VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name },
});

/** The log groups a logging configuration writes to, by name; a literal ARN gives its name too. */
function destinations(json: TerraformJson, config: Res): string[] {
  return ((config.log_destination_configs ?? []) as string[]).map((d) => {
    const group = each(json, "aws_cloudwatch_log_group").find(([name]) => d === `\${${name}.arn}`);
    return group ? (nameOf(group[1]) ?? d) : (/:log-group:([^:]+)/.exec(d)?.[1] ?? d);
  });
}

function loggingFilterProblem(config: Res): string | undefined {
  const filter = config.logging_filter as Res | undefined;
  const redacted = ((config.redacted_fields ?? []) as unknown[]).length;
  if (redacted > WAF_LOGGING_FILTER.maxRedactedFields) return `${redacted} redacted fields (at most ${WAF_LOGGING_FILTER.maxRedactedFields})`;
  if (filter === undefined) return undefined;
  const filters = (filter.filter ?? []) as Res[];
  const behaviors = [filter.default_behavior, ...filters.map((f) => f.behavior)].filter((b) => !(WAF_LOGGING_FILTER.behaviors as readonly unknown[]).includes(b));
  if (behaviors.length > 0) return `behavior ${behaviors.join(", ")} (${WAF_LOGGING_FILTER.behaviors.join(" or ")})`;
  const requirements = filters.map((f) => f.requirement).filter((r) => !(WAF_LOGGING_FILTER.requirements as readonly unknown[]).includes(r));
  if (requirements.length > 0) return `requirement ${requirements.join(", ")} (${WAF_LOGGING_FILTER.requirements.join(" or ")})`;
  const actions = filters
    .flatMap((f) => (f.condition ?? []) as Res[])
    .flatMap((c) => (c.action_condition ? [(c.action_condition as Res).action] : []))
    .filter((a) => !(WAF_LOGGING_FILTER.actions as readonly unknown[]).includes(a));
  return actions.length > 0 ? `action condition ${actions.join(", ")} (${WAF_LOGGING_FILTER.actions.join(", ")})` : undefined;
}

export const WAF_AWS_RULES: readonly AwsRule[] = [
  {
    id: "waf-web-acl-name-and-description",
    resource: `${ACL}.name, description`,
    rule: `name 1-${WAF_NAME.maxLength} characters of A-Z a-z 0-9 _ -; description at most ${WAF_DESCRIPTION.maxLength} characters of letters, digits, whitespace and + = : # @ / - , . _, not starting or ending with whitespace`,
    source: WAF_SOURCES.createWebAcl,
    adjustable: false,
    check: forEach(ACL, (acl) => {
      const description = acl.description === undefined ? undefined : String(acl.description);
      return (
        nameProblem("name", nameOf(acl) ?? "") ??
        (description !== undefined && (description.length > WAF_DESCRIPTION.maxLength || !WAF_DESCRIPTION.pattern.test(description))
          ? `description of ${description.length} characters outside ${WAF_DESCRIPTION.pattern}`
          : undefined)
      );
    }),
    bad: [
      change(ACL, ["name"], `${"k".repeat(120)}-keycloak`, "a 129-character name"),
      change(ACL, ["name"], "keycloak.test-keycloak", "a dot in the name"),
      change(ACL, ["description"], "x".repeat(257), "a 257-character description"),
      change(ACL, ["description"], "Keycloak ALB (managed baseline)", "parentheses in the description"),
    ],
  },
  {
    id: "waf-rule-names",
    resource: `${ACL}.rule_json: Rule.Name`,
    rule: `a rule name is 1-${WAF_NAME.maxLength} characters of A-Z a-z 0-9 _ -`,
    source: WAF_SOURCES.rule,
    adjustable: false,
    check: forEachAcl((rules) => rules.map((r) => nameProblem("rule", String(r.Name ?? ""))).find(Boolean)),
    bad: [changeRule(HEADER_RULE, ["Name"], "client forwarding headers", "spaces in a rule name"), changeRule(TOKEN_RULE, ["Name"], "t".repeat(129), "a 129-character rule name")],
  },
  {
    id: "waf-metric-names",
    resource: `${ACL}.visibility_config.metric_name, rule_json: Rule.VisibilityConfig.MetricName`,
    rule: `CloudWatch metric names of the web ACL and each rule: 1-${WAF_METRIC_NAME.maxLength} characters of A-Z a-z 0-9 _ -, none of WAF's reserved ${WAF_METRIC_NAME.reserved.join(", ")}`,
    source: WAF_SOURCES.visibility,
    adjustable: false,
    check: forEachAcl(
      (rules, acl) =>
        metricProblem("web ACL", (acl.visibility_config as Res | undefined)?.metric_name) ??
        rules.map((r) => metricProblem(`rule ${String(r.Name)}`, (r.VisibilityConfig as Res | undefined)?.MetricName)).find(Boolean),
    ),
    bad: [
      change(ACL, ["visibility_config", "metric_name"], "k".repeat(129), "a 129-character web ACL metric name"),
      changeRule(LOGIN_RULE, ["VisibilityConfig", "MetricName"], "All", "the reserved metric name All"),
      changeRule(TOKEN_RULE, ["VisibilityConfig", "MetricName"], "token rate", "a space in a metric name"),
    ],
  },
  {
    id: "waf-rule-priorities",
    resource: `${ACL}.rule_json: Rule.Priority`,
    rule: "each rule's priority is an integer of at least 0, different from every other rule's in the web ACL",
    source: WAF_SOURCES.rule,
    adjustable: false,
    check: forEachAcl((rules) => {
      const priorities = rules.map((r) => r.Priority);
      const bad = priorities.find((p) => !Number.isInteger(p) || Number(p) < 0);
      if (bad !== undefined) return `priority ${String(bad)}`;
      const twice = priorities.find((p, i) => priorities.indexOf(p) !== i);
      return twice !== undefined && `priority ${String(twice)} used twice`;
    }),
    bad: [changeRule(LOGIN_RULE, ["Priority"], 20, "the login and token limits both at priority 20"), changeRule(HEADER_RULE, ["Priority"], -1, "priority -1")],
  },
  {
    id: "waf-rule-action",
    resource: `${ACL}.rule_json: Rule.Action, OverrideAction`,
    rule: "a rule that references a rule group has an OverrideAction and no Action; every other rule has an Action and no OverrideAction",
    source: WAF_SOURCES.rule,
    adjustable: false,
    check: forEachAcl((rules) =>
      rules
        .map((r) => {
          const group = "ManagedRuleGroupStatement" in (r.Statement as Res) || "RuleGroupReferenceStatement" in (r.Statement as Res);
          const [has, lacks] = group ? ["OverrideAction", "Action"] : ["Action", "OverrideAction"];
          return r[has] === undefined || r[lacks] !== undefined ? `rule ${String(r.Name)} needs ${has} and no ${lacks}` : undefined;
        })
        .find(Boolean),
    ),
    bad: [changeRule(COMMON, ["Action"], { Block: {} }, "an Action on a managed rule group"), changeRule(HEADER_RULE, ["OverrideAction"], { None: {} }, "an OverrideAction on a rule of ours")],
  },
  {
    id: "waf-rate-limit",
    resource: `${ACL}.rule_json: RateBasedStatement.Limit (wafTokenRateLimit, wafLoginActionsRateLimit)`,
    rule: `a rate-based rule's limit is an integer from ${WAF_MIN_RATE_LIMIT} to ${WAF_MAX_RATE_LIMIT} requests per window; the configuration refuses a limit outside`,
    source: `${WAF_SOURCES.rateSettings}; ${WAF_SOURCES.rateBased}`,
    adjustable: false,
    check: forEachAcl((rules) =>
      ofKind(rules, "RateBasedStatement")
        .map(([r, s]) => (!Number.isInteger(s.Limit) || Number(s.Limit) < WAF_MIN_RATE_LIMIT || Number(s.Limit) > WAF_MAX_RATE_LIMIT) && `rule ${String(r.Name)}: limit ${String(s.Limit)}`)
        .find(Boolean),
    ),
    bad: [
      changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "Limit"], WAF_MIN_RATE_LIMIT - 1, "a limit of 9"),
      changeRule(LOGIN_RULE, ["Statement", "RateBasedStatement", "Limit"], WAF_MAX_RATE_LIMIT + 1, "a limit of 2000000001"),
    ],
  },
  {
    id: "waf-rate-window",
    resource: `${ACL}.rule_json: RateBasedStatement.EvaluationWindowSec`,
    rule: `a rate-based rule's evaluation window is ${WAF_RATE_WINDOWS.join(", ")} seconds (300 when absent)`,
    source: WAF_SOURCES.rateSettings,
    adjustable: false,
    check: forEachAcl((rules) =>
      ofKind(rules, "RateBasedStatement")
        .map(([r, s]) => !(WAF_RATE_WINDOWS as readonly unknown[]).includes(s.EvaluationWindowSec ?? 300) && `rule ${String(r.Name)}: window ${String(s.EvaluationWindowSec)} s`)
        .find(Boolean),
    ),
    bad: [changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "EvaluationWindowSec"], 180, "a 180 s window")],
  },
  {
    id: "waf-regex-length",
    resource: `${ACL}.rule_json: RegexMatchStatement.RegexString`,
    rule: `a regex match statement's regex is 1-${WAF_REGEX_MAX_LENGTH} characters, nested statements included`,
    source: WAF_SOURCES.regexMatch,
    adjustable: false,
    check: forEachAcl((rules) =>
      ofKind(rules, "RegexMatchStatement")
        .map(([r, s]) => {
          const length = String(s.RegexString ?? "").length;
          return (length < 1 || length > WAF_REGEX_MAX_LENGTH) && `rule ${String(r.Name)}: a regex of ${length} characters`;
        })
        .find(Boolean),
    ),
    bad: [
      changeRule(HEADER_RULE, ["Statement", "RegexMatchStatement", "RegexString"], "f".repeat(513), "a 513-character regex"),
      changeRule(TOKEN_RULE, ["Statement", "RateBasedStatement", "ScopeDownStatement", "RegexMatchStatement", "RegexString"], "", "an empty scope-down regex"),
    ],
  },
  {
    id: "waf-label-match",
    resource: `${ACL}.rule_json: LabelMatchStatement.Key, Scope`,
    rule: `a label match's key is 1-${WAF_LABEL_MATCH.maxLength} characters of A-Z a-z 0-9 _ - :, its scope ${WAF_LABEL_MATCH.scopes.join(" or ")}, nested statements included`,
    source: WAF_SOURCES.labelMatch,
    adjustable: false,
    check: forEachAcl((rules) =>
      ofKind(rules, "LabelMatchStatement")
        .map(([r, s]) => {
          const key = String(s.Key ?? "");
          if (key.length < 1 || key.length > WAF_LABEL_MATCH.maxLength || !WAF_LABEL_MATCH.characters.test(key)) return `rule ${String(r.Name)}: label key "${key}"`;
          return !(WAF_LABEL_MATCH.scopes as readonly unknown[]).includes(s.Scope) && `rule ${String(r.Name)}: label scope ${String(s.Scope)}`;
        })
        .find(Boolean),
    ),
    bad: [
      changeRule(LARGE_BODY_RULE, [...LABEL_MATCH, "Key"], "awswaf:managed:aws:core-rule-set:SizeRestrictions Body", "a space in the label key"),
      changeRule(LARGE_BODY_RULE, [...LABEL_MATCH, "Scope"], "PREFIX", "scope PREFIX"),
    ],
  },
  {
    id: "waf-web-acl-capacity",
    resource: `${ACL}.rule_json`,
    rule: `the rules' capacity is at most ${WAF_WEB_ACL_CAPACITY} WCUs (managed groups at their published capacity: ${Object.entries(MANAGED_RULE_GROUP_WCU).map(([g, w]) => `${g} ${w}`).join(", ")}; rate-based 2 plus the scope-down; regex 3 plus 10 per text transformation; label 1), and every rule is one the table can price`,
    source: `${WAF_SOURCES.capacity}; ${WAF_SOURCES.baselineGroups}; ${WAF_SOURCES.ipReputationGroups}; ${WAF_SOURCES.rateWcu}; ${WAF_SOURCES.matchWcu}`,
    adjustable: false,
    check: forEachAcl((rules) => {
      const { wcu, unknown } = webAclCapacity(rules);
      if (unknown.length > 0) return `no published capacity for ${unknown.join(", ")}`;
      return wcu > WAF_WEB_ACL_CAPACITY && `${wcu} WCUs`;
    }),
    bad: [
      addRule(managedRule(COMMON, "common-rule-set-again", 70), "the common rule set twice"),
      addRule(managedRule("AWSManagedRulesBotControlRuleSet", "bot-control", 70), "a managed group the table has no capacity for"),
    ],
  },
  {
    id: "waf-scope",
    resource: `${ACL}.scope, aws_wafv2_web_acl_association`,
    rule: `a web ACL associated with an Application Load Balancer has scope ${WAF_ALB_SCOPE}`,
    source: `${WAF_SOURCES.associate}; ${WAF_SOURCES.createWebAcl}`,
    adjustable: false,
    check: (json) =>
      each(json, "aws_wafv2_web_acl_association")
        .filter(([, a]) => /^\$\{aws_lb\./.test(String(a.resource_arn)))
        .flatMap(([, a]) => each(json, ACL).filter(([name]) => a.web_acl_arn === `\${${name}.arn}`))
        .flatMap(([resource, acl]) => (acl.scope === WAF_ALB_SCOPE ? [] : [{ resource, message: `scope ${String(acl.scope)} on an ALB` }])),
    bad: [change(ACL, ["scope"], "CLOUDFRONT", "scope CLOUDFRONT")],
  },
  {
    id: "waf-log-destination",
    resource: `${LOGGING}.log_destination_configs`,
    rule: `exactly one destination; a CloudWatch Logs destination is a log group whose name starts with ${WAF_LOG_PREFIX}`,
    source: `${WAF_SOURCES.loggingDestination}; ${WAF_SOURCES.loggingConfiguration}`,
    adjustable: false,
    check: (json): Violation[] =>
      each(json, LOGGING).flatMap(([resource, config]) => {
        const names = destinations(json, config);
        const message =
          names.length !== 1 ? `${names.length} destinations (exactly 1)` : names.filter((n) => !n.startsWith(WAF_LOG_PREFIX)).map((n) => `log group ${n} does not start with ${WAF_LOG_PREFIX}`)[0];
        return message ? [{ resource, message }] : [];
      }),
    bad: [
      change("aws_cloudwatch_log_group", ["name"], "keycloak-waf", "a log group not named aws-waf-logs-*", { pick: (r) => String(r.name).startsWith(WAF_LOG_PREFIX) }),
      change(LOGGING, ["log_destination_configs"], (r: Res) => [...(r.log_destination_configs as string[]), "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-other"], "two destinations"),
    ],
  },
  {
    id: "waf-logging-filter",
    resource: `${LOGGING}.logging_filter, redacted_fields`,
    rule: `filter behaviors ${WAF_LOGGING_FILTER.behaviors.join("/")}, requirements ${WAF_LOGGING_FILTER.requirements.join("/")}, action conditions ${WAF_LOGGING_FILTER.actions.join("/")}; at most ${WAF_LOGGING_FILTER.maxRedactedFields} redacted fields`,
    source: WAF_SOURCES.loggingConfiguration,
    adjustable: false,
    check: forEach(LOGGING, loggingFilterProblem),
    bad: [
      change(LOGGING, ["logging_filter", "default_behavior"], "drop", "behavior drop in lowercase"),
      change(LOGGING, ["logging_filter", "filter", 0, "requirement"], "MEETS_SOME", "requirement MEETS_SOME"),
      change(LOGGING, ["logging_filter", "filter", 0, "condition", 0, "action_condition", "action"], "BLOCKED", "action BLOCKED"),
      change(LOGGING, ["redacted_fields"], Array.from({ length: 101 }, (_, i) => ({ single_header: { name: `h${i}` } })), "101 redacted fields"),
    ],
  },
];
