import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { DB_CHARSET, DB_COLLATION, DB_HOST_LABEL, PORTS } from "../shared/constants";
import type { MysqlVersion } from "./engine";

export interface DatabaseProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  /** @default "8.4" */
  readonly mysqlVersion: MysqlVersion;
  /** @default "db.t4g.small" */
  readonly instanceClass: string;
  /** @default 20 */
  readonly allocatedStorageGb: number;
  /** @default 100 */
  readonly maxAllocatedStorageGb: number;
  /** @default true */
  readonly multiAz: boolean;
  /** @default 7 */
  readonly backupRetentionDays: number;
  /** Daily UTC backup window, `hh24:mi-hh24:mi`. @default "02:00-03:00" */
  readonly backupWindow: string;
  /** Weekly UTC maintenance window, `ddd:hh24:mi-ddd:hh24:mi`. @default "sun:03:30-sun:04:30" */
  readonly maintenanceWindow: string;
  /** No deletion protection and no final snapshot. @default false */
  readonly throwAway: boolean;
  /** Private hosted zone; the database is reachable as `db.<zone>`. @default "keycloak.internal" */
  readonly privateZoneName: string;
  /** Retention of the exported RDS logs. @default 30 */
  readonly logRetentionDays: number;
}

/**
 * Logs RDS exports to CloudWatch. Only `error`: `slowquery` stays empty while `slow_query_log`
 * is off (MySQL's default), and turning it on costs I/O for a log nobody reads by default.
 */
export const RDS_LOG_EXPORTS = ["error"] as const;

/** MySQL parameters Keycloak's database guide asks for. */
export const MYSQL_PARAMETERS: Readonly<Record<string, string>> = {
  // MySQL 8.0.30+ otherwise adds invisible primary keys and Keycloak's schema init fails (error 1068).
  sql_generate_invisible_primary_key: "0",
  character_set_server: DB_CHARSET,
  collation_server: DB_COLLATION,
};

/**
 * MySQL parameters that protect the connection. They are dynamic and applied at once, so an
 * instance deployed before them enforces them at the next apply, without waiting for a reboot.
 */
export const MYSQL_IMMEDIATE_PARAMETERS: Readonly<Record<string, string>> = {
  // Refuses every connection without TLS (MySQL error 3159), whatever the client asks for.
  require_secure_transport: "1",
};

/** RDS MySQL in the private subnets, reachable only from the security groups allowed in. */
export class Database extends Construct {
  readonly instanceIdentifier: string;
  /** RDS endpoint host (without port): the name in the instance's TLS certificate. */
  readonly address: string;
  readonly port: number;
  /**
   * Private DNS name `db.<zone>` for people and tools inside the VPC. Keycloak and the setup
   * script connect to `address` instead: RDS certificates name the endpoint, not this CNAME.
   */
  readonly hostName: string;
  readonly privateZoneId: string;
  readonly securityGroupId: string;
  /** Secrets Manager secret with the master credentials, created and rotated by RDS. */
  readonly masterSecretArn: string;
  /** What must exist before anything connects to `hostName` (instance and DNS record). */
  readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const name = `${props.namePrefix}-db`;

    const sg = new SecurityGroup(this, "sg", {
      name,
      description: "Keycloak database: MySQL only from the Keycloak tasks and the bastion",
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = sg.id;

    const subnets = new DbSubnetGroup(this, "subnets", {
      name,
      subnetIds: props.privateSubnetIds,
      tags: { Name: name },
    });

    const family = `mysql${props.mysqlVersion}`;
    const parameters = new DbParameterGroup(this, "parameters", {
      namePrefix: `${props.namePrefix}-${family.replace(".", "-")}-`,
      family,
      // Unchanged on purpose: a new description replaces the group, and RDS would switch an existing
      // instance to the new group only in its next maintenance window.
      description: "Keycloak: utf8mb4, no invisible primary keys",
      parameter: [
        ...Object.entries(MYSQL_PARAMETERS).map(([paramName, value]) => ({ name: paramName, value, applyMethod: "pending-reboot" })),
        ...Object.entries(MYSQL_IMMEDIATE_PARAMETERS).map(([paramName, value]) => ({ name: paramName, value, applyMethod: "immediate" })),
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    this.port = PORTS.mysql;
    // RDS would create /aws/rds/instance/<id>/<log> itself on the first export, unmanaged and
    // never expiring; created here first, it has our retention and goes with the stack.
    const logGroups = RDS_LOG_EXPORTS.map(
      (log) => new CloudwatchLogGroup(this, `logs-${log}`, { name: `/aws/rds/instance/${name}/${log}`, retentionInDays: props.logRetentionDays }),
    );
    // A random id made once per instance name and kept in state (null_resource's id): the second
    // destroy of a recreated stack does not meet the first one's snapshot (DBSnapshotAlreadyExists),
    // and unlike timestamp() it does not change the plan every time.
    const snapshotSuffix = props.throwAway ? undefined : new NullResource(this, "final-snapshot-suffix", { triggers: { identifier: name } });
    const db = new DbInstance(this, "instance", {
      identifier: name,
      engine: "mysql",
      engineVersion: props.mysqlVersion,
      instanceClass: props.instanceClass,
      allocatedStorage: props.allocatedStorageGb,
      maxAllocatedStorage: props.maxAllocatedStorageGb,
      storageType: "gp3",
      storageEncrypted: true,
      port: this.port,
      username: "kcadmin",
      manageMasterUserPassword: true,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [sg.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      multiAz: props.multiAz,
      backupRetentionPeriod: props.backupRetentionDays,
      backupWindow: props.backupWindow,
      maintenanceWindow: props.maintenanceWindow,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      // Major upgrades are a deliberate change of mysqlVersion, never a surprise.
      allowMajorVersionUpgrade: false,
      deletionProtection: !props.throwAway,
      skipFinalSnapshot: props.throwAway,
      finalSnapshotIdentifier: snapshotSuffix && `${name}-final-${snapshotSuffix.id}`,
      enabledCloudwatchLogsExports: [...RDS_LOG_EXPORTS],
      caCertIdentifier: "rds-ca-rsa2048-g1",
      tags: { Name: name },
      dependsOn: logGroups,
    });
    this.instanceIdentifier = db.identifier;
    this.address = db.address;
    this.masterSecretArn = db.masterUserSecret.get(0).secretArn;

    const zone = new Route53Zone(this, "private-zone", {
      name: props.privateZoneName,
      comment: "Keycloak private names",
      vpc: [{ vpcId: props.vpcId }],
      forceDestroy: props.throwAway,
    });
    this.privateZoneId = zone.zoneId;
    const record = new Route53Record(this, "db-record", {
      zoneId: zone.zoneId,
      name: `${DB_HOST_LABEL}.${props.privateZoneName}`,
      type: "CNAME",
      ttl: 60,
      records: [db.address],
    });
    this.hostName = `${DB_HOST_LABEL}.${props.privateZoneName}`;
    this.dependables = [db, record];
  }

  /** Lets a security group reach MySQL; the rule lives with the database it protects. */
  allowFrom(id: string, sourceSecurityGroupId: string, description: string): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, `in-${id}`, {
      securityGroupId: this.securityGroupId,
      description,
      ipProtocol: "tcp",
      fromPort: this.port,
      toPort: this.port,
      referencedSecurityGroupId: sourceSecurityGroupId,
    });
  }
}
