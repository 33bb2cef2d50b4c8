import { onlyResource, onlyResourceName, resourcesOf, rulesOf, synthStack, ref, nameOf } from "../../modules/synth";
import { DB_CHARSET, DB_COLLATION, PORTS } from "../../modules/shared/constants";

describe("Database", () => {
  const json = synthStack();
  const db = onlyResource(json, "aws_db_instance");

  test("RDS MySQL 8.4 on a small Graviton class, Multi-AZ, encrypted gp3, 7 days of backups", () => {
    expect(db).toMatchObject({
      engine: "mysql",
      engine_version: "8.4",
      instance_class: "db.t4g.small",
      multi_az: true,
      storage_type: "gp3",
      storage_encrypted: true,
      backup_retention_period: 7,
      auto_minor_version_upgrade: true,
      publicly_accessible: false,
    });
  });

  test("backups and maintenance run in the configured UTC windows, by default backups 02:00-03:00 daily and maintenance after them on Sunday", () => {
    expect(db).toMatchObject({ backup_window: "02:00-03:00", maintenance_window: "sun:03:30-sun:04:30" });
    const custom = synthStack({ dbBackupWindow: "22:00-22:30", dbMaintenanceWindow: "Wed:01:00-Wed:02:00" });
    expect(onlyResource(custom, "aws_db_instance")).toMatchObject({ backup_window: "22:00-22:30", maintenance_window: "wed:01:00-wed:02:00" });
  });

  test("the master password is managed by RDS in Secrets Manager and appears nowhere in the configuration", () => {
    expect(db.manage_master_user_password).toBe(true);
    expect(db.password).toBeUndefined();
  });

  test("deletion protection and a final snapshot named <prefix>-db-final-<id> are on by default", () => {
    expect(db.deletion_protection).toBe(true);
    expect(db.skip_final_snapshot).toBe(false);
    expect(db.final_snapshot_identifier).toMatch(/^keycloak-test-db-final-\$\{null_resource\.[^}]+\.id\}$/);
  });

  test("the throw-away switch removes deletion protection and the final snapshot", () => {
    const throwAway = onlyResource(synthStack({ throwAway: true }), "aws_db_instance");
    expect(throwAway).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  });

  test("MySQL 8.0 and the instance class are configurable", () => {
    const custom = synthStack({ mysqlVersion: "8.0", dbInstanceClass: "db.r6g.large", dbMultiAz: false });
    expect(onlyResource(custom, "aws_db_instance")).toMatchObject({ engine_version: "8.0", instance_class: "db.r6g.large", multi_az: false });
    expect(onlyResource(custom, "aws_db_parameter_group").family).toBe("mysql8.0");
  });

  test("the parameter group turns off invisible primary keys, sets Keycloak's character set and requires TLS", () => {
    const group = onlyResource(json, "aws_db_parameter_group") as { family: string; parameter: { name: string; value: string }[] };
    expect(group.family).toBe("mysql8.4");
    const params = Object.fromEntries(group.parameter.map((p) => [p.name, p.value]));
    expect(params).toEqual({
      sql_generate_invisible_primary_key: "0",
      character_set_server: DB_CHARSET,
      collation_server: DB_COLLATION,
      require_secure_transport: "1",
    });
    expect(db.parameter_group_name).toBe(ref("aws_db_parameter_group", onlyResourceName(json, "aws_db_parameter_group"), "name"));
  });

  test("require_secure_transport applies immediately (it is dynamic), so an instance deployed before it refuses plain connections after the next apply", () => {
    const group = onlyResource(json, "aws_db_parameter_group") as { parameter: { name: string; apply_method: string }[] };
    expect(group.parameter.find((p) => p.name === "require_secure_transport")?.apply_method).toBe("immediate");
  });

  test("the instance's certificate comes from RDS's RSA 2048 CA, whose root is in RDS's CA bundle", () => {
    expect(db.ca_cert_identifier).toBe("rds-ca-rsa2048-g1");
  });

  test("the database lives in the private subnets", () => {
    const group = onlyResource(json, "aws_db_subnet_group") as { subnet_ids: string[] };
    const privateSubnets = Object.entries(resourcesOf(json, "aws_subnet"))
      .filter(([, s]) => String((s.tags as Record<string, string>).Name).includes("-private-"))
      .map(([name]) => ref("aws_subnet", name, "id"));
    expect(group.subnet_ids.sort()).toEqual(privateSubnets.sort());
  });

  test("the error log is exported to CloudWatch (slowquery would stay empty: slow_query_log is off)", () => {
    expect(db.enabled_cloudwatch_logs_exports).toEqual(["error"]);
  });

  test("MySQL is reachable only from the Keycloak tasks and the bastion", () => {
    const ingress = rulesOf(json, nameOf(json, "aws_security_group", "-db")).filter((r) => r.direction === "ingress");
    const sources = ingress.map((r) => r.referenced_security_group_id).sort();
    expect(sources).toEqual(
      [
        ref("aws_security_group", nameOf(json, "aws_security_group", "-keycloak"), "id"),
        ref("aws_security_group", nameOf(json, "aws_security_group", "-bastion"), "id"),
      ].sort(),
    );
    expect(ingress.every((r) => r.from_port === PORTS.mysql && r.to_port === PORTS.mysql && !r.cidr_ipv4)).toBe(true);
  });

  test("a private hosted zone names the database db.<zone>", () => {
    const zone = onlyResource(json, "aws_route53_zone");
    expect(zone.name).toBe("keycloak.internal");
    const record = onlyResource(json, "aws_route53_record");
    expect(record).toMatchObject({ name: "db.keycloak.internal", type: "CNAME", records: [ref("aws_db_instance", onlyResourceName(json, "aws_db_instance"), "address")] });
  });
});
