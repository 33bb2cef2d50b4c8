/**
 * The table of AWS rules we depend on: every quota, length, character set, range and
 * cross-field rule of the resources we synthesize that `terraform plan` does not check.
 * The unit suite checks every row on every shape (policy/aws-rules/shapes.ts) and fires
 * every row's bad cases; the README's "What we check that a plan cannot" is generated from it.
 */
import type { AwsRule } from "./rule";
import { NAME_RULES } from "./names";
import { ALB_AWS_RULES } from "./alb";
import { NETWORK_RULES } from "./network";
import { ECS_RULES } from "./ecs";
import { RDS_RULES } from "./rds";
import { IAM_ECR_RULES } from "./iam-ecr";
import { MONITORING_RULES } from "./monitoring";
import { WAF_AWS_RULES } from "./waf";
import { S3_AWS_RULES } from "./s3";

export type { AwsRule } from "./rule";

export const AWS_RULES: readonly AwsRule[] = [...NAME_RULES, ...ALB_AWS_RULES, ...NETWORK_RULES, ...ECS_RULES, ...RDS_RULES, ...IAM_ECR_RULES, ...MONITORING_RULES, ...WAF_AWS_RULES, ...S3_AWS_RULES];
