import { onlyResource, synthStack } from "../../modules/synth";

describe("Registry", () => {
  test("the ECR repository has immutable tags and scans on push", () => {
    const repo = onlyResource(synthStack(), "aws_ecr_repository");
    expect(repo).toMatchObject({ image_tag_mutability: "IMMUTABLE", image_scanning_configuration: { scan_on_push: true }, force_delete: false });
  });

  test("the lifecycle policy keeps the configured number of images", () => {
    const policy = JSON.parse(String(onlyResource(synthStack({ ecrKeepImages: 25 }), "aws_ecr_lifecycle_policy").policy));
    expect(policy.rules[0].selection).toEqual({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 25 });
    expect(policy.rules[0].action).toEqual({ type: "expire" });
  });

  test("a throw-away environment lets destroy delete a repository that still has images", () => {
    expect(onlyResource(synthStack({ throwAway: true }), "aws_ecr_repository").force_delete).toBe(true);
  });
});
