/**
 * The Keycloak task's JVM options, in one place: the task definition passes them as
 * JAVA_OPTS_APPEND, which kc.sh appends to its own defaults (heap sizing, GC, encodings), so
 * none of those is replaced. One option per entry, each with the reason it is there.
 */

/** The TTL RDS gives its endpoints' DNS records (a CNAME to the current primary), in seconds. */
export const RDS_ENDPOINT_DNS_TTL_SECONDS = 5;

/**
 * How long the JVM caches a successful name lookup, in seconds: RDS's endpoint TTL. On a
 * Multi-AZ failover RDS moves the endpoint's CNAME (TTL 5 s) to the standby's address. The
 * JVM keeps its own cache on top of the resolver's, 30 s by default without a security manager
 * (InetAddressCachePolicy), so a task would keep dialling the black-holed old primary for up to
 * 30 s after the standby serves; at the TTL it follows the name as soon as RDS moved it.
 */
export const DNS_CACHE_TTL_SECONDS = RDS_ENDPOINT_DNS_TTL_SECONDS;

export const JVM_OPTIONS: readonly string[] = [
  // The JVM's DNS cache no longer than RDS's own TTL (DNS_CACHE_TTL_SECONDS). The system
  // property, not the security property networkaddress.cache.ttl: that one needs a
  // java.security file, this one is read whenever the security property is unset (the JDK's
  // java.security leaves it unset).
  `-Dsun.net.inetaddr.ttl=${DNS_CACHE_TTL_SECONDS}`,
];

/** The value of JAVA_OPTS_APPEND (kc.sh splits it on whitespace). */
export function javaOptsAppend(options: readonly string[] = JVM_OPTIONS): string {
  return options.join(" ");
}
