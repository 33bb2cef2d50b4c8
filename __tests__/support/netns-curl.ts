import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestOptions, Response } from "../../tools/keycloak-http/browser";
import { resolveCommand } from "./command-stubs";
import type { NetworkNamespace } from "./netns";
import { runProcess } from "./run-process";

/**
 * A client that sends from inside a network namespace, so the proxy sees the namespace's address
 * as the source, and that sends paths exactly as written: curl with `--path-as-is`. Node's URL
 * parser would resolve `/admin/../admin/` and `%2e%2e` before sending, which is the opposite of
 * what a path-trick test needs. Keeps cookies in a jar, like the Browser of browser.ts.
 */
export class NamespaceClient {
  private readonly dir: string;
  private readonly jar: string;
  private readonly caFile: string;

  constructor(
    private readonly namespace: NetworkNamespace,
    /** Where the URL's host name goes: `host:port:address` for curl's --resolve. */
    private readonly resolve: string,
    ca: string,
    parentDir: string,
  ) {
    this.dir = mkdtempSync(join(parentDir, `client-${namespace.name}-`));
    this.jar = join(this.dir, "cookies");
    this.caFile = join(this.dir, "ca.pem");
    writeFileSync(this.caFile, ca);
  }

  /** One request, no redirects followed; `url` is sent byte for byte. */
  async request(url: string, options: RequestOptions = {}): Promise<Response> {
    const headerFile = join(this.dir, "headers");
    const bodyFile = join(this.dir, "body");
    rmSync(headerFile, { force: true });
    rmSync(bodyFile, { force: true });
    const args = [
      resolveCommand("curl"), "--silent", "--show-error", "--path-as-is",
      "--resolve", this.resolve, "--cacert", this.caFile,
      "--cookie", this.jar, "--cookie-jar", this.jar,
      "--max-time", String(Math.ceil((options.timeoutMs ?? 15_000) / 1000)),
      "--dump-header", headerFile, "--output", bodyFile, "--write-out", "%{http_code}",
    ];
    if (options.method !== undefined) args.push("--request", options.method);
    for (const [name, value] of Object.entries(options.headers ?? {})) args.push("--header", `${name}: ${value}`);
    for (const [name, value] of Object.entries(options.form ?? {})) args.push("--data-urlencode", `${name}=${value}`);
    if (options.json !== undefined) args.push("--header", "Content-Type: application/json", "--data-raw", JSON.stringify(options.json));
    args.push("--", url);
    const argv = this.namespace.command(args);
    const result = await runProcess(argv[0], argv.slice(1), { timeoutMs: (options.timeoutMs ?? 15_000) + 5_000 });
    if (result.code !== 0) throw new Error(`curl ${url} in ${this.namespace.name} failed (exit ${result.code}): ${result.stderr.trim()}`);
    const headers: Record<string, string> = {};
    for (const line of readFileSync(headerFile, "utf8").split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const location = headers.location === undefined ? undefined : new URL(headers.location, url).toString();
    return { status: Number(result.stdout), headers, body: readFileSync(bodyFile, "utf8"), location };
  }
}
