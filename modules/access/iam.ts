/** Small helpers for IAM JSON documents, so every policy in the stack reads the same way. */

export interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** The IAM policy language version every policy document of the stack is written in. */
export const IAM_POLICY_VERSION = "2012-10-17";

/** An identity policy that allows exactly the given statements. */
export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({
    Version: IAM_POLICY_VERSION,
    Statement: statements.map((s) => ({
      Effect: "Allow",
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** A trust policy letting one AWS service assume the role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: IAM_POLICY_VERSION,
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** A private ECR image: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`. */
const PRIVATE_ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?:[:@].*)?$/;

/** ARN of the private ECR repository an image is pulled from; undefined for any other registry. */
export function privateEcrRepositoryArn(imageUri: string): string | undefined {
  const m = PRIVATE_ECR_IMAGE.exec(imageUri);
  if (!m) return undefined;
  const [, account, region, repository] = m;
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

/**
 * What a task execution role needs to pull an image from a private ECR repository
 * (AmazonECSTaskExecutionRolePolicy's ECR part, scoped to the one repository).
 */
export function ecrPullStatements(repositoryArn: string): Statement[] {
  return [
    // GetAuthorizationToken has no resource-level permissions.
    { actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
    { actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: [repositoryArn] },
  ];
}
