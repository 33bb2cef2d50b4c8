/** RDS for MySQL: storage, classes, windows, log exports and what a destroy needs. */
import { change, DOCS, each, forEach, outside, REMOVED, type AwsRule, type Res } from "./kit";
import { maxStorageGib, minMaxAllocatedStorageGib, MYSQL_INSTANCE_SIZES } from "../../modules/database/engine";
import { parseDailyWindow, parseWeeklyWindow, windowsOverlap, dailyMinutes, weeklyMinutes } from "../../modules/database/rds-windows";
import { failoverNotReadySeconds, RDS_MULTI_AZ_FAILOVER_SECONDS } from "../../modules/service/db-failover";
import type { TerraformJson } from "../../modules/synth";

const MYSQL_LOGS = ["audit", "error", "general", "slowquery", "iam-db-auth-error"];
/** A log that stays empty unless its parameter is on. */
const LOG_PARAMETER: Readonly<Record<string, string>> = { slowquery: "slow_query_log", general: "general_log" };

const parameters = (json: TerraformJson): Record<string, string> =>
  Object.fromEntries(each(json, "aws_db_parameter_group").flatMap(([, g]) => ((g.parameter as Res[] | undefined) ?? []).map((p) => [String(p.name), String(p.value)])));

export const RDS_RULES: readonly AwsRule[] = [
  {
    id: "rds-allocated-storage",
    resource: "aws_db_instance.allocated_storage",
    rule: "gp3 for MySQL: 20 to 65536 GiB",
    source: DOCS.rdsCreate,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => outside(r.allocated_storage, 20, 65_536) && `allocated_storage ${String(r.allocated_storage)}`),
    bad: [change("aws_db_instance", ["allocated_storage"], 19, "19 GiB")],
  },
  {
    id: "rds-max-allocated-storage",
    resource: "aws_db_instance.max_allocated_storage",
    rule: "0 (no autoscaling) or at least 10 % above allocated_storage, and within the class's maximum (6 TiB for db.t3/t4g.micro, 16 TiB for small and medium, 64 TiB otherwise)",
    source: `${DOCS.rdsAutoscaling}; ${DOCS.rdsStorage}`,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => {
      const max = Number(r.max_allocated_storage ?? 0);
      if (max === 0) return undefined;
      const floor = minMaxAllocatedStorageGib(Number(r.allocated_storage));
      const ceiling = maxStorageGib(String(r.instance_class));
      return max < floor ? `max_allocated_storage ${max} below ${floor} (allocated + 10 %)` : max > ceiling && `max_allocated_storage ${max} above ${r.instance_class}'s ${ceiling}`;
    }),
    bad: [
      change("aws_db_instance", ["max_allocated_storage"], 21, "1 GiB above allocated"),
      change("aws_db_instance", ["max_allocated_storage"], 10000, "10000 GiB on a db.t4g.micro", { shape: "dev profile" }),
    ],
  },
  {
    id: "rds-gp3-iops-threshold",
    resource: "aws_db_instance.iops, storage_throughput",
    rule: "gp3 below 400 GiB (MySQL): neither iops nor storage_throughput may be set",
    source: DOCS.rdsStorage,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => r.storage_type === "gp3" && Number(r.allocated_storage) < 400 && (r.iops !== undefined || r.storage_throughput !== undefined) && "iops or throughput on gp3 below 400 GiB"),
    bad: [change("aws_db_instance", ["iops"], 3000, "3000 IOPS on 20 GiB")],
  },
  {
    id: "rds-instance-class",
    resource: "aws_db_instance.instance_class",
    rule: "a class that exists: db.<family>.<size> with a size of that family (no db.t4g.8xlarge)",
    source: DOCS.rdsClasses,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => {
      const [, family, size] = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(String(r.instance_class)) ?? [];
      const sizes = (MYSQL_INSTANCE_SIZES as Readonly<Record<string, readonly string[]>>)[family];
      return (!sizes || !sizes.includes(size)) && `no class ${String(r.instance_class)}`;
    }),
    bad: [change("aws_db_instance", ["instance_class"], "db.t4g.8xlarge", "db.t4g.8xlarge")],
  },
  {
    id: "rds-windows",
    resource: "aws_db_instance.backup_window, maintenance_window, backup_retention_period",
    rule: "backup window hh24:mi-hh24:mi and maintenance window ddd:hh24:mi-ddd:hh24:mi, each at least 30 minutes, not overlapping; backup retention 0-35 days",
    source: DOCS.rdsCreate,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => {
      const daily = parseDailyWindow(String(r.backup_window));
      const weekly = parseWeeklyWindow(String(r.maintenance_window));
      if (!daily || !weekly) return "a window that does not parse";
      if (dailyMinutes(daily) < 30 || weeklyMinutes(weekly) < 30) return "a window shorter than 30 minutes";
      if (windowsOverlap(daily, weekly)) return "backup and maintenance windows overlap";
      return outside(r.backup_retention_period, 0, 35) && `backup retention ${String(r.backup_retention_period)}`;
    }),
    bad: [
      change("aws_db_instance", ["backup_window"], "02:00-02:20", "a 20-minute backup window"),
      change("aws_db_instance", ["backup_window"], "03:00-04:00", "backup window overlapping Sunday's maintenance"),
      change("aws_db_instance", ["maintenance_window"], "sun:02:30-sun:03:30", "maintenance overlapping the daily backup"),
      change("aws_db_instance", ["backup_retention_period"], 36, "36 days of backups"),
    ],
  },
  {
    id: "rds-log-exports",
    resource: "aws_db_instance.enabled_cloudwatch_logs_exports",
    rule: "MySQL logs: audit, error, general, slowquery, iam-db-auth-error; slowquery and general stay empty unless slow_query_log / general_log is 1",
    source: `${DOCS.rdsCreate}; ${DOCS.rdsMysqlLogs}`,
    adjustable: false,
    check: (json, shape) =>
      forEach("aws_db_instance", (r) => {
        const exports = (r.enabled_cloudwatch_logs_exports as string[] | undefined) ?? [];
        const unknown = exports.find((e) => !MYSQL_LOGS.includes(e));
        if (unknown) return `${unknown} is no MySQL log`;
        const empty = exports.find((e) => LOG_PARAMETER[e] && parameters(json)[LOG_PARAMETER[e]] !== "1");
        return empty && `${empty} exported while ${LOG_PARAMETER[empty]} is off: an empty log`;
      })(json, shape),
    bad: [
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], ["error", "slowquery"], "slowquery with slow_query_log off"),
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], ["error", "postgresql"], "a PostgreSQL log"),
    ],
  },
  {
    id: "rds-log-groups-ours",
    resource: "aws_cloudwatch_log_group /aws/rds/instance/<id>/<log>",
    rule: "each exported log goes to /aws/rds/instance/<identifier>/<log>; RDS creates that group itself, without retention, unless it exists first: we create it, with retention, before the instance",
    source: DOCS.rdsLogsToCloudWatch,
    adjustable: false,
    check: (json) =>
      each(json, "aws_db_instance").flatMap(([resource, r]) =>
        ((r.enabled_cloudwatch_logs_exports as string[] | undefined) ?? []).flatMap((log) => {
          const group = each(json, "aws_cloudwatch_log_group").find(([, g]) => g.name === `/aws/rds/instance/${String(r.identifier)}/${log}`);
          if (!group) return [{ resource, message: `no log group of ours for ${log}: RDS makes one that never expires` }];
          if (group[1].retention_in_days === undefined) return [{ resource: group[0], message: "no retention" }];
          return ((r.depends_on as string[] | undefined) ?? []).includes(group[0]) ? [] : [{ resource, message: `created before its ${log} log group` }];
        }),
      ),
    bad: [
      change("aws_cloudwatch_log_group", ["name"], "/aws/rds/instance/other/error", "the group named for another instance", { pick: (r) => String(r.name).startsWith("/aws/rds/") }),
      change("aws_cloudwatch_log_group", ["retention_in_days"], REMOVED, "no retention", { pick: (r) => String(r.name).startsWith("/aws/rds/") }),
      change("aws_db_instance", ["depends_on"], REMOVED, "the instance not waiting for its log group"),
    ],
  },
  {
    id: "rds-failover-outlasts-target-health",
    resource: "aws_lb_target_group.health_check (interval, unhealthy_threshold)",
    rule: `a Multi-AZ failover typically takes 60-${RDS_MULTI_AZ_FAILOVER_SECONDS} s, and readiness (Keycloak's database check) fails through it and the task's recovery: (unhealthy_threshold - 1) x interval must exceed ${failoverNotReadySeconds()} s, or ECS replaces every healthy task at each failover RDS makes for maintenance`,
    source: `${DOCS.rdsFailover}; ${DOCS.ecsServices}`,
    adjustable: false,
    check: forEach("aws_lb_target_group", (r) => {
      const hc = (r.health_check ?? {}) as Res;
      const window = (Number(hc.unhealthy_threshold) - 1) * Number(hc.interval);
      return !(window > failoverNotReadySeconds()) && `${window} s of failed checks mark a target unhealthy, within a failover's ${failoverNotReadySeconds()} s`;
    }),
    bad: [
      change("aws_lb_target_group", ["health_check", "interval"], 10, "the former 10 s interval (90 s)"),
      change("aws_lb_target_group", ["health_check", "unhealthy_threshold"], 8, "8 checks 20 s apart (140 s)"),
    ],
  },
  {
    id: "rds-final-snapshot",
    resource: "aws_db_instance.final_snapshot_identifier",
    rule: "without skip_final_snapshot a final snapshot name is required and must not exist yet: a fixed name fails the second destroy of a recreated stack (DBSnapshotAlreadyExists), so it carries an id of the instance's own",
    source: DOCS.rdsDelete,
    adjustable: false,
    check: forEach("aws_db_instance", (r) => {
      if (r.skip_final_snapshot === true) return undefined;
      if (typeof r.final_snapshot_identifier !== "string") return "no final snapshot name";
      return !/\$\{/.test(r.final_snapshot_identifier) && `fixed final snapshot name ${r.final_snapshot_identifier}`;
    }),
    bad: [
      change("aws_db_instance", ["final_snapshot_identifier"], "keycloak-test-db-final", "a fixed name"),
      change("aws_db_instance", ["final_snapshot_identifier"], REMOVED, "no name"),
    ],
  },
  {
    id: "rds-subnet-group-zones",
    resource: "aws_db_subnet_group.subnet_ids",
    rule: "subnets in at least two availability zones",
    source: DOCS.rdsSubnetGroup,
    adjustable: false,
    check: forEach("aws_db_subnet_group", (g) => (g.subnet_ids as unknown[]).length < 2 && "fewer than two subnets"),
    bad: [change("aws_db_subnet_group", ["subnet_ids"], (g: Res) => (g.subnet_ids as unknown[]).slice(0, 1), "one subnet")],
  },
  {
    id: "rds-mysql-fields",
    resource: "aws_db_instance.username, port, engine_version; aws_db_parameter_group.family",
    rule: "master username 1-16 letters, digits or _, first a letter; port 1150-65535; the parameter group's family mysql<major> matches engine_version",
    source: `${DOCS.rdsCreate}; ${DOCS.rdsParameterGroup}`,
    adjustable: false,
    check: (json, shape) => [
      ...forEach("aws_db_instance", (r) =>
        !/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(String(r.username)) ? `username ${String(r.username)}` : outside(r.port, 1150, 65535) && `port ${String(r.port)}`,
      )(json, shape),
      ...forEach("aws_db_parameter_group", (g) => {
        const versions = each(json, "aws_db_instance").map(([, r]) => `mysql${String(r.engine_version)}`);
        return !versions.includes(String(g.family)) && `family ${String(g.family)} for engine ${versions.join(", ")}`;
      })(json, shape),
    ],
    bad: [
      change("aws_db_instance", ["username"], "keycloak-admin", "a hyphen in the username"),
      change("aws_db_instance", ["port"], 1024, "port 1024"),
      change("aws_db_parameter_group", ["family"], "mysql5.7", "a 5.7 family on 8.4"),
    ],
  },
];
