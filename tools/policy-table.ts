/** The README's policy section: the rules and the exceptions, generated from the suite. */
import { RULES } from "../__tests__/policy/rules";
import { EXCEPTIONS } from "../__tests__/policy/exceptions";

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function policyMarkdown(): string {
  const rules = RULES.map((r) => `| \`${r.id}\` | ${r.checkov ?? "-"} | ${cell(r.rationale)} |`);
  const exceptions = EXCEPTIONS.map((e) => `| \`${e.rule}\` | \`${e.resource.source}\` | ${cell(e.reason)} |`);
  return [
    `${RULES.length} rules, checked over every configuration shape by \`npm test\` (\`__tests__/policy/\`):`,
    "",
    "| rule | mirrors checkov | why |",
    "| --- | --- | --- |",
    ...rules,
    "",
    "Exceptions (the only place a rule is waived):",
    "",
    "| rule | resource | reason |",
    "| --- | --- | --- |",
    ...exceptions,
  ].join("\n");
}

if (require.main === module) console.log(policyMarkdown());
