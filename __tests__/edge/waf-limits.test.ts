import { statementWcu, webAclCapacity, WAF_WEB_ACL_CAPACITY } from "../../modules/edge/waf-limits";
import { webAclRules } from "../../modules/edge/waf";

/** The web ACL's capacity by AWS's published costs (policy/aws-rules/waf.ts holds it within the base price). */
describe("WAF capacity units", () => {
  test("our rules cost 982 WCUs: headers 3+10, IP reputation 25, two rate limits 2+3+10 each, known bad inputs 200, common 700, large body 1+3+10", () => {
    const rules = webAclRules({ tokenRateLimit: 1800, loginActionsRateLimit: 225 });
    expect(webAclCapacity(rules)).toEqual({ wcu: 13 + 25 + 15 + 15 + 200 + 700 + 14, unknown: [] });
    expect(webAclCapacity(rules).wcu).toBeLessThanOrEqual(WAF_WEB_ACL_CAPACITY);
  });

  test("a statement or managed group without a published cost is named, never counted as 0", () => {
    expect(statementWcu({ GeoMatchStatement: { CountryCodes: ["XX"] } })).toEqual({ wcu: 0, unknown: ["GeoMatchStatement"] });
    expect(statementWcu({ NotStatement: { Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesBotControlRuleSet" } } } }).unknown).toEqual([
      "managed rule group AWSManagedRulesBotControlRuleSet",
    ]);
  });

  test("an OR costs what the statements inside it cost, as an AND does", () => {
    const label = { LabelMatchStatement: { Scope: "LABEL", Key: "x" } };
    const regex = { RegexMatchStatement: { RegexString: "x", FieldToMatch: { UriPath: {} }, TextTransformations: [{ Priority: 0, Type: "NONE" }] } };
    expect(statementWcu({ OrStatement: { Statements: [label, regex] } })).toEqual({ wcu: 1 + 3 + 10, unknown: [] });
    expect(statementWcu({ AndStatement: { Statements: [label, regex] } })).toEqual({ wcu: 1 + 3 + 10, unknown: [] });
  });

  test("custom keys, a JSON body and all query arguments cost what AWS says", () => {
    const regex = (field: object) => ({ RegexMatchStatement: { RegexString: "x", FieldToMatch: field, TextTransformations: [] } });
    expect(statementWcu(regex({ JsonBody: {} })).wcu).toBe(6);
    expect(statementWcu(regex({ AllQueryArguments: {} })).wcu).toBe(13);
    expect(statementWcu({ RateBasedStatement: { Limit: 10, AggregateKeyType: "CUSTOM_KEYS", CustomKeys: [{}, {}] } }).wcu).toBe(62);
  });
});
