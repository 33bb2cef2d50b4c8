/**
 * Translates the synthesized web ACL (aws_wafv2_web_acl's rule_json) into haproxy frontend lines
 * that run before the listener's (alb-rules.ts), as WAF runs before the ALB's rules: the e2e
 * proxy then blocks what the stack's WAF would, and only if the stack has the rule. A statement
 * the translator does not know stops it, so a new kind of rule cannot pass the e2e unchecked.
 *
 * Not modelled, by name: AWS's managed rule groups (their content is AWS's and not public), the
 * rate-based rules (no e2e sends hundreds of requests from one address) and the label rule that
 * depends on the managed common rule set. The e2e proxy is kinder than WAF there, and only there.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Res = Record<string, unknown>;

/** Statements the e2e proxy deliberately does not enforce (see above). */
export const NOT_MODELLED = ["ManagedRuleGroupStatement", "RateBasedStatement", "AndStatement"] as const;

/** WAF's answer to a blocked request: 403 unless a custom response is set (we set none). */
export const WAF_BLOCK_STATUS = 403;

/** The web ACL rules of a synthesized stack, by priority; none when the stack has no web ACL. */
export function webAclRulesOf(json: { resource?: Record<string, Record<string, Res>> }): Res[] {
  const acls = Object.values(json.resource?.aws_wafv2_web_acl ?? {});
  if (acls.length > 1) throw new Error(`expected at most one aws_wafv2_web_acl, found ${acls.length}`);
  if (acls.length === 0) return [];
  return (JSON.parse(String(acls[0].rule_json)) as Res[]).sort((a, b) => Number(a.Priority) - Number(b.Priority));
}

/** haproxy lines for one WAF rule; [] for a statement listed in NOT_MODELLED. */
function linesOf(rule: Res): string[] {
  const statement = rule.Statement as Res;
  const [kind] = Object.keys(statement);
  if ((NOT_MODELLED as readonly string[]).includes(kind)) return [];
  if (kind !== "RegexMatchStatement") throw new Error(`WAF rule ${rule.Name}: ${kind} is not one the translator knows`);
  const match = statement.RegexMatchStatement as {
    RegexString: string;
    FieldToMatch: { Headers?: { MatchPattern: { IncludedHeaders?: string[] }; MatchScope: string } };
    TextTransformations: { Type: string }[];
  };
  const headers = match.FieldToMatch.Headers;
  const lowercase = match.TextTransformations.length === 1 && match.TextTransformations[0].Type === "LOWERCASE";
  if (headers?.MatchScope !== "KEY" || headers.MatchPattern.IncludedHeaders === undefined || !lowercase) {
    throw new Error(`WAF rule ${rule.Name}: only a regex over the lowercased names of listed headers is translated, got ${JSON.stringify(match)}`);
  }
  if (JSON.stringify(rule.Action) !== JSON.stringify({ Block: {} })) throw new Error(`WAF rule ${rule.Name}: action ${JSON.stringify(rule.Action)} is not Block`);
  // A listed header that is present matches when its lowercased name matches the regex.
  const regex = new RegExp(match.RegexString);
  return headers.MatchPattern.IncludedHeaders
    .filter((name) => regex.test(name.toLowerCase()))
    .map((name) => `  http-request deny deny_status ${WAF_BLOCK_STATUS} if { req.hdr_cnt(${name}) gt 0 }`);
}

/** haproxy lines of the whole web ACL, in priority order. */
export function haproxyWafRules(rules: readonly Res[]): string[] {
  return rules.flatMap(linesOf);
}

/** haproxy lines for the web ACL of `stack` as `cdktf synth` wrote it into `outDir`. */
export function wafProxyRulesOfSynth(outDir: string, stack: string): string[] {
  return haproxyWafRules(webAclRulesOf(JSON.parse(readFileSync(join(outDir, "stacks", stack, "cdk.tf.json"), "utf8"))));
}
