import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Temporary directories for one test file: `make()` in tests, `removeAll()` in `afterAll`,
 * so they go away also when a test fails half-way.
 */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = "kc-test-"): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
