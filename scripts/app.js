// The synth app of cdktf.json. Runs main.ts from an esbuild bundle in .cache/app, rebuilt
// only when a source file is newer: transpile-only, no type-checking (that is
// `npm run build`), and no per-module resolution of the provider packages at run time.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, readdirSync, statSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
// One bundle per checkout, which it names as its root: work trees that share one .cache (a
// symlink) neither run each other's code nor resolve their files in the other checkout.
const bundle = join(root, ".cache", "app", createHash("sha256").update(root).digest("hex").slice(0, 12), "main.js");
const inputs = ["main.ts", "modules", "policy", "package-lock.json"].map((p) => join(root, p));

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

if (!existsSync(bundle) || Math.max(...inputs.filter(existsSync).map(newestMtime)) > statSync(bundle).mtimeMs) {
  require("esbuild").buildSync({
    entryPoints: [join(root, "main.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    outfile: bundle,
    // Smaller source parses faster; identifiers stay, so errors remain readable.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
    define: { __APP_PROJECT_ROOT__: JSON.stringify(root) },
  });
}
require(bundle);
