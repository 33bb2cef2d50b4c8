import { join } from "node:path";
import { installDatabaseCa, type TestCa } from "./database-tls";
import { builtImage, type BuiltImage } from "./image-build";
import { ImageContainer } from "./image-runner";
import { keycloakDist, nodeHome, type KeycloakDist } from "../../tools/keycloak-dist";
import { nodeEnvironment } from "./keycloak-node";
import { KEYCLOAK_VERSION } from "../../modules/shared/constants";

/**
 * What the e2e's nodes run: the image built from docker/ (image-build.ts, image-runner.ts), or
 * with KEYCLOAK_E2E_RUNTIME=dist the built distribution behind docker/entrypoint.sh (faster to
 * iterate on; not what Fargate runs).
 */

export type RuntimeKind = "image" | "dist";

export function runtimeKind(): RuntimeKind {
  const kind = process.env.KEYCLOAK_E2E_RUNTIME ?? "image";
  if (kind !== "image" && kind !== "dist") throw new Error(`KEYCLOAK_E2E_RUNTIME='${kind}': use image or dist`);
  return kind;
}

/** A node's files and environment, for KeycloakNode's options. */
export interface NodeFiles {
  home: string;
  environment: Record<string, string>;
  image?: ImageContainer;
}

export class NodeRuntime {
  private constructor(
    readonly kind: RuntimeKind,
    readonly dist: KeycloakDist,
    readonly image?: BuiltImage,
  ) {}

  /** Builds (or takes from the cache) what nodes run, with the build options `overrides`. */
  static async prepare(overrides: Record<string, string>, version = KEYCLOAK_VERSION, kind: RuntimeKind = runtimeKind()): Promise<NodeRuntime> {
    const dist = keycloakDist(overrides, version);
    return new NodeRuntime(kind, dist, kind === "image" ? await builtImage(overrides, version) : undefined);
  }

  /** The CA the database's certificate must chain to: the one the image was built with, else none yet. */
  get databaseCa(): TestCa | undefined {
    return this.image?.ca;
  }

  /** For the summary: what ran and how long making it took. */
  describe(): string {
    if (this.image === undefined) return `Nodes ran from the distribution (KEYCLOAK_E2E_RUNTIME=dist), ${this.dist.built ? `built in ${this.dist.buildSeconds.toFixed(0)} s` : "cached"}.`;
    const made = this.image.built ? `built in ${this.image.buildSeconds.toFixed(0)} s (base stand-in ${this.image.baseSeconds.toFixed(0)} s)` : "cached";
    return `Nodes ran from the image built from docker/ (${(this.image.sizeBytes / 1e6).toFixed(0)} MB, ${made}), read-only root, as ${this.image.config.User}.`;
  }

  /**
   * The files of node `name` under `dir` and its environment; the distribution's home trusts `ca`.
   * `dist`: another release than the runtime's (an upgrade's new task definition); only the
   * distribution runtime can switch, the image is built for one release.
   */
  node(name: string, dir: string, ca: TestCa, task: Record<string, string>, secrets: Record<string, string>, heap?: string, dist = this.dist): NodeFiles {
    const heapEnvironment: Record<string, string> = heap === undefined ? {} : { JAVA_OPTS_KC_HEAP: heap };
    if (this.image !== undefined && dist !== this.dist) {
      throw new Error(`${name}: switching to Keycloak ${dist.version} needs KEYCLOAK_E2E_RUNTIME=dist (the image is built for ${this.dist.version})`);
    }
    if (this.image !== undefined) {
      const image = new ImageContainer(this.image, join(dir, name));
      return { home: join(dir, name, "home"), environment: image.environment(task, secrets, heapEnvironment), image };
    }
    const home = nodeHome(dist, join(dir, name));
    installDatabaseCa(home, ca);
    return { home, environment: nodeEnvironment(task, secrets, home, heap) };
  }
}
