import { haproxyWafRules, NOT_MODELLED, webAclRulesOf, WAF_BLOCK_STATUS } from "../../policy/waf-rules";
import { synthStack } from "../../modules/synth";
import { CLIENT_FORWARDING_HEADERS } from "../../modules/edge/waf";

/** The e2e proxy blocks what the synthesized web ACL blocks; these guard the translation. */
describe("WAF web ACL to haproxy", () => {
  test("the prod stack's forwarding-header rule becomes one deny per header, before anything else", () => {
    expect(haproxyWafRules(webAclRulesOf(synthStack()))).toEqual(
      CLIENT_FORWARDING_HEADERS.map((h) => `  http-request deny deny_status ${WAF_BLOCK_STATUS} if { req.hdr_cnt(${h}) gt 0 }`),
    );
  });

  test("a stack without a web ACL (WAF off, the dev profile) gives the proxy no WAF line", () => {
    expect(webAclRulesOf(synthStack({ profile: "dev" }))).toEqual([]);
    expect(haproxyWafRules(webAclRulesOf(synthStack({ wafEnabled: false })))).toEqual([]);
  });

  test("the rules the proxy does not enforce are named; any other statement stops the translation", () => {
    const rules = webAclRulesOf(synthStack());
    const skipped = rules.filter((r) => NOT_MODELLED.some((k) => k in (r.Statement as object))).map((r) => r.Name);
    expect(skipped).toEqual([
      "AWSManagedRulesAmazonIpReputationList", "token-rate-per-address", "login-actions-rate-per-address",
      "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet", "large-body-outside-keycloak-forms",
    ]);
    expect(() => haproxyWafRules([{ Name: "geo", Action: { Block: {} }, Statement: { GeoMatchStatement: { CountryCodes: ["XX"] } } }])).toThrow(/GeoMatchStatement is not one the translator knows/);
    const counting = { ...rules[0], Action: { Count: {} } };
    expect(() => haproxyWafRules([counting])).toThrow(/is not Block/);
  });
});
