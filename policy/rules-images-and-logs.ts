/** Policy rules on the image registry and the log groups (rules.ts lists them all). */
import { REMOVED } from "./mutation";
import { change, each, forEach, type Res, type Rule } from "./rule-kit";

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
