/**
 * The configuration's validation patterns judge their examples (pattern-examples.ts) rightly, and
 * so do the settings that use them, whose empty value is allowed only where the setting is optional.
 */
import { SETTINGS } from "../../modules/config";
import type { SettingKey } from "../../modules/config/settings";
import { judge, PATTERNS } from "./pattern-examples";

const setting = (key: SettingKey) => SETTINGS.find((s) => s.key === key)!;
const isList = (key: SettingKey) => Array.isArray(setting(key).default);
/** The setting's own parse (without the cross-checks between settings); true when it accepts the value (a list setting: [value], or [] for ""). */
const settingAccepts = (key: SettingKey, value: string) => {
  try {
    (setting(key).parse as (raw: unknown, fail: () => never) => unknown)(isList(key) ? (value === "" ? [] : [value]) : value, () => {
      throw new Error("refused");
    });
    return true;
  } catch {
    return false;
  }
};

describe("configuration patterns", () => {
  test.each(Object.entries(PATTERNS))("%s accepts each of its accepted examples and refuses each of its refused ones", (_name, cases) => {
    expect(judge(cases.pattern, cases)).toEqual({ accepted: [], refused: [] });
  });

  test.each(Object.entries(PATTERNS).filter(([, c]) => c.settings.length > 0))("%s: the settings that use it accept and refuse the same examples, and an empty value only where the setting is optional", (_name, cases) => {
    for (const key of cases.settings) {
      const optional = setting(key).default === "" || (isList(key) && (setting(key).default as unknown[]).length === 0);
      const misjudged = [
        ...cases.accepts.filter((v) => !settingAccepts(key, v)).map((v) => `refuses ${JSON.stringify(v)}`),
        // A setting trims its value first (config.test shows it): blanks around a value are the pattern's business only.
        ...cases.refuses.filter((v) => v !== "" && v.trim() === v && settingAccepts(key, v)).map((v) => `accepts ${JSON.stringify(v)}`),
        ...(settingAccepts(key, "") === optional ? [] : [`${optional ? "refuses" : "accepts"} the empty value`]),
      ];
      expect({ key, misjudged }).toEqual({ key, misjudged: [] });
    }
  });
});
