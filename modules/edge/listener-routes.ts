/**
 * What the public HTTPS listener forwards to Keycloak, as ALB listener rules. Closed by default:
 * the listener forwards only the public paths of the realms the operator names (and the static
 * resources their pages load); the admin plane - `/admin/*` (console and admin REST API) and the
 * master realm (admin-cli's token endpoint) - is forwarded only from `adminAllowedCidrs`; anything
 * else gets a fixed 404 from the ALB itself.
 *
 * ALB path patterns are case-sensitive and matched on the path as sent; AWS documents no
 * normalization, so we assume none. A server behind it that decodes `%2e` and removes dot
 * segments would turn `/realms/<public>/%2e%2e/%2e%2e/admin/` (allowed by `/realms/<public>/*`)
 * into the admin API; Keycloak's own path handling is not something to rely on across versions.
 * So dot segments, literal or encoded, are refused before any allow rule.
 * A pattern cannot hold `%` (the ALB accepts only A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?), so the
 * encoded forms are written with `?` for the `%`.
 *
 * Limits (alb-limits.ts): a rule holds at most 5 wildcards and 5 condition values, a condition at
 * most 3 values. The 15 dot-segment patterns hold 43 wildcards (4 of them hold 4 each), so they
 * take 10 rules, packed fullest first; the admin sources take one rule per 3 CIDRs, the public
 * paths one rule per 3 patterns. At the config's maxima (4 admin CIDRs, 50 realms) that is 29
 * rules of the ALB's 100. Every refusal rule comes before every forward rule, and Terraform creates
 * the forward rules only after all refusal rules exist (load-balancer.ts): an apply that fails
 * half-way cannot leave a forward rule without the refusals in front of it.
 * Rejected: fewer, broader patterns (any segment starting `?2e` would also refuse a Keycloak
 * resource version like `a2e9x`); one rule per pattern (15 refusal rules, no safer); a WAF regex
 * rule (a WAF per stack, and the listener would forward dot segments again if it were detached).
 */

import {
  ALB_VALUES_PER_CONDITION,
  ALB_VALUES_PER_RULE,
  ALB_WILDCARDS_PER_RULE,
  fixedResponseProblems,
  listenerProblems,
  ruleProblems,
  type LimitProblem,
  wildcardsIn,
} from "./alb-limits";
import { constant } from "../shared/constant";

/** What the ALB answers for a path it does not forward: clearly the load balancer, not Keycloak. */
export const NOT_ROUTED = constant({ statusCode: "404", contentType: "text/plain", body: "Not found: not routed by the load balancer" });

/** What the ALB answers for a path with dot segments (literal or percent-encoded). */
export const REFUSED_PATH = constant({ statusCode: "400", contentType: "text/plain", body: "Bad request: dot segments are not accepted" });

/**
 * Paths with a dot segment: `/./`, `/.` at the end, a segment starting with `..` (`..;` too), and
 * the percent-encoded forms of `.` and `..` (`%2e`, `%2E`, mixed with a literal dot) as a whole
 * segment. `?` stands for the `%`, so a segment that is one character and `2e` (a realm named
 * `x2e`), or starts with `X2eY2e`, is refused as well; config refuses such public realm names.
 */
export const DOT_SEGMENT_PATTERNS = constant([
  "*/./*", "*/.", "*/..*",
  ...["?2e", "?2E"].flatMap((dot) => [`*/${dot}/*`, `*/${dot}`, `*/.${dot}*`, `*/${dot}.*`]),
  ...["?2e?2e", "?2e?2E", "?2E?2e", "?2E?2E"].map((dots) => `*/${dots}*`),
]);

/** Public realm names that the encoded-dot patterns above would refuse. */
export const REALM_NAMES_LIKE_ENCODED_DOTS = /^.2[eE]/;

/** Paths every realm's login and account pages load: themes, scripts, styles. */
export const STATIC_PATTERNS = constant(["/resources/*"]);

/** Everything, for the admin sources: they get the whole of Keycloak (still without dot segments). */
export const EVERYTHING_PATTERN = "/*";

/** The realm whose users are Keycloak's administrators. */
export const MASTER_REALM = "master";

/** Admin sources: one rule per ALB_VALUES_PER_CONDITION of them; 4 keep the admin plane at two rules. */
export const MAX_ADMIN_CIDRS = 4;
/** Keeps the listener far below the ALB's 100 rules per load balancer (3 realms per rule). */
export const MAX_PUBLIC_REALMS = 50;

/** Public paths of one realm: everything under `/realms/<name>/`. */
export function realmPatterns(realm: string): string[] {
  return [`/realms/${realm}/*`];
}

export interface FixedResponse {
  readonly statusCode: string;
  readonly contentType: string;
  readonly body: string;
}

export interface ListenerRoute {
  /** Lower wins; unique per listener. */
  readonly priority: number;
  /** Path patterns, any of which matches. */
  readonly paths: readonly string[];
  /** Source CIDRs, any of which matches; none: every source. */
  readonly sourceCidrs: readonly string[];
  /** Forward to Keycloak, or answer this. */
  readonly action: "forward" | FixedResponse;
  /** Why the rule exists, for its name and for readers of the plan. */
  readonly purpose: string;
}

export interface ListenerRoutesProps {
  /** Sources that get the admin plane. @default [] (nobody) */
  readonly adminAllowedCidrs: readonly string[];
  /** Realms forwarded from everyone. @default [] */
  readonly publicRealms: readonly string[];
}

/** The listener's rules, in priority order; the default action (NOT_ROUTED) comes after all of them. */
export function listenerRoutes(props: ListenerRoutesProps): ListenerRoute[] {
  const routes: ListenerRoute[] = [];
  const add = (paths: readonly string[], sourceCidrs: readonly string[], action: ListenerRoute["action"], purpose: string) => {
    for (let i = 0; i < Math.max(sourceCidrs.length, 1); i += ALB_VALUES_PER_CONDITION) {
      const sources = sourceCidrs.slice(i, i + ALB_VALUES_PER_CONDITION);
      const room = Math.min(ALB_VALUES_PER_CONDITION, ALB_VALUES_PER_RULE - sources.length);
      for (const group of packPatterns(paths, room)) {
        routes.push({ priority: (routes.length + 1) * 10, paths: group, sourceCidrs: sources, action, purpose });
      }
    }
  };
  add(DOT_SEGMENT_PATTERNS, [], REFUSED_PATH, "refuse dot segments");
  if (props.adminAllowedCidrs.length > 0) add([EVERYTHING_PATTERN], props.adminAllowedCidrs, "forward", "admin sources");
  add([...STATIC_PATTERNS, ...props.publicRealms.flatMap(realmPatterns)], [], "forward", "public realms");
  const problems = routeProblems(routes);
  if (problems.length > 0) throw new Error(`listener rules the ALB would refuse: ${problems.map((p) => p.message).join("; ")}`);
  return routes;
}

/** What the ALB would refuse in these rules of one listener: each rule's conditions and fixed response, their priorities. */
export function routeProblems(routes: readonly ListenerRoute[]): LimitProblem[] {
  return [
    // A rule without sources has no source condition; an empty one adds no value to count.
    ...routes.flatMap((r) => ruleProblems({ conditions: [r.paths, r.sourceCidrs], pathPatterns: r.paths, sourceCidrs: r.sourceCidrs })),
    ...routes.flatMap((r) => (r.action === "forward" ? [] : fixedResponseProblems(r.action))),
    ...listenerProblems([routes.map((r) => r.priority)]),
  ];
}

/**
 * Path patterns in groups of at most `values` patterns and ALB_WILDCARDS_PER_RULE wildcards,
 * fullest first into the first group with room (first-fit decreasing): few rules, and the same
 * groups for the same patterns on every synth.
 */
export function packPatterns(patterns: readonly string[], values: number): string[][] {
  const groups: { paths: string[]; wildcards: number }[] = [];
  // Array.prototype.sort is stable: patterns with as many wildcards keep their order.
  const byWildcards = patterns.map((p) => ({ p, w: wildcardsIn(p) })).sort((a, b) => b.w - a.w);
  for (const { p, w } of byWildcards) {
    if (w > ALB_WILDCARDS_PER_RULE) throw new Error(`path pattern ${p} holds ${w} wildcards; an ALB rule holds at most ${ALB_WILDCARDS_PER_RULE}`);
    const group = groups.find((g) => g.paths.length < values && g.wildcards + w <= ALB_WILDCARDS_PER_RULE);
    if (group) {
      group.paths.push(p);
      group.wildcards += w;
    } else groups.push({ paths: [p], wildcards: w });
  }
  return groups.map((g) => g.paths);
}
