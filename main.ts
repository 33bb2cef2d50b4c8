import { readFileSync } from "node:fs";
import { App } from "cdktf";
import { ConfigError, loadConfig, type RawSettings } from "./modules/config";
import { KeycloakStack } from "./modules/stack";
import { projectPath } from "./modules/shared/paths";

/**
 * Reads the configuration of each environment and instantiates its stack. Environments
 * come from cdktf.json context `environments`; KEYCLOAK_ENVIRONMENTS (comma-separated)
 * picks some of them.
 */
function main(): void {
  // `cdktf synth` hands cdktf.json's context over in CDKTF_CONTEXT_JSON; a plain
  // `node main.ts` (tests, benchmarks) reads the same file.
  const context = process.env.CDKTF_CONTEXT_JSON
    ? undefined
    : (JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context as Record<string, unknown>);
  // Stack traces in construct metadata only serve cdktf's own error reports; skipping
  // them makes synth noticeably faster.
  const app = new App({ stackTraces: false, ...(context ? { context } : {}) });
  const shared = (app.node.tryGetContext("keycloak") ?? {}) as RawSettings;
  const environments = (app.node.tryGetContext("environments") ?? { prod: {} }) as Record<string, RawSettings>;
  const wanted = process.env.KEYCLOAK_ENVIRONMENTS?.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of wanted ?? []) {
    if (!(name in environments)) {
      throw new ConfigError(
        `Invalid setting KEYCLOAK_ENVIRONMENTS: got "${name}"; allowed: ${Object.keys(environments).join(", ")} (the environments in cdktf.json context).`,
      );
    }
  }
  for (const [environment, perEnvironment] of Object.entries(environments)) {
    if (wanted && !wanted.includes(environment)) continue;
    new KeycloakStack(app, `keycloak-${environment}`, configOf(environment, shared, perEnvironment));
  }
  app.synth();
}

/** Loads one environment's configuration; an error says which environment it is about. */
function configOf(environment: string, shared: RawSettings, perEnvironment: RawSettings) {
  try {
    return loadConfig({ environment, shared, perEnvironment, env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`[environment ${environment}] ${error.message}`);
    throw error;
  }
}

try {
  main();
} catch (error) {
  if (error instanceof ConfigError) {
    // A configuration mistake is the user's to fix: the message, not a stack trace.
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
