import { keycloakContainer, synthStack } from "../../modules/synth";
import { DNS_CACHE_TTL_SECONDS, JVM_OPTIONS, javaOptsAppend } from "../../modules/service/jvm-options";
import { RDS_DNS_TTL_SECONDS } from "../support/dns-server";

describe("the task's JVM options", () => {
  const env = Object.fromEntries(keycloakContainer(synthStack()).environment.map((e) => [e.name, e.value]));

  test("reach the synthesized task definition as JAVA_OPTS_APPEND, appended to kc.sh's own defaults rather than replacing them (no JAVA_OPTS)", () => {
    expect(env.JAVA_OPTS_APPEND).toBe(javaOptsAppend());
    expect(env.JAVA_OPTS_APPEND.split(" ")).toEqual([...JVM_OPTIONS]);
    expect(env).not.toHaveProperty("JAVA_OPTS");
  });

  test("each option is one whitespace-free JVM argument (kc.sh splits JAVA_OPTS_APPEND on whitespace)", () => {
    for (const option of JVM_OPTIONS) expect(option).toMatch(/^-(D[\w.]+=\S+|XX:\S+|X\S+)$/);
  });

  test("the JVM caches the database endpoint's address no longer than RDS's DNS TTL, so a task follows a failover's move", () => {
    expect(JVM_OPTIONS).toContain(`-Dsun.net.inetaddr.ttl=${DNS_CACHE_TTL_SECONDS}`);
    expect(DNS_CACHE_TTL_SECONDS).toBeLessThanOrEqual(RDS_DNS_TTL_SECONDS);
    expect(DNS_CACHE_TTL_SECONDS).toBeGreaterThan(0);
  });

  test("several options reach kc.sh as separate words (it splits JAVA_OPTS_APPEND on whitespace)", () => {
    expect(javaOptsAppend(["-Da=1", "-Db=2"])).toBe("-Da=1 -Db=2");
  });
});
