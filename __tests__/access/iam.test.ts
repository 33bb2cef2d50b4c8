import { assumeRolePolicy, ecrPullStatements, policyDocument, privateEcrRepositoryArn } from "../../modules/access/iam";

/** The IAM documents every role of the stack is built from, and the ECR repository an image is pulled from. */

// The IAM policy language's current version; without it IAM reads a document as the 2008 language.
const IAM_VERSION = "2012-10-17";

describe("policyDocument", () => {
  test("allows exactly the given statements, each with Effect Allow, under the current policy language version", () => {
    const doc = JSON.parse(
      policyDocument([
        { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: ["arn:aws:logs:eu-west-1:123456789012:log-group:kc:*"] },
        { actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:eu-west-1:123456789012:parameter/kc/a", "arn:aws:ssm:eu-west-1:123456789012:parameter/kc/b"] },
      ]),
    );
    expect(doc).toStrictEqual({
      Version: IAM_VERSION,
      Statement: [
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: ["arn:aws:logs:eu-west-1:123456789012:log-group:kc:*"] },
        { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: ["arn:aws:ssm:eu-west-1:123456789012:parameter/kc/a", "arn:aws:ssm:eu-west-1:123456789012:parameter/kc/b"] },
      ],
    });
  });

  test("a statement's conditions become its Condition block; a statement without conditions has no Condition key", () => {
    const conditions = { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": ["arn:aws:logs:*:123456789012:*"] } };
    const doc = JSON.parse(
      policyDocument([
        { actions: ["s3:PutObject"], resources: ["arn:aws:s3:::kc-logs/*"], conditions },
        { actions: ["s3:GetBucketAcl"], resources: ["arn:aws:s3:::kc-logs"] },
      ]),
    );
    expect(doc.Statement[0]).toStrictEqual({ Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::kc-logs/*"], Condition: conditions });
    expect(Object.keys(doc.Statement[1])).toEqual(["Effect", "Action", "Resource"]);
  });
});

describe("assumeRolePolicy", () => {
  test("lets exactly the one named service principal assume the role, and nothing else", () => {
    expect(JSON.parse(assumeRolePolicy("ecs-tasks.amazonaws.com"))).toStrictEqual({
      Version: IAM_VERSION,
      Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
  });
});

describe("privateEcrRepositoryArn", () => {
  const account = "123456789012";
  const arn = (partition: string, region: string, repository: string) => `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;

  test("a private ECR image without tag or digest names its repository", () => {
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/keycloak`)).toBe(arn("aws", "eu-west-1", "keycloak"));
  });

  test("the tag or digest is not part of the repository; a repository path with / is kept whole", () => {
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26.7.3-custom`)).toBe(arn("aws", "eu-west-1", "keycloak"));
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/team/keycloak:26.7.3`)).toBe(arn("aws", "eu-west-1", "team/keycloak"));
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/team/keycloak@sha256:${"a".repeat(64)}`)).toBe(arn("aws", "eu-west-1", "team/keycloak"));
  });

  test("the partition follows the region: cn-* is aws-cn (host ending .amazonaws.com.cn), us-gov-* is aws-us-gov, any other is aws", () => {
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.cn-north-1.amazonaws.com.cn/keycloak:26`)).toBe(arn("aws-cn", "cn-north-1", "keycloak"));
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.us-gov-west-1.amazonaws.com/keycloak:26`)).toBe(arn("aws-us-gov", "us-gov-west-1", "keycloak"));
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.us-east-1.amazonaws.com/keycloak:26`)).toBe(arn("aws", "us-east-1", "keycloak"));
    // A region with cn- inside, not at its start, stays in aws.
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.xx-cn-1.amazonaws.com/keycloak:26`)).toBe(arn("aws", "xx-cn-1", "keycloak"));
  });

  test("an account ID is exactly 12 digits: 11, 13 or a non-digit is no private ECR image", () => {
    expect(privateEcrRepositoryArn("12345678901.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26")).toBeUndefined();
    expect(privateEcrRepositoryArn("1234567890123.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26")).toBeUndefined();
    expect(privateEcrRepositoryArn("12345678901a.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26")).toBeUndefined();
    expect(privateEcrRepositoryArn("abcdefghijkl.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26")).toBeUndefined();
  });

  test("the image must start with the ECR host: a registry that merely contains one is another registry", () => {
    expect(privateEcrRepositoryArn(`mirror.example.com/${account}.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26`)).toBeUndefined();
    expect(privateEcrRepositoryArn(`x${account}.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26`)).toBeUndefined();
  });

  test("a region is lower-case letters, digits and dashes", () => {
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.EU-WEST-1.amazonaws.com/keycloak:26`)).toBeUndefined();
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu_west_1.amazonaws.com/keycloak:26`)).toBeUndefined();
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr..amazonaws.com/keycloak:26`)).toBeUndefined();
  });

  test("an empty repository is no image", () => {
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/`)).toBeUndefined();
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/:26`)).toBeUndefined();
    expect(privateEcrRepositoryArn(`${account}.dkr.ecr.eu-west-1.amazonaws.com/@sha256:${"a".repeat(64)}`)).toBeUndefined();
  });

  test("public registries, ECR Public included, need no ECR permission: undefined", () => {
    expect(privateEcrRepositoryArn("quay.io/keycloak/keycloak:26.7.3")).toBeUndefined();
    expect(privateEcrRepositoryArn("public.ecr.aws/keycloak/keycloak:26.7.3")).toBeUndefined();
    expect(privateEcrRepositoryArn("registry.example.com:5000/keycloak:26")).toBeUndefined();
  });
});

describe("ecrPullStatements", () => {
  test("an auth token on any resource (the action has no resource-level permission) and the three layer-pull actions on the one repository", () => {
    const repository = "arn:aws:ecr:eu-west-1:123456789012:repository/team/keycloak";
    expect(ecrPullStatements(repository)).toStrictEqual([
      { actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      { actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: [repository] },
    ]);
  });
});
