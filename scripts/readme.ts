/**
 * Regenerates the README's generated sections (between `<!-- generated:NAME -->` and
 * `<!-- /generated:NAME -->`) from the code: configuration table, architecture diagram,
 * policy rules, cost table, the capacity model's example, Keycloak version, command table; and `./help` from the same command
 * list. `npm run docs` writes them; a unit test fails when either is out of date.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { KEYCLOAK_VERSION } from "../modules/shared/constants";
import { projectPath } from "../modules/shared/paths";
import { synthStack } from "../modules/synth";
import { architectureMermaid } from "./diagram";
import { policyMarkdown } from "./policy-table";
import { awsRulesMarkdown } from "./aws-rules-table";
import { costMarkdown } from "../tools/cost";
import { capacityExampleMarkdown } from "../tools/capacity-model";
import { commandsMarkdown, helpScript } from "./commands";
import { configTable } from "./config-table";

/** `./help`, written with the README from the same command list. */
export const HELP_PATH = projectPath("help");

export const README_PATH = projectPath("README.md");

export function diagram(): string {
  const json = synthStack({ bastionAllowedCidrs: ["198.51.100.7/32"] }, "prod");
  return ["```mermaid", architectureMermaid(json), "```"].join("\n");
}

/** Generated sections, by name. */
export function sections(): Record<string, string> {
  return {
    version: `Keycloak **${KEYCLOAK_VERSION}** (image \`quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}\`, test distribution \`org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}\`)`,
    diagram: diagram(),
    config: configTable(),
    policy: policyMarkdown(),
    "aws-rules": awsRulesMarkdown(),
    cost: costMarkdown(),
    "capacity-example": capacityExampleMarkdown(),
    commands: commandsMarkdown(),
  };
}

/** README text with every generated section replaced by its current content. */
export function renderReadme(current: string, generated = sections()): string {
  let text = current;
  for (const [name, body] of Object.entries(generated)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(text)) throw new Error(`README.md has no generated section "${name}"`);
    text = text.replace(pattern, (_m, open: string, close: string) => `${open}${body}\n${close}`);
  }
  return text;
}

if (require.main === module) {
  const current = readFileSync(README_PATH, "utf8");
  const next = renderReadme(current);
  writeFileSync(README_PATH, next);
  console.log(next === current ? "README.md is up to date" : "README.md regenerated");
  const help = helpScript();
  const helpChanged = readFileSync(HELP_PATH, "utf8") !== help;
  writeFileSync(HELP_PATH, help, { mode: 0o755 });
  chmodSync(HELP_PATH, 0o755);
  console.log(helpChanged ? "help regenerated" : "help is up to date");
}
