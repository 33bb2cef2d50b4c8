import { Testing } from "cdktf";
import { ref, resourcesOf, synthStack, testConfig, onlyResourceName, type TerraformJson } from "../../modules/synth";
import { KeycloakStack } from "../../modules/stack";
import {
  CLIENT_FORWARDING_HEADERS,
  defaultRateLimit,
  KEYCLOAK_PER_VCPU_PER_SECOND,
  LARGE_BODY_PATHS,
  RATE_LIMITED_PATHS,
  RATE_WINDOW_SECONDS,
} from "../../modules/edge/waf";
import { WAF_MIN_RATE_LIMIT, WAF_RATE_WINDOWS } from "../../modules/edge/waf-limits";
import { aclRules } from "../../policy/rules-waf";

type Res = Record<string, unknown>;
const acl = (json: TerraformJson): Res => Object.values(resourcesOf(json, "aws_wafv2_web_acl"))[0];
const rules = (json: TerraformJson) => aclRules(acl(json), "acl");
const named = (json: TerraformJson, name: string) => rules(json).find((r) => r.Name === name) as Res & { Statement: Res };

describe("Waf", () => {
  const json = synthStack();

  test("prod has a regional web ACL associated with the ALB; the dev profile has none", () => {
    expect(acl(json)).toMatchObject({ scope: "REGIONAL", default_action: { allow: {} } });
    const association = Object.values(resourcesOf(json, "aws_wafv2_web_acl_association"))[0];
    expect(association.resource_arn).toBe(ref("aws_lb", onlyResourceName(json, "aws_lb"), "arn"));
    expect(association.web_acl_arn).toBe(ref("aws_wafv2_web_acl", onlyResourceName(json, "aws_wafv2_web_acl"), "arn"));
    const dev = synthStack({ profile: "dev" });
    expect(resourcesOf(dev, "aws_wafv2_web_acl")).toEqual({});
    expect(resourcesOf(synthStack({ profile: "dev", wafEnabled: true }), "aws_wafv2_web_acl_association")).not.toEqual({});
  });

  test("the first rule blocks requests that bring their own forwarding headers, by header name", () => {
    const [first] = [...rules(json)].sort((a, b) => Number(a.Priority) - Number(b.Priority));
    expect(first).toMatchObject({ Name: "client-forwarding-headers", Action: { Block: {} } });
    const match = first.Statement as { RegexMatchStatement: { RegexString: string; FieldToMatch: { Headers: Res } } };
    expect(match.RegexMatchStatement.FieldToMatch.Headers).toMatchObject({ MatchScope: "KEY", MatchPattern: { IncludedHeaders: [...CLIENT_FORWARDING_HEADERS] } });
    for (const header of CLIENT_FORWARDING_HEADERS) expect(header).toMatch(new RegExp(match.RegexMatchStatement.RegexString));
  });

  test("token and login-actions are rate limited per source IP, never per forwarded header", () => {
    for (const [name, path, limit] of [
      ["token-rate-per-address", RATE_LIMITED_PATHS.token, 1800],
      ["login-actions-rate-per-address", RATE_LIMITED_PATHS.loginActions, 225],
    ] as const) {
      expect(named(json, name).Statement.RateBasedStatement).toEqual({
        Limit: limit,
        EvaluationWindowSec: RATE_WINDOW_SECONDS,
        AggregateKeyType: "IP",
        ScopeDownStatement: { RegexMatchStatement: { RegexString: path, FieldToMatch: { UriPath: {} }, TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
      });
    }
    const custom = synthStack({ wafTokenRateLimit: 100, wafLoginActionsRateLimit: 10 });
    expect((named(custom, "token-rate-per-address").Statement.RateBasedStatement as Res).Limit).toBe(100);
    expect((named(custom, "login-actions-rate-per-address").Statement.RateBasedStatement as Res).Limit).toBe(10);
    expect(() => testConfig({ wafLoginActionsRateLimit: 9 })).toThrow(/wafLoginActionsRateLimit.*got 9.*from 10 \(WAF's minimum\)/);
    expect(() => testConfig({ wafTokenRateLimit: 2_000_000_001 })).toThrow(/wafTokenRateLimit.*got 2000000001.*to 2000000000 \(WAF's maximum\)/);
  });

  test("the rate-limit regexes match every realm's endpoints and nothing beside them", () => {
    const token = new RegExp(RATE_LIMITED_PATHS.token);
    const login = new RegExp(RATE_LIMITED_PATHS.loginActions);
    expect(token.test("/realms/example/protocol/openid-connect/token")).toBe(true);
    expect(token.test("/realms/other/protocol/openid-connect/token/introspect")).toBe(true);
    expect(token.test("/realms/example/protocol/openid-connect/tokens")).toBe(false);
    expect(token.test("/realms/example/protocol/openid-connect/auth")).toBe(false);
    expect(login.test("/realms/example/login-actions/authenticate")).toBe(true);
    expect(login.test("/realms/example/account/login-actions/")).toBe(false);
    const large = new RegExp(LARGE_BODY_PATHS);
    expect(large.test("/realms/example/protocol/saml")).toBe(true);
    expect(large.test("/realms/example/login-actions/registration")).toBe(true);
    expect(large.test("/realms/example/account/")).toBe(false);
  });

  test("the default limits are a twentieth of one vCPU's throughput by Keycloak's sizing guide, within WAF's limits", () => {
    expect(defaultRateLimit(KEYCLOAK_PER_VCPU_PER_SECOND.logins)).toBe(15 * 300 / 20);
    expect(defaultRateLimit(KEYCLOAK_PER_VCPU_PER_SECOND.tokenRequests)).toBe(120 * 300 / 20);
    expect(defaultRateLimit(0.01)).toBe(WAF_MIN_RATE_LIMIT);
    expect(WAF_RATE_WINDOWS).toContain(RATE_WINDOW_SECONDS);
  });

  test("the common rule set only counts oversized bodies, which a later rule blocks outside Keycloak's forms and SAML", () => {
    const common = named(json, "AWSManagedRulesCommonRuleSet");
    expect(common.OverrideAction).toEqual({ None: {} });
    expect((common.Statement.ManagedRuleGroupStatement as Res).RuleActionOverrides).toEqual([{ Name: "SizeRestrictions_BODY", ActionToUse: { Count: {} } }]);
    const large = named(json, "large-body-outside-keycloak-forms");
    expect(large.Action).toEqual({ Block: {} });
    expect(Number(large.Priority)).toBeGreaterThan(Number(common.Priority));
    expect(JSON.stringify(large.Statement)).toContain("awswaf:managed:aws:core-rule-set:SizeRestrictions_Body");
    for (const name of ["AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"]) expect(named(json, name).OverrideAction).toEqual({ None: {} });
  });

  test("every managed rule group is AWS's, and the ACL and every rule send CloudWatch metrics and samples under their own name", () => {
    const groups = rules(json).flatMap((r) => {
      const group = (r.Statement as Res).ManagedRuleGroupStatement as Res | undefined;
      return group ? [[group.VendorName, group.Name]] : [];
    });
    expect(groups).toEqual([
      ["AWS", "AWSManagedRulesAmazonIpReputationList"],
      ["AWS", "AWSManagedRulesKnownBadInputsRuleSet"],
      ["AWS", "AWSManagedRulesCommonRuleSet"],
    ]);
    for (const rule of rules(json)) expect(rule.VisibilityConfig).toEqual({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: rule.Name });
    expect(acl(json).visibility_config).toMatchObject({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true });
  });

  test("WAF logs blocked and counted requests to an aws-waf-logs- group with retention, Authorization and Cookie redacted", () => {
    const [groupName, group] = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => String(g.name).startsWith("aws-waf-logs-"))!;
    expect(group.retention_in_days).toBe(30);
    const logging = Object.values(resourcesOf(json, "aws_wafv2_web_acl_logging_configuration"))[0];
    expect(logging.log_destination_configs).toEqual([ref("aws_cloudwatch_log_group", groupName, "arn")]);
    expect(logging.redacted_fields).toEqual([{ single_header: { name: "authorization" } }, { single_header: { name: "cookie" } }]);
    expect(JSON.stringify(logging.logging_filter)).toContain("DROP");
  });
});

describe("the Keycloak tasks trust forwarding headers only from the ALB's subnets", () => {
  test("proxy-trusted-addresses is the public subnets, not the whole VPC", () => {
    const json = synthStack();
    const task = Object.values(resourcesOf(json, "aws_ecs_task_definition"))[0];
    const env = (JSON.parse(String(task.container_definitions))[0].environment as { name: string; value: string }[]);
    expect(env).toContainEqual({ name: "KC_PROXY_TRUSTED_ADDRESSES", value: testConfig().publicSubnetCidrs.join(",") });
  });
});

describe("bootstrapAdmin", () => {
  const warnings = (settings: Record<string, unknown>) => {
    const stack = new KeycloakStack(Testing.app(), "keycloak-test", testConfig(settings));
    Testing.synth(stack);
    return stack.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  };

  test("prod synth warns while the bootstrap admin is on, naming the setting, and not once it is off", () => {
    expect(warnings({})).toEqual(expect.arrayContaining([expect.stringContaining("bootstrapAdmin (env KEYCLOAK_BOOTSTRAP_ADMIN) is on")]));
    expect(warnings({ bootstrapAdmin: false }).filter((w) => w.includes("bootstrapAdmin"))).toEqual([]);
  });
});
