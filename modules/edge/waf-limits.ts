/**
 * AWS WAF's documented limits, each defined once with its AWS source. The web ACL is built within
 * them (waf.ts), the configuration refuses settings outside them (wafTokenRateLimit,
 * wafLoginActionsRateLimit), and the AWS rules table checks every synthesized shape against them
 * (policy/aws-rules/waf.ts). `terraform plan` checks none of them: WAF refuses at apply.
 */
import { constant } from "../shared/constant";

/** Where each limit is written down. */
export const WAF_SOURCES = constant({
  createWebAcl: "WAFV2 API Reference, CreateWebACL (Name, Description, Scope): https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
  rule: "WAFV2 API Reference, Rule (Name, Priority, Action or OverrideAction): https://docs.aws.amazon.com/waf/latest/APIReference/API_Rule.html",
  visibility: "WAFV2 API Reference, VisibilityConfig (MetricName): https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html",
  rateBased: "WAFV2 API Reference, RateBasedStatement: https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html",
  rateSettings: "Rate-based rule high-level settings in AWS WAF (lowest limit 10, windows 60, 120, 300, 600): https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html",
  rateWcu: "Using rate-based rule statements in AWS WAF (2 WCUs, 30 per custom key, plus the scope-down): https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html",
  matchWcu: "Using match rule statements in AWS WAF (regex 3, label 1, 10 per text transformation): https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-match.html",
  capacity: "Web ACL capacity units (WCUs) in AWS WAF (1,500 in the base price): https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html",
  baselineGroups: "AWS Managed Rules, baseline rule groups (core rule set 700 WCU, known bad inputs 200 WCU): https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html",
  ipReputationGroups: "AWS Managed Rules, IP reputation rule groups (Amazon IP reputation list 25 WCU): https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html",
  regexMatch: "WAFV2 API Reference, RegexMatchStatement (RegexString 1-512): https://docs.aws.amazon.com/waf/latest/APIReference/API_RegexMatchStatement.html",
  labelMatch: "WAFV2 API Reference, LabelMatchStatement (Key, Scope): https://docs.aws.amazon.com/waf/latest/APIReference/API_LabelMatchStatement.html",
  loggingDestination: "AWS WAF developer guide, sending logs to a CloudWatch Logs log group (name starts with aws-waf-logs-): https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
  loggingConfiguration: "WAFV2 API Reference, LoggingConfiguration (LoggingFilter, RedactedFields): https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html",
  associate: "WAFV2 API Reference, AssociateWebACL (an ALB takes a REGIONAL web ACL of its own Region): https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html",
});

/** Smallest rate-based limit (rateSettings; lowered from 100 on 2024-08-30). */
export const WAF_MIN_RATE_LIMIT = 10;
/** Largest rate-based limit (rateBased: Limit's valid range; UNCONFIRMED by a fetched copy of the page). */
export const WAF_MAX_RATE_LIMIT = 2_000_000_000;
/** Evaluation windows of a rate-based rule, in seconds (rateSettings). */
export const WAF_RATE_WINDOWS = constant([60, 120, 300, 600]);
/** WAF only delivers logs to a CloudWatch log group whose name starts with this (loggingDestination). */
export const WAF_LOG_PREFIX = "aws-waf-logs-";

/** Web ACL, rule and managed rule group names (createWebAcl, rule): 1-128 of A-Z a-z 0-9 _ -. */
export const WAF_NAME = constant({ maxLength: 128, characters: /^[\w-]+$/ });
/** Web ACL description (createWebAcl). */
export const WAF_DESCRIPTION = constant({ maxLength: 256, pattern: /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/ });
/**
 * CloudWatch metric names of the web ACL and its rules (visibility): the prose says 1-128 of
 * A-Z a-z 0-9 - _ and none of WAF's reserved names; the API pattern is looser (255, # : . /). We
 * take the prose, the stricter of the two.
 */
export const WAF_METRIC_NAME = constant({ maxLength: 128, characters: /^[\w-]+$/, reserved: ["All", "Default_Action"] });
/** A regex match statement's regex (regexMatch). */
export const WAF_REGEX_MAX_LENGTH = 512;
/** A label match statement's key and scope (labelMatch): components separated by colons. */
export const WAF_LABEL_MATCH = constant({ maxLength: 1024, characters: /^[0-9A-Za-z_\-:]+$/, scopes: ["LABEL", "NAMESPACE"] });
/** The scope a web ACL on an Application Load Balancer has (associate). */
export const WAF_ALB_SCOPE = "REGIONAL";
/** Logging filter values (loggingConfiguration). */
export const WAF_LOGGING_FILTER = constant({
  behaviors: ["KEEP", "DROP"],
  requirements: ["MEETS_ALL", "MEETS_ANY"],
  actions: ["ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"],
  maxRedactedFields: 100,
});

/**
 * WCUs of a web ACL in the base price (capacity). AWS now lets a web ACL reach 5,000 at extra
 * cost per request; our stack stays within the base price, and the table holds it there.
 */
export const WAF_WEB_ACL_CAPACITY = 1500;
/** Published capacities of the managed rule groups we use (baselineGroups, ipReputationGroups). */
export const MANAGED_RULE_GROUP_WCU: Readonly<Record<string, number>> = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
};
/** Statement costs (matchWcu, rateWcu). */
export const WAF_WCU = constant({ regex: 3, label: 1, perTextTransformation: 10, allQueryArguments: 10, rateBase: 2, perCustomKey: 30 });

type Json = Record<string, unknown>;
type Cost = { wcu: number; unknown: string[] };

const sum = (costs: Cost[]): Cost => costs.reduce((a, b) => ({ wcu: a.wcu + b.wcu, unknown: [...a.unknown, ...b.unknown] }), { wcu: 0, unknown: [] });

/**
 * WCUs of one statement by AWS's published costs; `unknown` names what the table cannot price
 * (a statement type or managed group it has no cost for), so it is never silently counted as 0.
 * Every text transformation counts, NONE too: whether AWS charges for NONE is not written down,
 * and the upper bound keeps the sum no kinder than AWS.
 */
export function statementWcu(statement: Json): Cost {
  const [[kind, body]] = Object.entries(statement) as [[string, Json]];
  switch (kind) {
    case "ManagedRuleGroupStatement": {
      const wcu = MANAGED_RULE_GROUP_WCU[String(body.Name)];
      return wcu === undefined ? { wcu: 0, unknown: [`managed rule group ${String(body.Name)}`] } : { wcu, unknown: [] };
    }
    case "RateBasedStatement": {
      const scope = body.ScopeDownStatement ? statementWcu(body.ScopeDownStatement as Json) : sum([]);
      return { wcu: WAF_WCU.rateBase + WAF_WCU.perCustomKey * ((body.CustomKeys as unknown[] | undefined)?.length ?? 0) + scope.wcu, unknown: scope.unknown };
    }
    case "RegexMatchStatement": {
      const field = (body.FieldToMatch as Json | undefined) ?? {};
      const base = "JsonBody" in field ? 2 * WAF_WCU.regex : WAF_WCU.regex;
      const all = "AllQueryArguments" in field ? WAF_WCU.allQueryArguments : 0;
      return { wcu: base + all + WAF_WCU.perTextTransformation * ((body.TextTransformations as unknown[] | undefined)?.length ?? 0), unknown: [] };
    }
    case "LabelMatchStatement":
      return { wcu: WAF_WCU.label, unknown: [] };
    // Logical statements cost what the statements inside them cost.
    case "AndStatement":
    case "OrStatement":
      return sum((body.Statements as Json[]).map(statementWcu));
    case "NotStatement":
      return statementWcu(body.Statement as Json);
    default:
      return { wcu: 0, unknown: [kind] };
  }
}

/** WCUs of a web ACL's rules (the API's JSON), and what could not be priced. */
export function webAclCapacity(rules: readonly Json[]): Cost {
  return sum(rules.map((r) => statementWcu(r.Statement as Json)));
}
