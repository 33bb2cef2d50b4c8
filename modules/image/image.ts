import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { DB_CA_BUNDLE_PATH, DB_CA_BUNDLE_URL, KEYCLOAK_VERSION, PORTS } from "../shared/constants";
import { checkImageContent, REALMS_DIR } from "./image-content";
import { projectPath } from "../shared/paths";
import type { CpuArchitecture } from "../service/fargate";

/** The official image the Dockerfile builds on (its BASE_IMAGE default, at KEYCLOAK_VERSION). */
export const OFFICIAL_IMAGE = "quay.io/keycloak/keycloak";

/** A content digest, as registries give it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The base image pinned by digest (with no digest the build keeps the Dockerfile's tag: no BASE_IMAGE). */
export function baseImage(digest: string): string {
  return `${OFFICIAL_IMAGE}:${KEYCLOAK_VERSION}@${digest}`;
}

/** The image's build context. */
export const DOCKER_DIR = projectPath("docker");

/** How the stack dir (cdktf.out/stacks/<stack>) reaches the project root at deploy time. */
const PROJECT_ROOT_FROM_STACK = "${path.module}/../../..";

export interface KeycloakImageProps {
  /** Prebuilt image; when set nothing is built. @default "" */
  readonly imageUri: string;
  readonly repositoryUrl: string;
  readonly region: string;
  /** @default "X86_64" */
  readonly cpuArchitecture: CpuArchitecture;
  /** Build context; its themes/ and providers/ go into the image. @default DOCKER_DIR */
  readonly dockerDir?: string;
  /** Realm exports imported on start; the build's second context. @default REALMS_DIR */
  readonly realmsDir?: string;
  /**
   * Digest (`sha256:...`) of the official image at KEYCLOAK_VERSION to build on: the tag can be
   * re-pushed, a digest names one image for good. @default "" (the tag)
   */
  readonly baseImageDigest?: string;
}

/** Build arguments of docker/Dockerfile; the Dockerfile declares them without defaults. */
export const BUILD_ARGS: Readonly<Record<string, string>> = {
  KEYCLOAK_VERSION,
  HTTP_PORT: String(PORTS.http),
  MANAGEMENT_PORT: String(PORTS.management),
  JGROUPS_PORT: String(PORTS.jgroups),
  JGROUPS_FD_PORT: String(PORTS.jgroupsFailureDetection),
  DB_CA_BUNDLE_URL,
  DB_CA_BUNDLE_PATH,
};

export function dockerPlatform(arch: CpuArchitecture): string {
  return arch === "ARM64" ? "linux/arm64" : "linux/amd64";
}

/** SHA-256 over every file's path (under its folder's label) and content; a missing folder adds nothing. */
export function filesDigest(dirs: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  const walk = (path: string): string[] => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    return stat.isDirectory() ? readdirSync(path).sort().flatMap((entry) => walk(join(path, entry))) : [path];
  };
  for (const label of Object.keys(dirs).sort()) {
    for (const file of walk(dirs[label])) {
      hash.update(`${label}/${relative(dirs[label], file)}`).update("\0").update(readFileSync(file)).update("\0");
    }
  }
  return hash.digest("hex");
}

/**
 * Content hash of what goes into the image: the build context (Dockerfile, entrypoint, themes,
 * providers), the realm exports and the build arguments. Same inputs, same tag; any change
 * rolls the service.
 */
export function contextHash(dockerDir: string, realmsDir: string = REALMS_DIR, baseImageDigest = ""): string {
  return createHash("sha256")
    .update(filesDigest({ docker: dockerDir, realms: realmsDir }))
    .update(JSON.stringify(BUILD_ARGS))
    .update(baseImageDigest)
    .digest("hex")
    .slice(0, 16);
}

/**
 * The Keycloak image the service runs: docker/ built and pushed to ECR during deploy,
 * tagged by content hash, or a prebuilt image from configuration.
 */
export class KeycloakImage extends Construct {
  /** Image reference for the task definition. */
  readonly imageUri: string;
  /** The build, when there is one; the task definition waits for it. */
  readonly build?: ITerraformDependable;
  readonly tag?: string;

  constructor(scope: Construct, id: string, props: KeycloakImageProps) {
    super(scope, id);
    if (props.imageUri !== "") {
      this.imageUri = props.imageUri;
      return;
    }
    const dockerDir = props.dockerDir ?? DOCKER_DIR;
    const realmsDir = props.realmsDir ?? REALMS_DIR;
    checkImageContent(dockerDir, realmsDir);
    const digest = props.baseImageDigest ?? "";
    this.tag = `${KEYCLOAK_VERSION}-${contextHash(dockerDir, realmsDir, digest)}`;
    this.imageUri = `${props.repositoryUrl}:${this.tag}`;
    this.build = new Resource(this, "build", {
      triggers: { image: this.imageUri },
      provisioners: [
        {
          type: "local-exec",
          command: `bash "${PROJECT_ROOT_FROM_STACK}/docker/build-and-push.sh"`,
          environment: {
            REPOSITORY_URL: props.repositoryUrl,
            IMAGE_TAG: this.tag,
            PLATFORM: dockerPlatform(props.cpuArchitecture),
            AWS_REGION: props.region,
            ...BUILD_ARGS,
            ...(digest === "" ? {} : { BASE_IMAGE: baseImage(digest) }),
          },
        },
      ],
    });
  }
}
