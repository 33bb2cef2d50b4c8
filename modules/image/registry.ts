import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";

export interface RegistryProps {
  readonly namePrefix: string;
  /** Images the lifecycle policy keeps. @default 10 */
  readonly keepImages: number;
  /** Let destroy delete a repository that still holds images. @default false */
  readonly forceDelete: boolean;
}

/** ECR repository for the Keycloak image: immutable tags, scanned on push, pruned. */
export class Registry extends Construct {
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
  readonly repositoryName: string;

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id);
    const repo = new EcrRepository(this, "repository", {
      name: `${props.namePrefix}/keycloak`,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
      forceDelete: props.forceDelete,
    });
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: repo.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${props.keepImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: props.keepImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
    this.repositoryUrl = repo.repositoryUrl;
    this.repositoryArn = repo.arn;
    this.repositoryName = repo.name;
  }
}
