/**
 * The AWS rules of the ALB's access-log bucket (modules/edge/alb-access-logs.ts): the bucket's
 * name, its lifecycle expiry and the one encryption the ALB can write to. Only shapes with
 * albAccessLogs on have the bucket; the bad cases mutate the last-value shape, which has it.
 */
import type { TerraformJson } from "../../modules/synth";
import { ALB_ACCESS_LOG_SOURCES, ALB_ACCESS_LOG_SSE } from "../../modules/edge/alb-access-logs";
import { S3_BUCKET_NAME, S3_SOURCES } from "../../modules/edge/s3-limits";
import { change, each, forEach, LONG, names, nameProblem, type AwsRule, type Res, type Violation } from "./kit";

const LAST_SHAPE = { shape: "every setting at its last value" };
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** What S3 refuses in a general purpose bucket's name, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  const n = S3_BUCKET_NAME;
  return nameProblem([
    [name.length < n.minLength || name.length > n.maxLength, `${n.minLength} to ${n.maxLength} characters`],
    [!/^[a-z0-9.-]+$/.test(name), "only lowercase letters, digits, dots and hyphens"],
    [!/^[a-z0-9].*[a-z0-9]$/.test(name), "begins and ends with a letter or digit"],
    [name.includes(".."), "no two adjacent periods"],
    [IPV4.test(name), "not formatted as an IP address"],
    [n.reservedPrefixes.some((p) => name.startsWith(p)), `does not start with ${n.reservedPrefixes.join(", ")}`],
    [n.reservedSuffixes.some((s) => name.endsWith(s)), `does not end with ${n.reservedSuffixes.join(", ")}`],
  ]);
}

/** Default encryption of every bucket an ALB logs to: SSE-S3 only. */
function accessLogEncryption(json: TerraformJson): Violation[] {
  const encryptions = each(json, "aws_s3_bucket_server_side_encryption_configuration");
  return each(json, "aws_lb").flatMap(([lb, r]) => {
    const logs = r.access_logs as Res | undefined;
    if (logs?.enabled !== true) return [];
    const bucket = /\$\{(aws_s3_bucket\.[^.}]+)\./.exec(String(logs.bucket))?.[1];
    return encryptions
      .filter(([, e]) => bucket !== undefined && String(e.bucket).includes(`{${bucket}.`))
      .flatMap(([resource, e]) => ((e.rule ?? []) as Res[]).map((rule) => (rule.apply_server_side_encryption_by_default ?? {}) as Res).map((d) => [resource, d] as const))
      .filter(([, d]) => d.sse_algorithm !== ALB_ACCESS_LOG_SSE || d.kms_master_key_id !== undefined)
      .map(([resource, d]) => ({ resource, message: `the bucket ${lb} logs to is encrypted with ${String(d.sse_algorithm)}${d.kms_master_key_id ? " and a KMS key" : ""}; the ALB writes only to SSE-S3 (${ALB_ACCESS_LOG_SSE})` }));
  });
}

const SSE = ["rule", 0, "apply_server_side_encryption_by_default"];
const LIFECYCLE = "aws_s3_bucket_lifecycle_configuration";

export const S3_AWS_RULES: readonly AwsRule[] = [
  {
    id: "s3-bucket-name",
    resource: "aws_s3_bucket.bucket, aws_s3_bucket.bucket_prefix",
    rule: `${S3_BUCKET_NAME.minLength}-${S3_BUCKET_NAME.maxLength} lowercase letters, digits, dots and hyphens; a letter or digit first and last; no two adjacent periods; not an IP address; not starting with ${S3_BUCKET_NAME.reservedPrefixes.join(", ")}; not ending with ${S3_BUCKET_NAME.reservedSuffixes.join(", ")}`,
    source: S3_SOURCES.bucketNames,
    adjustable: false,
    check: names(["aws_s3_bucket"], bucketNameProblem, "bucket"),
    bad: [
      change("aws_s3_bucket", ["bucket_prefix"], `${LONG(38)}-`, "a 39-character prefix (65 with Terraform's suffix)", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket_prefix"], "Keycloak-alb-logs-", "an uppercase letter", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket_prefix"], "-keycloak-alb-logs-", "a leading hyphen", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket_prefix"], "keycloak..alb-logs-", "two adjacent periods", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket_prefix"], "sthree-alb-logs-", "starts with sthree-", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket"], "192.168.5.4", "an IP address", LAST_SHAPE),
      change("aws_s3_bucket", ["bucket"], "keycloak-logs-s3alias", "ends with -s3alias", LAST_SHAPE),
    ],
  },
  {
    id: "s3-lifecycle-expiration-days",
    resource: `${LIFECYCLE}.rule.expiration.days`,
    rule: "a lifecycle rule's expiration is a whole number of days, 1 or more",
    source: S3_SOURCES.lifecycleExpiration,
    adjustable: false,
    check: forEach(LIFECYCLE, (r) =>
      ((r.rule ?? []) as Res[]).flatMap((rule) => ((rule.expiration ?? []) as Res[]).map((e) => e.days))
        .filter((days) => days !== undefined && !(Number.isInteger(Number(days)) && Number(days) >= 1))
        .map((days) => `expiration after ${String(days)} days`).join("; "),
    ),
    bad: [
      change(LIFECYCLE, ["rule", 0, "expiration", 0, "days"], 0, "0 days", LAST_SHAPE),
      change(LIFECYCLE, ["rule", 0, "expiration", 0, "days"], 1.5, "1.5 days", LAST_SHAPE),
    ],
  },
  {
    id: "alb-access-log-bucket-sse-s3",
    resource: "aws_lb.access_logs, aws_s3_bucket_server_side_encryption_configuration",
    rule: `the bucket an ALB writes access logs to is encrypted by default with SSE-S3 (${ALB_ACCESS_LOG_SSE}) and no KMS key: the only server-side encryption ALB access logs support`,
    source: ALB_ACCESS_LOG_SOURCES.enable,
    adjustable: false,
    check: accessLogEncryption,
    bad: [
      change("aws_s3_bucket_server_side_encryption_configuration", [...SSE, "sse_algorithm"], "aws:kms", "SSE-KMS", LAST_SHAPE),
      change("aws_s3_bucket_server_side_encryption_configuration", [...SSE, "sse_algorithm"], "aws:kms:dsse", "dual-layer SSE-KMS", LAST_SHAPE),
      change("aws_s3_bucket_server_side_encryption_configuration", [...SSE, "kms_master_key_id"], "arn:aws:kms:eu-west-1:123456789012:key/k", "a KMS key named", LAST_SHAPE),
    ],
  },
];
