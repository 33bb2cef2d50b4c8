import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { checkImageContent, KEYCLOAK_START_COMMAND, providerProblems, realmProblems, realmProtectionProblems, REALMS_DIR, themeProblems } from "../../modules/image/image-content";
import { DOCKER_DIR, KeycloakImage } from "../../modules/image/image";
import { keycloakContainer, synthStack } from "../../modules/synth";
import { TempDirs } from "../support/temp-dir";

/** The realms, themes and providers the image ships: what the repository holds, and what fails the synth. */

const tempDirs = new TempDirs();
afterAll(() => tempDirs.removeAll());

/** A copy of the build context and the realms, to break one file at a time. */
function contentCopy(): { dockerDir: string; realmsDir: string } {
  const root = tempDirs.make("kc-content-");
  const dockerDir = join(root, "docker");
  const realmsDir = join(root, "realms");
  cpSync(DOCKER_DIR, dockerDir, { recursive: true });
  cpSync(REALMS_DIR, realmsDir, { recursive: true });
  return { dockerDir, realmsDir };
}

function synthImage(dockerDir: string, realmsDir: string): void {
  const stack = new TerraformStack(Testing.app(), "content");
  new KeycloakImage(stack, "image", {
    imageUri: "",
    repositoryUrl: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak",
    region: "eu-west-1",
    cpuArchitecture: "X86_64",
    dockerDir,
    realmsDir,
  });
}

const exampleRealm = () => JSON.parse(readFileSync(join(REALMS_DIR, "example.json"), "utf8")) as Record<string, unknown>;

describe("the repository's realms, themes and providers", () => {
  test("every shipped realm has brute-force detection with temporary lockouts and saves its login events with an expiry", () => {
    expect(realmProtectionProblems()).toEqual([]);
    // What the check looks at, on the shipped example.
    expect(exampleRealm()).toMatchObject({ bruteForceProtected: true, permanentLockout: false, eventsEnabled: true });
  });

  test("a realm without brute-force detection, with permanent lockout, or without saved login events is named", () => {
    const { realmsDir } = contentCopy();
    const file = join(realmsDir, "example.json");
    const { bruteForceProtected: _, eventsExpiration: __, ...rest } = exampleRealm();
    writeFileSync(file, JSON.stringify({ ...rest, permanentLockout: true, enabledEventTypes: ["LOGOUT"] }));
    expect(realmProtectionProblems(realmsDir)).toEqual([
      "realms/example.json: bruteForceProtected is not true",
      "realms/example.json: permanentLockout is true (anyone can lock a user out for good)",
      "realms/example.json: eventsExpiration is not set (events kept forever)",
      "realms/example.json: enabledEventTypes does not save LOGIN, LOGIN_ERROR",
    ]);
  });

  test("are valid: the synth of the stack does not throw on them", () => {
    expect(() => checkImageContent(DOCKER_DIR, REALMS_DIR)).not.toThrow();
  });

  test("the example realm has a client, uses the example login theme and holds no user or credential", () => {
    const realm = exampleRealm();
    expect(realm).toMatchObject({ realm: "example", loginTheme: "example", clients: [expect.objectContaining({ clientId: "example-app", publicClient: true })] });
    expect(realm.users).toBeUndefined();
    expect(themeProblems(join(DOCKER_DIR, "themes"))).toEqual([]);
  });

  test("the container starts with --import-realm, which imports without overwriting realms that exist", () => {
    expect(keycloakContainer(synthStack()).command).toEqual([...KEYCLOAK_START_COMMAND]);
    expect(KEYCLOAK_START_COMMAND).toContain("--import-realm");
  });
});

describe("bad realm exports fail the synth with the file's name", () => {
  let dirs: { dockerDir: string; realmsDir: string };
  beforeEach(() => {
    dirs = contentCopy();
  });

  test.each([
    ["not JSON", "broken.json", "{ realm: broken", /realms\/broken\.json: not valid JSON/],
    ["no realm name", "nameless.json", JSON.stringify({ enabled: true }), /realms\/nameless\.json: has no "realm" name/],
    ["an array", "list.json", "[]", /realms\/list\.json: not a realm export/],
    ["a file name that is not the realm's", "other.json", JSON.stringify({ realm: "shop" }), /realms\/other\.json: defines realm "shop"; name the file shop\.json/],
    ["the master realm", "master.json", JSON.stringify({ realm: "master" }), /realms\/master\.json: the master realm exists before the import/],
    ["a file Keycloak would not read", "notes.txt", "x", /realms\/notes\.txt: not a \.json file/],
  ])("%s", (_what, name, text, message) => {
    writeFileSync(join(dirs.realmsDir, name), text);
    expect(() => synthImage(dirs.dockerDir, dirs.realmsDir)).toThrow(message);
  });

  test("a client secret or a user's password in an export names the file and the JSON path", () => {
    const realm: Record<string, unknown> = { ...exampleRealm(), realm: "leaky" };
    (realm.clients as Record<string, unknown>[])[0].secret = "s3cr3t-value";
    realm.users = [{ username: "alice", credentials: [{ type: "password", value: "alice-password" }] }];
    writeFileSync(join(dirs.realmsDir, "leaky.json"), JSON.stringify(realm));
    expect(realmProblems(dirs.realmsDir)).toEqual([expect.stringMatching(/realms\/leaky\.json: holds credentials \(clients\[0\]\.secret, users\[0\]\.credentials\)/)]);
    expect(() => synthImage(dirs.dockerDir, dirs.realmsDir)).toThrow(/leaky\.json: holds credentials/);
  });

  test("empty credential fields (as in a partial export) are not credentials", () => {
    writeFileSync(join(dirs.realmsDir, "quiet.json"), JSON.stringify({ realm: "quiet", users: [{ username: "bob", credentials: [] }], smtpServer: { password: "" } }));
    expect(realmProblems(dirs.realmsDir)).toEqual([]);
  });

  test("a missing realms folder means no realms", () => {
    rmSync(dirs.realmsDir, { recursive: true });
    expect(realmProblems(dirs.realmsDir)).toEqual([]);
  });
});

describe("bad themes and providers fail the synth with the file's name", () => {
  let dirs: { dockerDir: string; realmsDir: string };
  beforeEach(() => {
    dirs = contentCopy();
  });

  test("a theme type folder without theme.properties", () => {
    mkdirSync(join(dirs.dockerDir, "themes", "brand", "login"), { recursive: true });
    writeFileSync(join(dirs.dockerDir, "themes", "brand", "login", "login.ftl"), "<#-- -->");
    expect(() => synthImage(dirs.dockerDir, dirs.realmsDir)).toThrow(/docker\/themes\/brand\/login\/theme\.properties: missing/);
  });

  test("the example theme without its theme.properties", () => {
    rmSync(join(dirs.dockerDir, "themes", "example", "login", "theme.properties"));
    expect(() => synthImage(dirs.dockerDir, dirs.realmsDir)).toThrow(/themes\/example\/login\/theme\.properties: missing/);
  });

  test("a theme folder that holds no theme type, or a file where a type folder belongs", () => {
    mkdirSync(join(dirs.dockerDir, "themes", "empty"));
    mkdirSync(join(dirs.dockerDir, "themes", "flat"));
    writeFileSync(join(dirs.dockerDir, "themes", "flat", "theme.properties"), "parent=keycloak.v2\n");
    expect(themeProblems(join(dirs.dockerDir, "themes"))).toEqual([
      expect.stringMatching(/themes\/empty: an empty theme/),
      expect.stringMatching(/themes\/flat\/theme\.properties: not a theme type folder/),
    ]);
  });

  test("a provider that is not a JAR", () => {
    writeFileSync(join(dirs.dockerDir, "providers", "my-provider.zip"), "PK");
    expect(providerProblems(join(dirs.dockerDir, "providers"))).toEqual([expect.stringMatching(/providers\/my-provider\.zip: not a \.jar file/)]);
    expect(() => synthImage(dirs.dockerDir, dirs.realmsDir)).toThrow(/my-provider\.zip/);
  });

  test("every problem is reported at once", () => {
    writeFileSync(join(dirs.realmsDir, "broken.json"), "{");
    writeFileSync(join(dirs.dockerDir, "providers", "readme.txt"), "x");
    expect(() => checkImageContent(dirs.dockerDir, dirs.realmsDir)).toThrow(/broken\.json[\s\S]*readme\.txt/);
  });
});
