import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBuildOptions } from "../../modules/image/build-options";
import { TempDirs } from "../support/temp-dir";

/** docker/keycloak-build.env: sourced by the Dockerfile's shell, parsed here into the task definition's options. */

const tempDirs = new TempDirs();
afterAll(() => tempDirs.removeAll());

function envFile(text: string): string {
  const file = join(tempDirs.make("kc-build-env-"), "keycloak-build.env");
  writeFileSync(file, text);
  return file;
}

describe("readBuildOptions", () => {
  test("the shipped file holds plain KC_ options", () => {
    expect(readBuildOptions()).toMatchObject({ KC_DB: "mysql", KC_HEALTH_ENABLED: "true" });
  });

  test("reads KC_NAME=value lines, skipping comments and blank lines, with surrounding spaces trimmed", () => {
    const file = envFile(["# a comment", "", "KC_DB=mysql", "   ", "  KC_CACHE=ispn\t", "KC_FEATURES=", "  # an indented comment"].join("\n"));
    expect(readBuildOptions(file)).toEqual({ KC_DB: "mysql", KC_CACHE: "ispn", KC_FEATURES: "" });
  });

  test.each([
    ["text before the name", "export KC_DB=mysql"],
    ["text after the value", "KC_DB=mysql # the database"],
    ["a quoted value", 'KC_DB="mysql"'],
    ["a shell expansion", "KC_DB=$DB"],
    ["a name that is not Keycloak's", "DB=mysql"],
  ])("%s fails, naming the file and the line", (_what, line) => {
    const file = envFile(`KC_CACHE=ispn\n${line}\n`);
    expect(() => readBuildOptions(file)).toThrow(new Error(`${file}: expected KC_NAME=value, got "${line}"`));
  });
});
