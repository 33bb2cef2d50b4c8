/**
 * AWS WAF in front of the ALB: a regional web ACL with AWS's managed baseline, a rule that makes
 * the client's address unforgeable, per-address rate limits on the login and token endpoints, and
 * logging of what it blocks or counts.
 *
 * Client address. The ALB appends the real peer to X-Forwarded-For; Keycloak 26.7.3 (Quarkus
 * 3.33.3.1's ForwardedParser) takes the LEFTMOST entry, which the client writes. Neither Keycloak
 * nor the ALB can pick the rightmost (xff mode is append|preserve|remove; Quarkus' hop count is
 * not in this version). WAF sees the request as the client sent it, before the ALB appends, so
 * blocking requests that already carry a forwarding header leaves the ALB's entry as the only
 * one: leftmost = rightmost = the real peer. `proxy-trusted-addresses` (the public subnets, where
 * the ALB's nodes live) keeps anyone who reaches a task directly from being believed at all.
 * Rejected: an nginx sidecar rewriting XFF (a second container per task to patch and size);
 * xff mode `remove` (Keycloak would record the ALB node, not the client); an NLB with the PROXY
 * protocol (loses the listener rules that close the admin plane).
 *
 * Rate limits are keyed on the source IP WAF sees (aggregate key IP), never on a forwarded
 * header, which the client controls. They cover every realm: WAF runs before the listener rules,
 * and a realm the listener does not forward answers the ALB's 404 anyway.
 *
 * The rules are the WAF API's own JSON (`rule_json`), so tests and the e2e stand read exactly
 * what AWS receives.
 */
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { KEYCLOAK_FIGURES } from "../service/capacity-figures";
import { WAF_ALB_SCOPE, WAF_LOG_PREFIX, WAF_MIN_RATE_LIMIT } from "./waf-limits";
import { constant } from "../shared/constant";

/** Our window: five minutes smooths a browser's burst of retries without forgetting a stuffer. */
export const RATE_WINDOW_SECONDS = 300;
/**
 * Keycloak's sizing guide (keycloak.org, "Concepts for sizing CPU and memory resources"): one
 * vCPU serves 15 password-based logins a second, or 120 client-credentials or refresh-token
 * requests a second (the figures live in modules/service/capacity-figures.ts).
 */
export const KEYCLOAK_PER_VCPU_PER_SECOND = constant({
  logins: Math.round(1000 / KEYCLOAK_FIGURES.passwordLoginCpuMs.value),
  tokenRequests: Math.round(1000 / KEYCLOAK_FIGURES.clientCredentialsCpuMs.value),
});
/** What one address may take by default: a twentieth of one vCPU, whatever the cluster's size. */
export const ADDRESS_SHARE_OF_ONE_VCPU = 1 / 20;

/**
 * Default limit per address and window: the address's share of one vCPU's throughput over the
 * window, never below WAF's minimum. Logins: 15 x 1/20 x 300 = 225; tokens: 120 x 1/20 x 300 = 1800.
 */
export function defaultRateLimit(perVcpuPerSecond: number): number {
  return Math.max(WAF_MIN_RATE_LIMIT, Math.round(perVcpuPerSecond * ADDRESS_SHARE_OF_ONE_VCPU * RATE_WINDOW_SECONDS));
}

/**
 * Headers a client must not send: X-Forwarded-For (the ALB appends to it, Keycloak reads its
 * leftmost entry), X-Forwarded-Host and X-Forwarded-Prefix (Keycloak's xforwarded mode honours
 * them and the ALB does not set them), and Forwarded (honoured if proxy-headers ever becomes
 * `forwarded`). The ALB overwrites X-Forwarded-Proto and -Port itself. Lowercase: every one
 * contains "forwarded", which the rule's regex looks for in the (lowercased) header names.
 */
export const CLIENT_FORWARDING_HEADERS = constant(["x-forwarded-for", "x-forwarded-host", "x-forwarded-prefix", "forwarded"]);

/** Paths the rate limits cover, as regular expressions over the URI path (WAF RegexMatchStatement). */
export const RATE_LIMITED_PATHS = constant({
  token: "^/realms/[^/]+/protocol/openid-connect/token(/|$)",
  loginActions: "^/realms/[^/]+/login-actions/",
});

/**
 * Paths where Keycloak's own forms legitimately send bodies past the common rule set's 8 KB
 * SizeRestrictions_BODY: the login-actions forms (registration and profile forms with many
 * attributes, WebAuthn attestation objects) and the SAML endpoint (a signed AuthnRequest or
 * LogoutRequest POSTed base64-encoded is commonly 8-20 KB). Elsewhere the size rule still blocks.
 */
export const LARGE_BODY_PATHS = "^/realms/[^/]+/(login-actions/|protocol/saml)";

/** Headers whose values never reach the WAF log: bearer tokens, client secrets, session cookies. */
export const REDACTED_HEADERS = constant(["authorization", "cookie"]);

export interface WafProps {
  readonly namePrefix: string;
  /** ARN of the ALB the web ACL protects. */
  readonly loadBalancerArn: string;
  /** Requests per address per 5 minutes to `/realms/<realm>/protocol/openid-connect/token`. */
  readonly tokenRateLimit: number;
  /** Requests per address per 5 minutes to `/realms/<realm>/login-actions/`. */
  readonly loginActionsRateLimit: number;
  /** Retention of the WAF log group, in days. */
  readonly logRetentionDays: number;
}

type Json = Record<string, unknown>;

const visibility = (name: string): Json => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name });
const pathRegex = (regex: string): Json => ({
  RegexMatchStatement: { RegexString: regex, FieldToMatch: { UriPath: {} }, TextTransformations: [{ Priority: 0, Type: "NONE" }] },
});
const managed = (name: string, priority: number, override?: Json): Json => ({
  Name: name,
  Priority: priority,
  OverrideAction: { None: {} },
  Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: name, ...override } },
  VisibilityConfig: visibility(name),
});
const rateLimit = (name: string, priority: number, limit: number, path: string): Json => ({
  Name: name,
  Priority: priority,
  Action: { Block: {} },
  Statement: {
    RateBasedStatement: { Limit: limit, EvaluationWindowSec: RATE_WINDOW_SECONDS, AggregateKeyType: "IP", ScopeDownStatement: pathRegex(path) },
  },
  VisibilityConfig: visibility(name),
});

/** The web ACL's rules in the WAF API's JSON, lowest priority (evaluated first) first. */
export function webAclRules(props: Pick<WafProps, "tokenRateLimit" | "loginActionsRateLimit">): Json[] {
  return [
    {
      Name: "client-forwarding-headers",
      Priority: 0,
      Action: { Block: {} },
      Statement: {
        // A regex, not a byte match: rule_json would want a byte match's SearchString base64-encoded.
        RegexMatchStatement: {
          RegexString: "forwarded",
          FieldToMatch: { Headers: { MatchPattern: { IncludedHeaders: [...CLIENT_FORWARDING_HEADERS] }, MatchScope: "KEY", OversizeHandling: "MATCH" } },
          TextTransformations: [{ Priority: 0, Type: "LOWERCASE" }],
        },
      },
      VisibilityConfig: visibility("client-forwarding-headers"),
    },
    managed("AWSManagedRulesAmazonIpReputationList", 10),
    rateLimit("token-rate-per-address", 20, props.tokenRateLimit, RATE_LIMITED_PATHS.token),
    rateLimit("login-actions-rate-per-address", 30, props.loginActionsRateLimit, RATE_LIMITED_PATHS.loginActions),
    managed("AWSManagedRulesKnownBadInputsRuleSet", 40),
    // The body size rule only counts inside the common set; the next rule blocks it outside Keycloak's forms.
    managed("AWSManagedRulesCommonRuleSet", 50, { RuleActionOverrides: [{ Name: "SizeRestrictions_BODY", ActionToUse: { Count: {} } }] }),
    {
      Name: "large-body-outside-keycloak-forms",
      Priority: 60,
      Action: { Block: {} },
      Statement: {
        AndStatement: {
          Statements: [
            { LabelMatchStatement: { Scope: "LABEL", Key: "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body" } },
            { NotStatement: { Statement: pathRegex(LARGE_BODY_PATHS) } },
          ],
        },
      },
      VisibilityConfig: visibility("large-body-outside-keycloak-forms"),
    },
  ];
}

/** The regional web ACL, its association with the ALB and its log group. */
export class Waf extends Construct {
  readonly webAclArn: string;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: WafProps) {
    super(scope, id);
    const acl = new Wafv2WebAcl(this, "acl", {
      name: `${props.namePrefix}-keycloak`,
      description: "Keycloak ALB: managed baseline, no client forwarding headers, per-address limits on login and token",
      scope: WAF_ALB_SCOPE,
      defaultAction: { allow: {} },
      ruleJson: JSON.stringify(webAclRules(props)),
      visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${props.namePrefix}-keycloak` },
    });
    this.webAclArn = acl.arn;
    new Wafv2WebAclAssociation(this, "alb", { resourceArn: props.loadBalancerArn, webAclArn: acl.arn });

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `${WAF_LOG_PREFIX}${props.namePrefix}`,
      retentionInDays: props.logRetentionDays,
    });
    this.logGroupName = logGroup.name;
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      resourceArn: acl.arn,
      logDestinationConfigs: [logGroup.arn],
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { name } })),
      // Blocked and counted requests only: allowed traffic would cost ~1 KB of log per request.
      loggingFilter: {
        defaultBehavior: "DROP",
        filter: [
          {
            behavior: "KEEP",
            requirement: "MEETS_ANY",
            condition: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }],
          },
        ],
      },
    });
  }
}
