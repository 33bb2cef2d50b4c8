import { databaseRecoverySeconds, DB_CONNECT_TIMEOUT_SECONDS, DB_POOL_VALIDATION, failoverNotReadySeconds, RDS_MULTI_AZ_FAILOVER_SECONDS } from "../../modules/service/db-failover";
import { DNS_CACHE_TTL_SECONDS, RDS_ENDPOINT_DNS_TTL_SECONDS } from "../../modules/service/jvm-options";

describe("how long an RDS Multi-AZ failover keeps a task's readiness down", () => {
  test("recovery after the standby serves: RDS's TTL 5 s + the JVM's cache 5 s + a connect to the old address 10 s + a statement on an old connection 10 s = 30 s", () => {
    expect([RDS_ENDPOINT_DNS_TTL_SECONDS, DNS_CACHE_TTL_SECONDS, DB_CONNECT_TIMEOUT_SECONDS]).toEqual([5, 5, 10]);
    // The in-flight statement's socket timeout, not the shorter validation timeout, is the last term.
    expect(DB_POOL_VALIDATION.timeoutSeconds).toBeLessThan(DB_CONNECT_TIMEOUT_SECONDS);
    expect(databaseRecoverySeconds()).toBe(30);
  });

  test("readiness may fail for AWS's typical upper failover time (120 s) plus that recovery: 150 s", () => {
    expect(RDS_MULTI_AZ_FAILOVER_SECONDS).toBe(120);
    expect(failoverNotReadySeconds()).toBe(150);
  });
});
