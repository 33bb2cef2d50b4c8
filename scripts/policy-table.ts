/** The README's policy section: the rules, the exceptions and checkov's skip list, generated from the suite. */
import { readFileSync } from "node:fs";
import { projectPath } from "../modules/shared/paths";
import { RULES } from "../policy/rules";
import { CHECKOV_SKIPS, EXCEPTIONS } from "../policy/exceptions";
import { checkovSkips, stackShape } from "../policy/checkov-skips";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The stacks cdktf.json defines, with the shape each has without KEYCLOAK_* overrides. */
function stackShapes() {
  const environments = Object.keys(JSON.parse(readFileSync(projectPath("cdktf.json"), "utf8")).context.environments);
  return environments.map((e) => stackShape(`keycloak-${e}`, {}));
}

function skipRows(): string[] {
  const shapes = stackShapes();
  const skippedFor = (id: string) => shapes.filter((s) => checkovSkips(s).includes(id)).map((s) => s.name).join(", ");
  const fromExceptions = EXCEPTIONS.flatMap((e) => {
    const checkov = RULES.find((r) => r.id === e.rule)?.checkov;
    return checkov ? [`| ${checkov.id} | \`${checkov.source}\` | ${skippedFor(checkov.id)} | exception of \`${e.rule}\`: ${cell(e.reason)} |`] : [];
  });
  const deliberate = CHECKOV_SKIPS.map((s) => `| ${s.check} | \`${s.source}\` | ${skippedFor(s.check)} | ${cell(s.reason)} |`);
  return [...fromExceptions, ...deliberate];
}

export function policyMarkdown(): string {
  const rules = RULES.map((r) => `| \`${r.id}\` | ${r.checkov ? `${r.checkov.id} (\`${r.checkov.source}\`)` : "-"} | ${r.bad.length} | ${cell(r.rationale)} |`);
  const exceptions = EXCEPTIONS.map((e) => `| \`${e.rule}\` | \`${e.resource.source}\` | ${cell(e.reason)} |`);
  return [
    `${RULES.length} rules, checked over every configuration shape by \`npm test\` (\`__tests__/policy/\`). Each checkov id was`,
    "checked against the named file of checkov's own source (bridgecrewio/checkov, checkov/terraform/checks/); a rule",
    "without a true checkov equivalent has none. Bad cases: mutations of one field of the real synthesized stack, one per",
    "clause, each of which the rule must fire on.",
    "",
    "| rule | checkov equivalent (verified in) | bad cases | why |",
    "| --- | --- | ---: | --- |",
    ...rules,
    "",
    "Exceptions (the only place a rule is waived):",
    "",
    "| rule | resource | reason |",
    "| --- | --- | --- |",
    ...exceptions,
    "",
    "checkov checks the users' CI skips (`--skip-check`, printed per stack by `policy/checkov-skips.ts` from",
    "`policy/exceptions.ts`). checkov skips a check for the whole plan, not per resource: our rule still",
    "holds every resource its exception does not name. The checks without a rule were judged from checkov's source to",
    "fail on this stack; checkov itself cannot run on our CI machines, so the users' CI is where that is confirmed.",
    "",
    "| check | checkov source | skipped for | reason |",
    "| --- | --- | --- | --- |",
    ...skipRows(),
  ].join("\n");
}

if (require.main === module) console.log(policyMarkdown());
