import { onlyResource, synthStack, testConfig } from "../../modules/synth";

describe("Registry", () => {
  test("the ECR repository is <prefix>/keycloak, has immutable tags, scans on push and is encrypted with AES256", () => {
    const repo = onlyResource(synthStack(), "aws_ecr_repository");
    expect(repo).toMatchObject({
      name: `${testConfig().namePrefix}/keycloak`,
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
      force_delete: false,
    });
  });

  test("the lifecycle policy keeps the configured number of images", () => {
    const lifecycle = onlyResource(synthStack({ ecrKeepImages: 25 }), "aws_ecr_lifecycle_policy");
    expect(lifecycle.repository).toMatch(/^\$\{aws_ecr_repository\.[^}]+\.name\}$/);
    expect(JSON.parse(String(lifecycle.policy))).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: "Keep the last 25 images",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 25 },
          action: { type: "expire" },
        },
      ],
    });
  });

  test("a throw-away environment lets destroy delete a repository that still has images", () => {
    expect(onlyResource(synthStack({ throwAway: true }), "aws_ecr_repository").force_delete).toBe(true);
  });
});
