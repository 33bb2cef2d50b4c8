import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { projectPath } from "../shared/paths";
import { constant } from "../shared/constant";

/**
 * What the project adds to the Keycloak image besides the server itself: realm exports imported
 * on start, themes and providers picked up by `kc.sh build`. Checked at synth, so a bad file
 * fails `cdktf synth` with its name instead of a task that never becomes healthy.
 */

/** Realm exports (`<realm>.json`), imported on every start; a realm that exists is skipped. */
export const REALMS_DIR = projectPath("realms");
/** Folder themes in the build context: `<theme>/<type>/theme.properties`, copied to /opt/keycloak/themes. */
export const THEMES_FOLDER = "themes";
/** Provider JARs in the build context (themes may come as JARs too), copied to /opt/keycloak/providers before `kc.sh build`. */
export const PROVIDERS_FOLDER = "providers";

/** Where the image holds the realm exports: Keycloak's `--import-realm` reads this directory. */
export const REALM_IMPORT_DIR = "/opt/keycloak/data/import";

/**
 * The container's command. `--import-realm` imports every `*.json` in REALM_IMPORT_DIR with the
 * IGNORE_EXISTING strategy: a realm that already exists in the database is left as it is.
 */
export const KEYCLOAK_START_COMMAND = constant(["start", "--optimized", "--import-realm"]);

/** Theme types Keycloak's folder theme provider knows. */
export const THEME_TYPES = constant(["account", "admin", "common", "email", "login", "welcome"]);

/**
 * Keys whose value is a credential. A realm export made with `kc.sh export` holds client secrets,
 * user password hashes and identity-provider secrets in clear; none of them belongs in git.
 */
const SECRET_KEYS = new Set(["secret", "clientSecret", "password", "privateKey", "credentials", "bindCredential"]);

/** Files git needs to keep an empty folder; never read by Keycloak. */
const isPlaceholder = (name: string) => name === ".gitkeep";

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function isEmptyValue(value: unknown): boolean {
  return value === null || value === "" || (Array.isArray(value) && value.length === 0) || (typeof value === "object" && Object.keys(value as object).length === 0);
}

/** JSON paths (`clients[0].secret`) of credential keys with a value anywhere in `value`. */
function secretPaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretPaths(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
    const childPath = path === "" ? key : `${path}.${key}`;
    return SECRET_KEYS.has(key) && !isEmptyValue(child) ? [childPath] : secretPaths(child, childPath);
  });
}

/** Problems of one realm export, each naming the file. */
function realmFileProblems(dir: string, name: string): string[] {
  const file = join(dir, name);
  const shown = relative(projectPath(), file) || file;
  if (!statSync(file).isFile()) return [`${shown}: realms/ holds realm exports only (Keycloak ignores folders there)`];
  if (!name.endsWith(".json")) return [`${shown}: not a .json file (Keycloak imports only *.json); name it <realm>.json`];
  let realm: unknown;
  try {
    realm = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return [`${shown}: not valid JSON (${(error as Error).message})`];
  }
  if (realm === null || typeof realm !== "object" || Array.isArray(realm)) return [`${shown}: not a realm export (expected a JSON object)`];
  const realmName = (realm as { realm?: unknown }).realm;
  if (typeof realmName !== "string" || realmName.trim() === "") return [`${shown}: has no "realm" name`];
  const problems: string[] = [];
  if (`${realmName}.json` !== name) problems.push(`${shown}: defines realm "${realmName}"; name the file ${realmName}.json (one file per realm)`);
  if (realmName === "master") problems.push(`${shown}: the master realm exists before the import runs, so the import would always skip it; configure master through the admin API`);
  const secrets = secretPaths(realm, "");
  if (secrets.length > 0) {
    problems.push(`${shown}: holds credentials (${secrets.join(", ")}); remove them from the export and set them through the admin API or a secret store`);
  }
  return problems;
}

/** Problems of the realm exports in `dir`; a missing folder means no realms. */
export function realmProblems(dir: string = REALMS_DIR): string[] {
  return entries(dir)
    .filter((name) => !isPlaceholder(name))
    .flatMap((name) => realmFileProblems(dir, name));
}

/** Events a realm must save so failed and successful logins can be traced (README: Brute-force detection). */
export const LOGIN_EVENT_TYPES = constant(["LOGIN", "LOGIN_ERROR"]);

/**
 * What a realm we ship must have against password guessing: Keycloak's brute-force detection on,
 * with temporary lockouts only (a permanent one lets anyone lock any user out for good), and its
 * login events saved with an expiry (an audit trail that does not grow forever).
 */
export function realmProtectionProblems(dir: string = REALMS_DIR): string[] {
  return entries(dir)
    .filter((name) => !isPlaceholder(name) && name.endsWith(".json"))
    .flatMap((name) => {
      const realm: Record<string, unknown> = JSON.parse(readFileSync(join(dir, name), "utf8"));
      const problems: string[] = [];
      if (realm.bruteForceProtected !== true) problems.push("bruteForceProtected is not true");
      if (realm.permanentLockout === true) problems.push("permanentLockout is true (anyone can lock a user out for good)");
      if (!(Number(realm.failureFactor) > 0 && Number(realm.failureFactor) <= 30)) problems.push(`failureFactor ${realm.failureFactor} is not 1-30`);
      if (realm.eventsEnabled !== true) problems.push("eventsEnabled is not true");
      if (!(Number(realm.eventsExpiration) > 0)) problems.push("eventsExpiration is not set (events kept forever)");
      const types = realm.enabledEventTypes as string[] | undefined;
      const missing = LOGIN_EVENT_TYPES.filter((t) => types !== undefined && !types.includes(t));
      if (missing.length > 0) problems.push(`enabledEventTypes does not save ${missing.join(", ")}`);
      return problems.map((p) => `realms/${name}: ${p}`);
    });
}

/** Problems of the folder themes in `dir`: every `<theme>/<type>` needs a theme.properties. */
export function themeProblems(dir: string): string[] {
  const shown = (...parts: string[]) => relative(projectPath(), join(dir, ...parts)) || join(dir, ...parts);
  return entries(dir)
    .filter((theme) => !isPlaceholder(theme))
    .flatMap((theme) => {
      if (!statSync(join(dir, theme)).isDirectory()) return [`${shown(theme)}: themes/ holds one folder per theme`];
      const types = entries(join(dir, theme));
      if (types.length === 0) return [`${shown(theme)}: an empty theme; add a folder per theme type (${THEME_TYPES.join(", ")})`];
      return types.flatMap((type) => {
        if (!(THEME_TYPES as readonly string[]).includes(type) || !statSync(join(dir, theme, type)).isDirectory()) {
          return [`${shown(theme, type)}: not a theme type folder; a theme holds folders named ${THEME_TYPES.join(", ")}`];
        }
        const properties = join(dir, theme, type, "theme.properties");
        return entries(join(dir, theme, type)).includes("theme.properties") && statSync(properties).isFile()
          ? []
          : [`${shown(theme, type, "theme.properties")}: missing; Keycloak ignores a theme type folder without it`];
      });
    });
}

/** Problems of the provider folder: Keycloak loads only JAR files from it. */
export function providerProblems(dir: string): string[] {
  return entries(dir)
    .filter((name) => !isPlaceholder(name))
    .filter((name) => !name.endsWith(".jar") || !statSync(join(dir, name)).isFile())
    .map((name) => `${relative(projectPath(), join(dir, name)) || name}: not a .jar file; Keycloak loads providers from JARs only`);
}

/**
 * Throws one error listing every problem of the realms in `realmsDir` and the themes and
 * providers in the build context `dockerDir`, each naming its file.
 */
export function checkImageContent(dockerDir: string, realmsDir: string): void {
  const problems = [
    ...realmProblems(realmsDir),
    ...themeProblems(join(dockerDir, THEMES_FOLDER)),
    ...providerProblems(join(dockerDir, PROVIDERS_FOLDER)),
  ];
  if (problems.length > 0) {
    throw new Error(`the image's realms, themes or providers are invalid:\n  - ${problems.join("\n  - ")}`);
  }
}
