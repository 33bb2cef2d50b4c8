import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keycloakContainer, resourcesOf, synthStack } from "../../modules/synth";
import { DOCKER_DIR, contextHash, filesDigest } from "../../modules/image/image";
import { REALMS_DIR } from "../../modules/image/image-content";
import { KEYCLOAK_VERSION, PORTS } from "../../modules/shared/constants";

describe("KeycloakImage", () => {
  const json = synthStack();
  const imageBuild = Object.entries(resourcesOf(json, "null_resource")).find(([name]) => name.startsWith("image_build"))![1] as {
    triggers: { image: string };
    provisioner: { "local-exec": { command: string; environment: Record<string, string> } }[];
  };
  const localExec = imageBuild.provisioner[0]["local-exec"];

  test("the build pushes docker/ and realms/ to the stack's ECR repository with a tag of version and content hash", () => {
    const tag = `${KEYCLOAK_VERSION}-${contextHash(DOCKER_DIR, REALMS_DIR)}`;
    expect(localExec.environment.IMAGE_TAG).toBe(tag);
    expect(localExec.environment.REPOSITORY_URL).toMatch(/^\$\{aws_ecr_repository\..+\.repository_url\}$/);
    expect(localExec.command).toContain("docker/build-and-push.sh");
    expect(imageBuild.triggers.image).toBe(`${localExec.environment.REPOSITORY_URL}:${tag}`);
  });

  test("the build platform follows the task's CPU architecture and the build args come from the constants", () => {
    expect(localExec.environment.PLATFORM).toBe("linux/amd64");
    // Each Dockerfile build arg from its constant; build-and-push.sh run with this environment is in docker.test.ts.
    expect(localExec.environment).toMatchObject({
      KEYCLOAK_VERSION,
      HTTP_PORT: String(PORTS.http),
      MANAGEMENT_PORT: String(PORTS.management),
      JGROUPS_PORT: String(PORTS.jgroups),
      JGROUPS_FD_PORT: String(PORTS.jgroupsFailureDetection),
    });
    const arm = synthStack({ cpuArchitecture: "ARM64" });
    const armBuild = Object.values(resourcesOf(arm, "null_resource")).find((r) => JSON.stringify(r).includes("build-and-push"))!;
    expect(JSON.stringify(armBuild)).toContain("linux/arm64");
  });

  test("a base image digest pins the official image of KEYCLOAK_VERSION by digest; without one the build passes no BASE_IMAGE", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const pinned = Object.values(resourcesOf(synthStack({ baseImageDigest: digest }), "null_resource")).find((r) => JSON.stringify(r).includes("build-and-push")) as typeof imageBuild;
    expect(pinned.provisioner[0]["local-exec"].environment.BASE_IMAGE).toBe(`quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}@${digest}`);
    expect(localExec.environment).not.toHaveProperty("BASE_IMAGE");
  });

  test("the task definition runs exactly the pushed tag", () => {
    expect(keycloakContainer(json).image).toBe(imageBuild.triggers.image);
  });

  describe("the content hash", () => {
    let dir: string;
    let realms: string;
    const original = () => contextHash(DOCKER_DIR, REALMS_DIR);
    const copy = () => contextHash(dir, realms);
    beforeEach(() => {
      const root = mkdtempSync(join(tmpdir(), "kc-docker-"));
      dir = join(root, "docker");
      realms = join(root, "realms");
      cpSync(DOCKER_DIR, dir, { recursive: true });
      cpSync(REALMS_DIR, realms, { recursive: true });
    });
    afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

    test("stays the same when nothing in docker/ or realms/ changes", () => {
      expect(copy()).toBe(original());
    });

    test("changes when a file in docker/ changes", () => {
      appendFileSync(join(dir, "entrypoint.sh"), "\n# changed\n");
      expect(copy()).not.toBe(original());
    });

    test("changes when a file is added to docker/", () => {
      writeFileSync(join(dir, "extra.conf"), "x=1\n");
      expect(copy()).not.toBe(original());
    });

    test("changes when a realm export changes or is added", () => {
      appendFileSync(join(realms, "example.json"), "\n");
      const changed = copy();
      expect(changed).not.toBe(original());
      writeFileSync(join(realms, "shop.json"), JSON.stringify({ realm: "shop" }));
      expect(copy()).not.toBe(changed);
    });

    test("changes when a theme file or a provider JAR changes", () => {
      appendFileSync(join(dir, "themes", "example", "login", "messages", "messages_en.properties"), "doLogIn=Go\n");
      const themed = copy();
      expect(themed).not.toBe(original());
      writeFileSync(join(dir, "providers", "extension.jar"), "PK");
      expect(copy()).not.toBe(themed);
    });

    test("files digest: a name and its content, or one file and the next, never run together; a renamed file changes it; folder order and a missing folder do not", () => {
      const tree = (files: Record<string, string>) => {
        const root = mkdtempSync(join(dir, "tree-"));
        for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
        return root;
      };
      // Without the separator after the path, "x" + "yz" reads as "xy" + "z".
      expect(filesDigest({ a: tree({ x: "yz" }) })).not.toBe(filesDigest({ a: tree({ xy: "z" }) }));
      // Without the separator after the content, two files read as one whose content holds the second.
      expect(filesDigest({ a: tree({ f1: "ab", f2: "c" }) })).not.toBe(filesDigest({ a: tree({ f1: "aba/f2\0c" }) }));
      expect(filesDigest({ a: tree({ f1: "ab" }) })).not.toBe(filesDigest({ a: tree({ f2: "ab" }) }));
      const [one, two] = [tree({ f: "1" }), tree({ g: "2" })];
      expect(filesDigest({ a: one, b: two })).toBe(filesDigest({ b: two, a: one }));
      expect(filesDigest({ a: one, missing: join(dir, "no-such-folder") })).toBe(filesDigest({ a: one }));
    });

    test("tells a file moved between docker/ and realms/ apart", () => {
      writeFileSync(join(dir, "shop.json"), "{}");
      const inDocker = copy();
      rmSync(join(dir, "shop.json"));
      writeFileSync(join(realms, "shop.json"), "{}");
      expect(copy()).not.toBe(inDocker);
    });
  });

  test("a prebuilt image URI removes the build and is used as is", () => {
    const uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26.7.3-custom";
    const prebuilt = synthStack({ imageUri: uri });
    expect(Object.keys(resourcesOf(prebuilt, "null_resource")).filter((n) => n.startsWith("image"))).toEqual([]);
    expect(keycloakContainer(prebuilt).image).toBe(uri);
    expect(JSON.stringify(prebuilt)).not.toContain("build-and-push");
  });
});
