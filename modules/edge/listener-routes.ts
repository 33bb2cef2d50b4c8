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
 */

/** What the ALB answers for a path it does not forward: clearly the load balancer, not Keycloak. */
export const NOT_ROUTED = { statusCode: "404", contentType: "text/plain", body: "Not found: not routed by the load balancer" } as const;

/** What the ALB answers for a path with dot segments (literal or percent-encoded). */
export const REFUSED_PATH = { statusCode: "400", contentType: "text/plain", body: "Bad request: dot segments are not accepted" } as const;

/**
 * Paths with a dot segment: `/./`, `/.` at the end, a segment starting with `..` (`..;` too), and
 * the percent-encoded forms of `.` and `..` (`%2e`, `%2E`, mixed with a literal dot) as a whole
 * segment. `?` stands for the `%`, so a segment that is one character and `2e` (a realm named
 * `x2e`), or starts with `X2eY2e`, is refused as well; config refuses such public realm names.
 */
export const DOT_SEGMENT_PATTERNS = [
  "*/./*", "*/.", "*/..*",
  ...["?2e", "?2E"].flatMap((dot) => [`*/${dot}/*`, `*/${dot}`, `*/.${dot}*`, `*/${dot}.*`]),
  ...["?2e?2e", "?2e?2E", "?2E?2e", "?2E?2E"].map((dots) => `*/${dots}*`),
] as const;

/** Public realm names that the encoded-dot patterns above would refuse. */
export const REALM_NAMES_LIKE_ENCODED_DOTS = /^.2[eE]/;

/** Paths every realm's login and account pages load: themes, scripts, styles. */
export const STATIC_PATTERNS = ["/resources/*"] as const;

/** Everything, for the admin sources: they get the whole of Keycloak (still without dot segments). */
export const EVERYTHING_PATTERN = "/*";

/** The realm whose users are Keycloak's administrators. */
export const MASTER_REALM = "master";

/** ALB limit: condition values per rule, counted over all its conditions. */
export const ALB_VALUES_PER_RULE = 5;
/** Admin sources share an ALB rule with one path pattern. */
export const MAX_ADMIN_CIDRS = ALB_VALUES_PER_RULE - 1;
/** Keeps the listener far below the ALB's 100 rules per listener (5 realms per rule). */
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
    // Each value of either condition counts against the ALB's limit per rule.
    const room = ALB_VALUES_PER_RULE - sourceCidrs.length;
    for (let i = 0; i < paths.length; i += room) {
      routes.push({ priority: (routes.length + 1) * 10, paths: paths.slice(i, i + room), sourceCidrs, action, purpose });
    }
  };
  add(DOT_SEGMENT_PATTERNS, [], REFUSED_PATH, "refuse dot segments");
  if (props.adminAllowedCidrs.length > 0) add([EVERYTHING_PATTERN], props.adminAllowedCidrs, "forward", "admin sources");
  add([...STATIC_PATTERNS, ...props.publicRealms.flatMap(realmPatterns)], [], "forward", "public realms");
  return routes;
}
