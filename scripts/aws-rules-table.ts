/** The README's "What we check that a plan cannot" table, generated from the AWS rules table. */
import { AWS_RULES } from "../policy/aws-rules";
import { AWS_SHAPE_SETTINGS } from "../policy/aws-rules/shapes";

const cell = (text: string) => text.replace(/\|/g, "\\|");
/** `title: https://...` sources as Markdown links. */
const links = (source: string) =>
  source
    .split("; ")
    .map((s) => cell(s).replace(/^(.+?): (https:\/\/\S+)$/, "[$1]($2)"))
    .join("; ");

export function awsRulesMarkdown(): string {
  const rows = AWS_RULES.map((r) => `| \`${r.id}\` | ${cell(r.resource)} | ${cell(r.rule)} | ${r.adjustable ? "yes (default assumed)" : "no"} | ${r.bad.length} | ${links(r.source)} |`);
  return [
    `${AWS_RULES.length} rules (\`policy/aws-rules/\`), each checked by \`npm test\` (\`__tests__/policy/aws-rules.test.ts\`) on ${AWS_SHAPE_SETTINGS.length} configuration shapes:`,
    AWS_SHAPE_SETTINGS.map(([name]) => name).join("; ") + ".",
    "Each row's bad cases change one field of a real synthesized stack, and the row must fire on each.",
    "",
    "| rule | resource | what AWS requires | adjustable quota | bad cases | AWS documentation |",
    "| --- | --- | --- | --- | ---: | --- |",
    ...rows,
  ].join("\n");
}
