/** Policy rules on the image registry, the log groups and the access-log bucket (rules.ts lists them all). */
import type { TerraformJson } from "../modules/synth";
import { REMOVED } from "./mutation";
import { change, each, forEach, type Res, type Rule } from "./rule-kit";
import { ALB_ACCESS_LOGS_SHAPE } from "./shapes";

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

/** The resources of `type` whose `bucket` refers to `bucket` (`aws_s3_bucket.X`). */
const ofBucket = (json: TerraformJson, type: string, bucket: string) => each(json, type).map(([, r]) => r).filter((r) => String(r.bucket).includes(`{${bucket}.`));

/** Does the policy text deny every request made without TLS? */
function deniesPlainHttp(policy: unknown): boolean {
  try {
    const statements = (JSON.parse(String(policy)) as { Statement: Res[] }).Statement;
    return statements.some((s) => s.Effect === "Deny" && s.Principal === "*" && s.Action === "s3:*" &&
      ((s.Condition as Res | undefined)?.Bool as Res | undefined)?.["aws:SecureTransport"] === "false");
  } catch {
    return false;
  }
}

/** What a bucket of ours lacks: its public access block, its TLS-only policy, its expiry. */
function bucketProblems(json: TerraformJson, bucket: string): string[] {
  const blocks = ofBucket(json, "aws_s3_bucket_public_access_block", bucket);
  const policies = ofBucket(json, "aws_s3_bucket_policy", bucket);
  const lifecycles = ofBucket(json, "aws_s3_bucket_lifecycle_configuration", bucket);
  return [
    !blocks.some((b) => PUBLIC_ACCESS_FLAGS.every((f) => b[f] === true)) && "public access is not blocked on all four counts",
    !policies.some((p) => deniesPlainHttp(p.policy)) && "no policy denies requests without TLS (aws:SecureTransport false)",
    !lifecycles.some((l) => ((l.rule as Res[] | undefined) ?? []).some((r) => r.status === "Enabled" && ((r.expiration as Res[] | undefined) ?? []).some((e) => Number(e.days) > 0))) && "no enabled lifecycle rule expires its objects",
  ].filter((p): p is string => typeof p === "string");
}

export const IMAGES_AND_LOGS_RULES: readonly Rule[] = [
  {
    id: "ECR_IMMUTABLE_TAGS",
    checkov: { id: "CKV_AWS_51", source: "resource/aws/ECRImmutableTags.py" },
    rationale: "A tag always means the same image: the task definition's tag is the build's content hash.",
    check: forEach("aws_ecr_repository", (r) => r.image_tag_mutability !== "IMMUTABLE" && "tags are mutable"),
    bad: [change("aws_ecr_repository", ["image_tag_mutability"], "MUTABLE", "mutable tags")],
  },
  {
    id: "ECR_SCAN_ON_PUSH",
    checkov: { id: "CKV_AWS_163", source: "resource/aws/ECRImageScanning.py" },
    rationale: "Every pushed image is scanned for known vulnerabilities.",
    check: forEach("aws_ecr_repository", (r) => (r.image_scanning_configuration as Res | undefined)?.scan_on_push !== true && "scan_on_push is not true"),
    bad: [
      change("aws_ecr_repository", ["image_scanning_configuration", "scan_on_push"], false, "no scan on push"),
      change("aws_ecr_repository", ["image_scanning_configuration"], REMOVED, "no scanning configuration"),
    ],
  },
  {
    id: "ECR_LIFECYCLE_POLICY",
    rationale: "Old images expire instead of accumulating cost.",
    check: (json) => {
      const policies = each(json, "aws_ecr_lifecycle_policy").map(([, r]) => String(r.repository));
      return each(json, "aws_ecr_repository")
        .filter(([resource]) => !policies.some((p) => p.includes(`{${resource}.`)))
        .map(([resource]) => ({ resource, message: "no lifecycle policy" }));
    },
    bad: [change("aws_ecr_lifecycle_policy", ["repository"], "some-other-repository", "the lifecycle policy is another repository's")],
  },
  {
    id: "S3_BUCKET_PRIVATE_TLS_EXPIRING",
    rationale: "The access-log bucket (albAccessLogs) holds every client address: public access blocked, reachable over TLS only, and its logs expire.",
    check: (json) => each(json, "aws_s3_bucket").flatMap(([resource]) => bucketProblems(json, resource).map((message) => ({ resource, message }))),
    bad: [
      ...PUBLIC_ACCESS_FLAGS.map((f) => change("aws_s3_bucket_public_access_block", [f], false, `${f} false`, { shape: ALB_ACCESS_LOGS_SHAPE })),
      change("aws_s3_bucket_policy", ["policy", "Statement", 1, "Condition", "Bool", "aws:SecureTransport"], "true", "the TLS deny turned around", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_policy", ["policy", "Statement", 1, "Effect"], "Allow", "the TLS statement allows", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_policy", ["policy", "Statement", 1, "Principal"], { AWS: "arn:aws:iam::123456789012:root" }, "the TLS deny binds one account, not everyone", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_policy", ["policy", "Statement", 1, "Action"], "s3:GetObject", "the TLS deny covers reads only", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_lifecycle_configuration", ["rule", 0, "status"], "Disabled", "the expiry disabled", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_lifecycle_configuration", ["rule", 0, "expiration"], REMOVED, "no expiration", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_lifecycle_configuration", ["rule", 0, "expiration", 0, "days"], 0, "an expiration of 0 days (none)", { shape: ALB_ACCESS_LOGS_SHAPE }),
      change("aws_s3_bucket_lifecycle_configuration", ["bucket"], "another-bucket", "the expiry is another bucket's", { shape: ALB_ACCESS_LOGS_SHAPE }),
    ],
  },
  {
    id: "LOG_RETENTION_SET",
    checkov: { id: "CKV_AWS_66", source: "resource/aws/CloudWatchLogGroupRetention.py" },
    rationale: "Every log group has a retention period, so logs neither vanish nor grow forever.",
    check: forEach("aws_cloudwatch_log_group", (r) => !(Number(r.retention_in_days) > 0) && "no retention_in_days"),
    bad: [
      change("aws_cloudwatch_log_group", ["retention_in_days"], REMOVED, "kept forever"),
      change("aws_cloudwatch_log_group", ["retention_in_days"], 0, "retention 0 (never expire)"),
    ],
  },
];
