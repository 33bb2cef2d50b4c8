import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { resolveCommand } from "./command-stubs";
import { STICKY_COOKIE } from "./haproxy";

/**
 * A real browser for the e2e: Debian's Chromium (/usr/bin/chromium, scripts/install-test-deps.sh)
 * driven by playwright-core, which never downloads a browser of its own. It runs in the host
 * namespace, where the proxy listens on the test bridge; `--host-resolver-rules` sends the
 * stack's hostname there (no DNS), and the proxy's certificate is trusted through an NSS
 * database in a private HOME, as a user would add a company CA: no certificate error is ignored.
 */

/** Debian's Chromium; CHROMIUM_PATH names another Chromium-based browser (GitHub's runners bring Google Chrome). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * What the browser or Keycloak's pages say when the deployment is misconfigured: a wrong
 * hostname (redirect_uri refused, a redirect to another host), the content security policy,
 * mixed content, cookies the browser refuses, a page that is not a secure context (PKCE needs
 * Web Crypto).
 */
export const MISCONFIGURATION = [
  /Content[- ]Security[- ]Policy/i,
  /Refused to (frame|connect|load|execute|display|apply)/i,
  /Mixed Content/i,
  /cookie[^\n]*(rejected|blocked|was not set|overwritten)/i,
  /SameSite/i,
  /Invalid parameter: redirect_uri/i,
  /invalid_redirect_uri/i,
  // Not "hostname=": JGroups names the peer so in its socket warnings when a node dies (seen in the e2e).
  /hostname(?!=)/i,
  /X-Frame-Options/i,
  /secure context|crypto\.subtle|Web Crypto/i,
  /3rd party check iframe/i,
];

export function misconfigurations(lines: string[]): string[] {
  return lines.filter((line) => MISCONFIGURATION.some((pattern) => pattern.test(line)));
}

/**
 * Console messages a working deployment may print, each with why it is harmless. Anything else
 * the pages report (error, warning, uncaught error) fails the e2e: an allow-list, so a problem
 * nobody thought of is not let through as a deny-list would. Grown from runs, one reason each.
 */
export const ALLOWED_CONSOLE: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^error: Failed to load resource: the server responded with a status of 401 \(\)$/,
    reason: "the consoles probe the session before the login (Keycloak answers 401); a session lost later shows the login form, which the checks catch",
  },
  {
    pattern: /^warning: \[DOM\] Input elements should have autocomplete attributes/,
    reason: "Chromium's hint about the login form's markup (Keycloak's theme), not a fault of the deployment",
  },
  {
    pattern: /^warning: An iframe which has both allow-scripts and allow-same-origin for its sandbox attribute can escape its sandboxing\.$/,
    reason: "keycloak-js's own hidden iframes (session status and third-party-cookie checks) in both consoles: Keycloak's code, the same on any deployment",
  },
  {
    pattern: /^warning: For accessibility reasons an aria-label should be specified on nav groups if a title isn't$/,
    reason: "PatternFly's accessibility hint about the admin console's navigation markup (Keycloak's code), not a fault of the deployment",
  },
];

/** Console lines no entry of ALLOWED_CONSOLE explains. */
export function unexplainedConsole(lines: string[], allowed = ALLOWED_CONSOLE): string[] {
  return lines.filter((line) => !allowed.some((entry) => entry.pattern.test(line)));
}

/** Everything a page reported while it was watched. */
export interface PageRecord {
  /** Console messages of type error or warning, and uncaught page errors. */
  console: string[];
  /** Requests that failed at the network level (aborted navigations excluded) or answered 5xx. */
  failedRequests: string[];
  /** Responses with a 5xx status, each with the time it came. */
  serverErrors: { at: number; request: string }[];
  /** Every URL the main frame navigated to. */
  navigations: string[];
}

export class ChromiumUser {
  readonly record: PageRecord = { console: [], failedRequests: [], serverErrors: [], navigations: [] };
  private shots = 0;

  private constructor(
    private readonly context: BrowserContext,
    readonly page: Page,
    private readonly screenshotDir: string,
    readonly label: string,
  ) {
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") this.record.console.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => this.record.console.push(`pageerror: ${error.message}`));
    page.on("requestfailed", (request) => {
      const failure = request.failure()?.errorText ?? "failed";
      if (failure !== "net::ERR_ABORTED") this.record.failedRequests.push(`${request.method()} ${request.url()}: ${failure}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 500) {
        const request = `${response.request().method()} ${response.url()}: ${response.status()}`;
        this.record.failedRequests.push(request);
        this.record.serverErrors.push({ at: Date.now(), request });
      }
    });
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) this.record.navigations.push(frame.url());
    });
  }

  static async open(browser: Browser, label: string, screenshotDir: string): Promise<ChromiumUser> {
    mkdirSync(screenshotDir, { recursive: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    return new ChromiumUser(context, page, screenshotDir, label);
  }

  /** The node the proxy's stickiness cookie pins this browser to (haproxy names the server in it). */
  async pinnedTo(): Promise<string | undefined> {
    return (await this.context.cookies()).find((cookie) => cookie.name === STICKY_COOKIE)?.value;
  }

  /** Pins the browser to a node before it first reaches the proxy, as a returning visitor would be. */
  async pin(url: string, server: string): Promise<void> {
    await this.context.addCookies([{ name: STICKY_COOKIE, value: server, url }]);
  }

  /** Whether the page shows Keycloak's login form. */
  async showsLoginForm(): Promise<boolean> {
    return (await this.page.locator("#kc-form-login").count()) > 0;
  }

  async logIn(username: string, password: string): Promise<void> {
    await this.page.locator("#kc-form-login").waitFor();
    await this.page.fill("#username", username);
    await this.page.fill("#password", password);
    await Promise.all([this.page.waitForURL((url) => !url.pathname.includes("/login-actions/") && !url.pathname.includes("/protocol/openid-connect/auth")), this.page.click("#kc-login")]);
  }

  /** A full-page screenshot under the run's directory, numbered in the order taken. */
  async screenshot(step: string): Promise<string> {
    const file = join(this.screenshotDir, `${String(++this.shots).padStart(2, "0")}-${this.label}-${step.replace(/[^a-z0-9]+/gi, "-")}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/**
 * Launches Chromium trusting `caPem` (the proxy's self-signed certificate) and resolving
 * `hostname` to `address`. `home` gets the NSS database.
 */
export async function launchChromium(home: string, hostname: string, address: string, caPem: string): Promise<Browser> {
  const nssDir = join(home, ".pki", "nssdb");
  mkdirSync(nssDir, { recursive: true });
  const caFile = join(home, "proxy-ca.pem");
  writeFileSync(caFile, caPem);
  const certutil = resolveCommand("certutil");
  execFileSync(certutil, ["-d", `sql:${nssDir}`, "-N", "--empty-password"], { stdio: ["ignore", "ignore", "pipe"] });
  // "P": a trusted peer (the self-signed server certificate itself), for TLS only.
  execFileSync(certutil, ["-d", `sql:${nssDir}`, "-A", "-t", "P,,", "-n", "e2e-proxy", "-i", caFile], { stdio: ["ignore", "ignore", "pipe"] });
  return chromium.launch({
    executablePath: CHROMIUM,
    env: { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "en_US.UTF-8" },
    args: [`--host-resolver-rules=MAP ${hostname} ${address}`, "--no-proxy-server", "--disable-dev-shm-usage"],
    timeout: 60_000,
  });
}
