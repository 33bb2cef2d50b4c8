/**
 * Translates the synthesized HTTPS listener - its aws_lb_listener_rule resources and its default
 * action - into haproxy frontend lines, so the e2e proxy routes exactly as the stack's ALB would:
 * rules in priority order, the first whose conditions all match decides, the default action when
 * none does. Conditions the stack does not use are refused rather than ignored, so a new kind of
 * rule cannot pass the e2e unchecked. So is anything the ALB itself would refuse at apply
 * (modules/edge/alb-limits.ts: values, wildcards, pattern length and characters, fixed responses,
 * priorities, rules per load balancer): haproxy would route such a rule, the ALB never gets it.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixedResponseProblems, listenerProblems, ruleProblems, type LimitProblem } from "../modules/edge/alb-limits";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

export interface AlbFixedResponse {
  statusCode: string;
  contentType: string;
  body: string;
}

export interface AlbRule {
  priority: number;
  /** Path patterns (ALB wildcards), any of which matches; undefined: no path condition. */
  paths?: string[];
  /** Source CIDRs, any of which matches; undefined: no source condition. */
  sources?: string[];
  action: "forward" | AlbFixedResponse;
}

export interface AlbListener {
  /** In priority order. */
  rules: AlbRule[];
  defaultAction: "forward" | AlbFixedResponse;
}

interface ActionJson {
  type: string;
  target_group_arn?: string;
  fixed_response?: { status_code: string; content_type: string; message_body?: string };
}

function actionOf(actions: unknown, where: string): AlbRule["action"] {
  const list = actions as ActionJson[];
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`${where}: expected exactly one action, got ${JSON.stringify(actions)}`);
  const [action] = list;
  if (action.type === "forward" && action.target_group_arn !== undefined) return "forward";
  if (action.type === "fixed-response" && action.fixed_response !== undefined) {
    const r = action.fixed_response;
    return { statusCode: r.status_code, contentType: r.content_type, body: r.message_body ?? "" };
  }
  throw new Error(`${where}: action ${JSON.stringify(action)} is not one the translator knows (forward, fixed-response)`);
}

/** The listener on `port` of the synthesized stack, with its rules sorted by priority; throws on anything the ALB would refuse. */
export function albListener(json: { resource?: Resources }, port = 443): AlbListener {
  const listeners = Object.entries(json.resource?.aws_lb_listener ?? {}).filter(([, l]) => l.port === port);
  if (listeners.length !== 1) throw new Error(`expected one aws_lb_listener on port ${port}, found ${listeners.length}`);
  const [name, listener] = listeners[0];
  const arn = `\${aws_lb_listener.${name}.arn}`;
  const problems: string[] = [];
  const refused = (where: string, found: LimitProblem[]) => problems.push(...found.map((p) => `${where}: ${p.message}`));
  const rules = Object.entries(json.resource?.aws_lb_listener_rule ?? {})
    .filter(([, rule]) => rule.listener_arn === arn)
    .map(([ruleName, rule]): AlbRule => {
      const parsed: AlbRule = { priority: Number(rule.priority), action: actionOf(rule.action, ruleName) };
      const values: string[][] = [];
      for (const condition of rule.condition as Record<string, { values: string[] }>[]) {
        const kinds = Object.keys(condition);
        if (kinds.length !== 1) throw new Error(`${ruleName}: a condition with ${kinds.join(", ")}`);
        if (kinds[0] === "path_pattern") parsed.paths = condition.path_pattern.values;
        else if (kinds[0] === "source_ip") parsed.sources = condition.source_ip.values;
        else throw new Error(`${ruleName}: condition ${kinds[0]} is not one the translator knows (path_pattern, source_ip)`);
        values.push(condition[kinds[0]].values);
      }
      refused(ruleName, ruleProblems({ conditions: values, pathPatterns: parsed.paths ?? [], sourceCidrs: parsed.sources }));
      if (parsed.action !== "forward") refused(ruleName, fixedResponseProblems(parsed.action));
      return parsed;
    })
    .sort((a, b) => a.priority - b.priority);
  const defaultAction = actionOf(listener.default_action, `aws_lb_listener.${name} default action`);
  if (defaultAction !== "forward") refused(`aws_lb_listener.${name} default action`, fixedResponseProblems(defaultAction));
  refused(`the load balancer of aws_lb_listener.${name}`, listenerProblems(rulesPerListenerOf(json, String(listener.load_balancer_arn))));
  if (problems.length > 0) throw new Error(`the ALB would refuse this listener, so the stand-in does too: ${problems.join("; ")}`);
  return { rules, defaultAction };
}

/** The priorities of every listener's rules on the load balancer `lbArn` (the rules quota counts them all). */
function rulesPerListenerOf(json: { resource?: Resources }, lbArn: string): number[][] {
  return Object.entries(json.resource?.aws_lb_listener ?? {})
    .filter(([, l]) => l.load_balancer_arn === lbArn)
    .map(([name]) =>
      Object.values(json.resource?.aws_lb_listener_rule ?? {})
        .filter((rule) => rule.listener_arn === `\${aws_lb_listener.${name}.arn}`)
        .map((rule) => Number(rule.priority)),
    );
}

/**
 * An ALB path pattern as an anchored regular expression: case-sensitive, `*` any run of
 * characters (slashes included), `?` exactly one character, everything else literal.
 */
export function pathPatternRegex(pattern: string): string {
  let out = "^";
  for (const ch of pattern) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else if (/[A-Za-z0-9_/~"@:&-]/.test(ch)) out += ch;
    else out += `\\${ch}`;
  }
  return `${out}$`;
}

/** haproxy config text has its own quoting; values we cannot quote safely are refused. */
function singleQuoted(text: string): string {
  if (/['\n\r]/.test(text)) throw new Error(`cannot put ${JSON.stringify(text)} in a haproxy config`);
  return `'${text}'`;
}

/**
 * Frontend lines for haproxy: each rule's conditions become ACLs (haproxy ORs the lines of one
 * ACL name, ANDs the names of one `if`), the first matching rule is remembered in a variable, and
 * a fixed response is returned when that rule (or the default) answers one. A forward falls
 * through to the frontend's backend, the stack's one target group.
 */
export function haproxyRules(listener: AlbListener): string[] {
  const lines: string[] = [];
  const decided = "!{ var(txn.alb_rule) -m found }";
  const decisions: { name: string; action: AlbRule["action"] }[] = [];
  for (const rule of listener.rules) {
    const name = `alb_${rule.priority}`;
    const acls: string[] = [];
    if (rule.paths !== undefined) {
      for (const path of rule.paths) lines.push(`  acl ${name}_path path -m reg ${singleQuoted(pathPatternRegex(path))}`);
      acls.push(`${name}_path`);
    }
    if (rule.sources !== undefined) {
      lines.push(`  acl ${name}_source src ${rule.sources.join(" ")}`);
      acls.push(`${name}_source`);
    }
    lines.push(`  http-request set-var(txn.alb_rule) str(${name}) if ${decided} ${acls.join(" ")}`);
    decisions.push({ name, action: rule.action });
  }
  lines.push(`  http-request set-var(txn.alb_rule) str(alb_default) if ${decided}`);
  decisions.push({ name: "alb_default", action: listener.defaultAction });
  for (const { name, action } of decisions) {
    if (action === "forward") continue;
    lines.push(
      `  http-request return status ${action.statusCode} content-type ${singleQuoted(action.contentType)} string ${singleQuoted(action.body)} if { var(txn.alb_rule) -m str ${name} }`,
    );
  }
  return lines;
}

/** haproxy lines for the HTTPS listener of `stack` as `cdktf synth` wrote it into `outDir`. */
export function proxyRulesOfSynth(outDir: string, stack: string): string[] {
  const json = JSON.parse(readFileSync(join(outDir, "stacks", stack, "cdk.tf.json"), "utf8")) as { resource?: Resources };
  return haproxyRules(albListener(json));
}
