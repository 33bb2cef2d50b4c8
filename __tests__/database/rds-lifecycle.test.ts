import { onlyResource, resourcesOf, synthStack } from "../../modules/synth";

/** Issue 21, item 7: RDS's logs and final snapshot, as apply and destroy meet them. */
describe("RDS logs and final snapshot", () => {
  const json = synthStack();
  const db = onlyResource(json, "aws_db_instance");

  test("RDS exports only logs the engine writes, into log groups we create first and that expire", () => {
    const exports = db.enabled_cloudwatch_logs_exports as string[];
    expect(exports).not.toContain("slowquery");
    const groups = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group"));
    for (const log of exports) {
      const found = groups.find(([, g]) => g.name === `/aws/rds/instance/keycloak-test-db/${log}`);
      expect(found).toBeDefined();
      expect(found![1].retention_in_days).toBe(30);
      expect(db.depends_on).toContain(`aws_cloudwatch_log_group.${found![0]}`);
    }
  });

  test("the final snapshot's name is unique per created instance and stable between plans", () => {
    const m = /^keycloak-test-db-final-\$\{null_resource\.([^.}]+)\.id\}$/.exec(String(db.final_snapshot_identifier));
    expect(m).not.toBeNull();
    // A random id made once with the instance's name (null_resource's id), not a timestamp that changes every plan.
    const suffix = resourcesOf(json, "null_resource")[m![1]];
    expect(suffix.triggers).toEqual({ identifier: "keycloak-test-db" });
    expect(JSON.stringify(suffix)).not.toContain("timestamp");
  });
});
