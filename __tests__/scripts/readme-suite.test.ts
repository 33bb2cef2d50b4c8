import { readdirSync, readFileSync } from "node:fs";
import { projectPath } from "../../modules/shared/paths";

/**
 * The README's figures describe the suite as it is: its e2e files and the cluster e2e's steps.
 * A run's table pasted in for an older suite (a step since removed, a file count since grown)
 * fails here until the section is refreshed from a current run.
 */

const readme = readFileSync(projectPath("README.md"), "utf8");
const e2eDir = projectPath("__tests__", "e2e");
const e2eFiles = readdirSync(e2eDir).filter((f) => f.endsWith(".test.ts")).sort();
/** The cluster e2e's STEPS, read from its source (a test file is not imported). */
const clusterSteps = [...(/const STEPS = \[([\s\S]*?)\] as const;/.exec(readFileSync(projectPath("__tests__", "e2e", "cluster.test.ts"), "utf8"))?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
/** The README's section on the cluster e2e's run, up to the next heading. */
const clusterSection = /### The cluster e2e, from a real run\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? "";

describe("the README's e2e figures match the suite", () => {
  test("the cluster e2e's steps were read from its source", () => {
    expect(clusterSteps.length).toBeGreaterThan(3);
    expect(clusterSection).not.toBe("");
  });

  test("the cluster run's step table lists exactly the cluster e2e's steps, in order, and its step count is theirs", () => {
    const rows = [...clusterSection.matchAll(/^\| (\d+b?\. [^|]+?) \| (?:pass|fail|FAIL|-) \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(clusterSteps);
    // A step count the section states is the suite's.
    for (const m of clusterSection.matchAll(/(\d+) steps/g)) expect({ stated: Number(m[1]) }).toEqual({ stated: clusterSteps.length });
  });

  test("every e2e file the README names exists, every e2e file is named, and a file count it states is the suite's", () => {
    const named = [...new Set([...readme.matchAll(/__tests__\/e2e\/([\w.-]+\.test\.ts)/g)].map((m) => m[1]))].sort();
    expect(named).toEqual(e2eFiles);
    for (const m of readme.matchAll(/e2e suite \((\d+) files\)/g)) expect({ stated: Number(m[1]) }).toEqual({ stated: e2eFiles.length });
  });
});
