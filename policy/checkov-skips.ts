/**
 * Prints checkov's skip list for one stack, comma-separated for `--skip-check`: the checkov
 * ids of the policy exceptions that apply to the stack's configuration, and the checks the
 * design deliberately does not meet (CHECKOV_SKIPS). Both live in
 * policy/exceptions.ts, so the users' CI and our rules cannot disagree.
 *
 * usage: node --import tsx policy/checkov-skips.ts keycloak-<environment>
 */
import { readFileSync } from "node:fs";
import { loadConfig, type RawSettings } from "../modules/config";
import { projectPath } from "../modules/shared/paths";
import { RULES, type Shape } from "./rules";
import { CHECKOV_SKIPS, EXCEPTIONS } from "./exceptions";
import { shapeOfConfig } from "./shapes";

/** checkov ids to skip for a stack of this shape, sorted. */
export function checkovSkips(shape: Shape): string[] {
  const excepted = EXCEPTIONS.filter((e) => e.appliesTo(shape)).flatMap((e) => {
    const id = RULES.find((r) => r.id === e.rule)?.checkov?.id;
    return id ? [id] : [];
  });
  return [...new Set([...excepted, ...CHECKOV_SKIPS.map((s) => s.check)])].sort();
}

/** The shape of a stack as `cdktf synth` builds it: cdktf.json context plus KEYCLOAK_* variables. */
export function stackShape(stack: string, env: NodeJS.ProcessEnv = process.env): Shape {
  const context = JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context as {
    keycloak?: RawSettings;
    environments?: Record<string, RawSettings>;
  };
  const environment = stack.replace(/^keycloak-/, "");
  const perEnvironment = context.environments?.[environment];
  if (!perEnvironment) throw new Error(`unknown stack ${stack}: cdktf.json defines ${Object.keys(context.environments ?? {}).map((e) => `keycloak-${e}`).join(", ")}`);
  return shapeOfConfig(stack, loadConfig({ environment, shared: context.keycloak ?? {}, perEnvironment, env }));
}

if (require.main === module) {
  const stack = process.argv[2];
  if (!stack || stack === "--help") {
    console.error("usage: node --import tsx policy/checkov-skips.ts keycloak-<environment>");
    process.exit(stack ? 0 : 2);
  }
  try {
    console.log(checkovSkips(stackShape(stack)).join(","));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
