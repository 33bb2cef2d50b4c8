import type { AwsRule } from "./rule";

export const ALB_AWS_RULES: readonly AwsRule[] = [];
