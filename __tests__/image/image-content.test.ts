import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import {
  checkImageContent,
  KEYCLOAK_START_COMMAND,
  providerProblems,
  REALM_IMPORT_DIR,
  realmProblems,
  realmProtectionProblems,
  REALMS_DIR,
  THEME_TYPES,
  themeProblems,
} from "../../modules/image/image-content";
import { DOCKER_DIR, KeycloakImage } from "../../modules/image/image";
import { projectPath } from "../../modules/shared/paths";
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

/** How a problem names a file: its path from the project's top, as a user types it. */
const shown = (...parts: string[]) => relative(projectPath(), join(...parts));

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

  test("the Dockerfile copies the realms into the folder --import-realm reads", () => {
    expect(readFileSync(join(DOCKER_DIR, "Dockerfile"), "utf8")).toMatch(new RegExp(`^COPY realms/ ${REALM_IMPORT_DIR}/$`, "m"));
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

describe("a realm's protection against password guessing", () => {
  /** Problems of a realms folder holding only `example.json`, the shipped example with `changes`. */
  function problemsWith(changes: Record<string, unknown>): string[] {
    const { realmsDir } = contentCopy();
    writeFileSync(join(realmsDir, "example.json"), JSON.stringify({ ...exampleRealm(), ...changes }));
    return realmProtectionProblems(realmsDir);
  }

  test.each([
    [1, []],
    [30, []],
    [0, ["realms/example.json: failureFactor 0 is not 1-30"]],
    [31, ["realms/example.json: failureFactor 31 is not 1-30"]],
    [undefined, ["realms/example.json: failureFactor undefined is not 1-30"]],
  ])("failureFactor %s (lockout after 1 to 30 failures)", (failureFactor, expected) => {
    expect(problemsWith({ failureFactor })).toEqual(expected);
  });

  test.each([
    [1, []],
    [0, ["realms/example.json: eventsExpiration is not set (events kept forever)"]],
  ])("eventsExpiration %s (seconds; 0 keeps events forever)", (eventsExpiration, expected) => {
    expect(problemsWith({ eventsExpiration })).toEqual(expected);
  });

  test("login events that are not saved are named", () => {
    expect(problemsWith({ eventsEnabled: false })).toEqual(["realms/example.json: eventsEnabled is not true"]);
  });

  test("only the realm exports are read: a placeholder and a file Keycloak does not import are skipped", () => {
    const { realmsDir } = contentCopy();
    writeFileSync(join(realmsDir, ".gitkeep"), "");
    writeFileSync(join(realmsDir, "notes.txt"), "not JSON");
    expect(realmProtectionProblems(realmsDir)).toEqual([]);
  });
});

describe("what may sit in realms/", () => {
  let realmsDir: string;
  beforeEach(() => {
    realmsDir = tempDirs.make("kc-realms-");
  });
  const write = (name: string, text: string) => writeFileSync(join(realmsDir, name), text);

  test("a placeholder is no realm export", () => {
    write(".gitkeep", "");
    expect(realmProblems(realmsDir)).toEqual([]);
  });

  test("each problem names the file by its path from the project's top and states the rule", () => {
    write("notes.txt", "x");
    mkdirSync(join(realmsDir, "nested"));
    expect(realmProblems(realmsDir)).toEqual([
      `${shown(realmsDir, "nested")}: realms/ holds realm exports only (Keycloak ignores folders there)`,
      `${shown(realmsDir, "notes.txt")}: not a .json file (Keycloak imports only *.json); name it <realm>.json`,
    ]);
  });

  test("a folder named like a realm export is no realm export", () => {
    mkdirSync(join(realmsDir, "shop.json"));
    expect(realmProblems(realmsDir)).toEqual([`${shown(realmsDir, "shop.json")}: realms/ holds realm exports only (Keycloak ignores folders there)`]);
  });

  test.each([
    ["null", "null"],
    ["a number", "5"],
    ["a string", JSON.stringify("shop")],
    ["an array", JSON.stringify([{ realm: "list" }])],
  ])("JSON that is %s is not a realm export", (_what, text) => {
    write("list.json", text);
    expect(realmProblems(realmsDir)).toEqual([`${shown(realmsDir, "list.json")}: not a realm export (expected a JSON object)`]);
  });

  test.each([[""], ["  "]])("a blank realm name (%j) is no name", (realm) => {
    write("blank.json", JSON.stringify({ realm }));
    expect(realmProblems(realmsDir)).toEqual([`${shown(realmsDir, "blank.json")}: has no "realm" name`]);
  });

  test("every kind of credential with a value is named by its JSON path, whatever the value's type", () => {
    write(
      "leaky.json",
      JSON.stringify({
        realm: "leaky",
        clients: [{ secret: "s", attributes: { clientSecret: 12345 } }],
        smtpServer: { password: true },
        components: { key: [{ config: { privateKey: ["pem"] } }] },
        users: [{ credentials: [{ value: "v" }] }],
        identityProviders: [{ config: { bindCredential: { value: "v" } } }],
      }),
    );
    expect(realmProblems(realmsDir)).toEqual([
      `${shown(realmsDir, "leaky.json")}: holds credentials (clients[0].secret, clients[0].attributes.clientSecret, smtpServer.password, components.key[0].config.privateKey, users[0].credentials, identityProviders[0].config.bindCredential); remove them from the export and set them through the admin API or a secret store`,
    ]);
  });

  test("null, empty objects and empty arrays are no credentials, and null elsewhere is no problem", () => {
    write("quiet.json", JSON.stringify({ realm: "quiet", attributes: null, clients: [{ secret: null, clientSecret: {} }], users: [{ credentials: [] }] }));
    expect(realmProblems(realmsDir)).toEqual([]);
  });

  test("a realms path that is a file is an error, not an empty folder", () => {
    write("file", "");
    expect(() => realmProblems(join(realmsDir, "file"))).toThrow(/ENOTDIR/);
  });
});

describe("what may sit in themes/ and providers/", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDirs.make("kc-context-");
  });

  test("a placeholder is neither a theme nor a provider", () => {
    writeFileSync(join(dir, ".gitkeep"), "");
    expect(themeProblems(dir)).toEqual([]);
    expect(providerProblems(dir)).toEqual([]);
  });

  test("each theme problem names the path from the project's top and states the rule", () => {
    writeFileSync(join(dir, "loose.ftl"), "");
    mkdirSync(join(dir, "empty"));
    mkdirSync(join(dir, "brand", "sidebar"), { recursive: true });
    writeFileSync(join(dir, "brand", "sidebar", "theme.properties"), "parent=keycloak.v2\n");
    expect(themeProblems(dir)).toEqual([
      `${shown(dir, "brand", "sidebar")}: not a theme type folder; a theme holds folders named ${THEME_TYPES.join(", ")}`,
      `${shown(dir, "empty")}: an empty theme; add a folder per theme type (${THEME_TYPES.join(", ")})`,
      `${shown(dir, "loose.ftl")}: themes/ holds one folder per theme`,
    ]);
    expect(THEME_TYPES.join(", ")).toBe("account, admin, common, email, login, welcome");
  });

  test("a JAR file is a provider; a folder or a file of another kind is not", () => {
    writeFileSync(join(dir, "provider.jar"), "PK");
    writeFileSync(join(dir, "jar-notes.txt"), "");
    mkdirSync(join(dir, "exploded.jar"));
    expect(providerProblems(dir)).toEqual([
      `${shown(dir, "exploded.jar")}: not a .jar file; Keycloak loads providers from JARs only`,
      `${shown(dir, "jar-notes.txt")}: not a .jar file; Keycloak loads providers from JARs only`,
    ]);
  });

  test("the synth's error lists each problem on a line of its own", () => {
    const { dockerDir, realmsDir } = contentCopy();
    writeFileSync(join(dockerDir, "providers", "a.txt"), "");
    writeFileSync(join(dockerDir, "providers", "b.txt"), "");
    expect(() => checkImageContent(dockerDir, realmsDir)).toThrow(
      new Error(
        [
          "the image's realms, themes or providers are invalid:",
          `  - ${shown(dockerDir, "providers", "a.txt")}: not a .jar file; Keycloak loads providers from JARs only`,
          `  - ${shown(dockerDir, "providers", "b.txt")}: not a .jar file; Keycloak loads providers from JARs only`,
        ].join("\n"),
      ),
    );
  });
});
