/**
 * The README's configuration table, from the settings alone: one row per setting with its env var,
 * default (and the dev profile's), what it accepts and what it does. Kept apart from readme.ts so
 * that a test can check the table without synthesizing the stacks the other sections need.
 */
import { SETTINGS, envVarName, PROFILE_PRESETS } from "../modules/config";

const escapeCell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function defaultText(s: (typeof SETTINGS)[number]): string {
  if ("defaultDoc" in s && s.defaultDoc) return s.defaultDoc;
  const value = s.default as unknown;
  if (Array.isArray(value)) return value.length === 0 ? "(empty)" : value.join(", ");
  return value === "" ? "(empty)" : String(value);
}

export function configTable(): string {
  const rows = SETTINGS.map((s) => {
    const dev = (PROFILE_PRESETS.dev as Record<string, unknown>)[s.key];
    const devText = dev === undefined ? "" : ` (dev: ${Array.isArray(dev) ? dev.join(", ") : String(dev)})`;
    return `| \`${s.key}\` | \`${envVarName(s.key)}\` | ${escapeCell(defaultText(s) + devText)} | ${escapeCell(s.allowed)} | ${escapeCell(s.doc)} |`;
  });
  return ["| setting | env var | default | allowed | what it does |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
