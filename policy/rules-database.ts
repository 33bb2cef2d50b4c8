/** Policy rules on the RDS database: encryption, exposure, backups, availability, credentials, logs (rules.ts lists them all). */
import { REMOVED } from "./mutation";
import { change, forEach, type Rule } from "./rule-kit";

export const DATABASE_RULES: readonly Rule[] = [
  {
    id: "RDS_ENCRYPTED",
    checkov: { id: "CKV_AWS_16", source: "resource/aws/RDSEncryption.py" },
    rationale: "Database storage, snapshots and backups are encrypted at rest.",
    check: forEach("aws_db_instance", (r) => r.storage_encrypted !== true && "storage_encrypted is not true"),
    bad: [
      change("aws_db_instance", ["storage_encrypted"], false, "unencrypted"),
      change("aws_db_instance", ["storage_encrypted"], REMOVED, "left to the default (unencrypted)"),
    ],
  },
  {
    id: "RDS_NOT_PUBLIC",
    checkov: { id: "CKV_AWS_17", source: "resource/aws/RDSPubliclyAccessible.py" },
    rationale: "The database has no public endpoint; only the tasks and the bastion reach it.",
    check: forEach("aws_db_instance", (r) => r.publicly_accessible !== false && "publicly_accessible is not false"),
    bad: [
      change("aws_db_instance", ["publicly_accessible"], true, "public endpoint"),
      change("aws_db_instance", ["publicly_accessible"], REMOVED, "not said explicitly"),
    ],
  },
  {
    id: "RDS_BACKUPS_7_DAYS",
    checkov: { id: "CKV_AWS_133", source: "resource/aws/DBInstanceBackupRetentionPeriod.py" },
    rationale: "At least a week of point-in-time recovery.",
    check: forEach("aws_db_instance", (r) => !(Number(r.backup_retention_period) >= 7) && `backup_retention_period ${r.backup_retention_period}`),
    bad: [
      change("aws_db_instance", ["backup_retention_period"], 6, "six days"),
      change("aws_db_instance", ["backup_retention_period"], REMOVED, "left to the default (1 day)"),
    ],
  },
  {
    id: "RDS_MULTI_AZ",
    checkov: { id: "CKV_AWS_157", source: "resource/aws/RDSMultiAZEnabled.py" },
    rationale: "A highly available Keycloak needs a database that survives a zone.",
    check: forEach("aws_db_instance", (r, shape) => shape.highAvailability && r.multi_az !== true && "multi_az is not true"),
    bad: [change("aws_db_instance", ["multi_az"], false, "single-AZ database under an HA service")],
  },
  {
    id: "RDS_DELETION_PROTECTION",
    checkov: { id: "CKV_AWS_293", source: "resource/aws/RDSInstanceDeletionProtection.py" },
    rationale: "A stray destroy or replacement cannot drop the database (the throw-away switch turns it off deliberately).",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && r.deletion_protection !== true && "deletion_protection is not true"),
    bad: [change("aws_db_instance", ["deletion_protection"], false, "unprotected kept database")],
  },
  {
    id: "RDS_FINAL_SNAPSHOT",
    rationale: "Destroying a kept database leaves a final snapshot.",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && (r.skip_final_snapshot !== false || !r.final_snapshot_identifier) && "no final snapshot"),
    bad: [
      change("aws_db_instance", ["skip_final_snapshot"], true, "final snapshot skipped"),
      change("aws_db_instance", ["final_snapshot_identifier"], REMOVED, "no name for the final snapshot"),
    ],
  },
  {
    id: "RDS_AUTO_MINOR_UPGRADES",
    checkov: { id: "CKV_AWS_226", source: "resource/aws/DBInstanceMinorUpgrade.py" },
    rationale: "Security patches of the MySQL minor version apply in the maintenance window.",
    check: forEach("aws_db_instance", (r) => r.auto_minor_version_upgrade !== true && "auto_minor_version_upgrade is not true"),
    bad: [change("aws_db_instance", ["auto_minor_version_upgrade"], false, "minor upgrades off")],
  },
  {
    // No checkov id: CKV_AWS_161 (RDSIAMAuthentication.py) checks IAM database
    // authentication only, which says nothing about where the master password lives.
    id: "RDS_MANAGED_MASTER_PASSWORD",
    rationale: "No master password in code or state: RDS keeps it in Secrets Manager.",
    check: forEach("aws_db_instance", (r) => (r.password !== undefined || r.manage_master_user_password !== true) && "master password not managed by RDS"),
    bad: [
      change("aws_db_instance", ["password"], "hunter2hunter2", "a literal master password"),
      change("aws_db_instance", ["manage_master_user_password"], false, "password not managed by RDS"),
    ],
  },
  {
    id: "RDS_LOGS_EXPORTED",
    checkov: { id: "CKV_AWS_129", source: "resource/aws/DBInstanceLogging.py" },
    rationale: "The error log goes to CloudWatch, where it outlives the instance.",
    check: forEach("aws_db_instance", (r) => !((r.enabled_cloudwatch_logs_exports as string[] | undefined)?.includes("error")) && "error log not exported"),
    bad: [
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], ["slowquery"], "error log not exported"),
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], REMOVED, "no log exported"),
    ],
  },
  {
    id: "RDS_COPY_TAGS_TO_SNAPSHOTS",
    checkov: { id: "CKV2_AWS_60", source: "graph_checks/aws/RDSEnableCopyTagsToSnapshot.yaml" },
    rationale: "Snapshots keep the tags that say what they belong to.",
    check: forEach("aws_db_instance", (r) => r.copy_tags_to_snapshot !== true && "copy_tags_to_snapshot is not true"),
    bad: [change("aws_db_instance", ["copy_tags_to_snapshot"], false, "snapshots untagged")],
  },
];
