import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BinDir, resolveCommand } from "../support/command-stubs";
import { startMetadataServer, taskMetadataFor, type MetadataServer, type MetadataServerOptions } from "../support/ecs-metadata";
import { NamespaceRegistry, type NetworkNamespace } from "../support/netns";
import { runProcess, type RunResult } from "../support/run-process";
import { TempDirs } from "../support/temp-dir";

/**
 * Runs docker/entrypoint.sh for real, with a stand-in kc.sh that records what Keycloak would have
 * been started with. The PATH holds only what the image provides to the entrypoint, so a new
 * dependency shows up here first.
 */

jest.setTimeout(60_000);

const ENTRYPOINT = resolve(__dirname, "../../docker/entrypoint.sh");
const BIND_VARIABLE = "KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS";
/** What the entrypoint may use besides bash: nothing (the e2e runs it in the built image too). */
const IMAGE_COMMANDS: string[] = [];

const tempDirs = new TempDirs();
const namespaces = new NamespaceRegistry();
const servers: MetadataServer[] = [];

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  namespaces.deleteAll();
  tempDirs.removeAll();
});

interface KcInvocation {
  pid: number;
  args: string[];
  env: Record<string, string>;
}

interface Sandbox {
  bin: BinDir;
  /** What kc.sh recorded, or undefined when it never ran. */
  invocation(): KcInvocation | undefined;
}

interface SandboxOptions {
  /** Link the machine's `ip` (true), or leave it out as in the image (false). */
  withIp: boolean;
}

function createSandbox({ withIp }: SandboxOptions): Sandbox {
  const dir = tempDirs.make("kc-entrypoint-");
  const record = join(dir, "kc-invocation");
  const bin = new BinDir(join(dir, "bin")).link(...IMAGE_COMMANDS, ...(withIp ? ["ip"] : []));
  // Builtins only, so the stand-in needs nothing from PATH.
  bin.script(
    "kc.sh",
    `printf '%s' "$$" > '${record}.pid'
printf '%s\\0' "$@" > '${record}.args'
for name in $(compgen -e); do printf '%s=%s\\0' "$name" "\${!name}"; done > '${record}.env'`,
  );
  const split = (file: string): string[] => readFileSync(file, "utf8").split("\0").slice(0, -1);
  return {
    bin,
    invocation: () => {
      if (!existsSync(`${record}.env`)) return undefined;
      const env = Object.fromEntries(split(`${record}.env`).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
      return { pid: Number(readFileSync(`${record}.pid`, "utf8")), args: split(`${record}.args`), env };
    },
  };
}

interface RunOptions {
  args?: string[];
  env?: Record<string, string>;
  namespace?: NetworkNamespace;
}

function runEntrypoint(sandbox: Sandbox, { args = ["start", "--optimized"], env = {}, namespace }: RunOptions = {}): Promise<RunResult> {
  const argv = [resolveCommand("bash"), ENTRYPOINT, ...args];
  const [command, ...rest] = namespace ? namespace.command(argv) : argv;
  return runProcess(command, rest, { env: { PATH: sandbox.bin.path, ...env } });
}

async function metadataServer(options: MetadataServerOptions): Promise<MetadataServer> {
  const server = await startMetadataServer(options);
  servers.push(server);
  return server;
}

function expectStarted(result: RunResult, sandbox: Sandbox): KcInvocation {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const invocation = sandbox.invocation();
  expect(invocation).toBeDefined();
  return invocation!;
}

function expectRefused(result: RunResult, sandbox: Sandbox, message: RegExp): void {
  expect(result.timedOut).toBe(false);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(message);
  expect(sandbox.invocation()).toBeUndefined();
}

describe("entrypoint and ECS task metadata", () => {
  test("does not ask the task metadata endpoint: the address comes from the task's own interface, with bash alone", async () => {
    const sandbox = createSandbox({ withIp: false });
    const server = await metadataServer({ task: taskMetadataFor("10.0.1.23") });
    await namespaces.with(async (namespace) => {
      namespace.addVeth({ namespaceAddress: "198.18.0.2/30" });

      const result = await runEntrypoint(sandbox, { namespace, env: { ECS_CONTAINER_METADATA_URI_V4: server.uri } });

      expect(expectStarted(result, sandbox).env[BIND_VARIABLE]).toBe("198.18.0.2");
      expect(server.requests).toEqual([]);
    });
  });

  test("an explicit KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS wins over the interfaces", async () => {
    const sandbox = createSandbox({ withIp: true });

    const result = await runEntrypoint(sandbox, { env: { [BIND_VARIABLE]: "198.18.7.7" } });

    expect(expectStarted(result, sandbox).env[BIND_VARIABLE]).toBe("198.18.7.7");
    expect(result.stderr).toMatch(/bind address 198\.18\.7\.7 \(source: KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS\)/);
  });
});

describe("entrypoint as the container's process", () => {
  test("passes every argument to kc.sh verbatim, including spaces, empty ones and --help", async () => {
    const sandbox = createSandbox({ withIp: true });
    const args = ["start", "--optimized", "--log-level=INFO,org.keycloak:debug", "--spi-theme-welcome-theme=my theme", "", "--help"];

    const result = await runEntrypoint(sandbox, { args, env: { [BIND_VARIABLE]: "198.18.7.7" } });

    expect(expectStarted(result, sandbox).args).toEqual(args);
  });

  test("execs kc.sh, so Keycloak keeps the entrypoint's PID and receives SIGTERM", async () => {
    const sandbox = createSandbox({ withIp: true });

    const result = await runEntrypoint(sandbox, { env: { [BIND_VARIABLE]: "198.18.7.7" } });

    expect(expectStarted(result, sandbox).pid).toBe(result.pid);
  });

  test("--entrypoint-help prints the usage and exits 0 without starting Keycloak", async () => {
    const sandbox = createSandbox({ withIp: true });

    const result = await runEntrypoint(sandbox, { args: ["--entrypoint-help"] });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: entrypoint\.sh /);
    expect(sandbox.invocation()).toBeUndefined();
  });
});

describe("entrypoint without ECS task metadata", () => {
  const readers = [
    { reader: "ip", withIp: true },
    { reader: "/proc/net/fib_trie (the image has no ip)", withIp: false },
  ];

  test.each(readers)("reading $reader, binds to the 198.18 address and skips loopback and link-local", async ({ withIp }) => {
    const sandbox = createSandbox({ withIp });
    await namespaces.with(async (namespace) => {
      // No host-side address: nothing here needs the host, and parallel tests may route 198.18 blocks.
      const veth = namespace.addVeth({ namespaceAddress: "198.18.0.2/30" });
      // Like Fargate's 169.254.172.0/22 task address; both readers list it before the 198.18 one
      // (ip: link scope first, fib_trie: numeric order), so skipping it is what picks 198.18.
      namespace.addAddress(veth.namespaceInterface, "169.254.172.2/22", "link");

      const result = await runEntrypoint(sandbox, { namespace });

      expect(expectStarted(result, sandbox).env[BIND_VARIABLE]).toBe("198.18.0.2");
      expect(result.stderr).toMatch(/bind address 198\.18\.0\.2 \(source: local interfaces\)/);
    });
  });

  test.each(readers)("reading $reader, refuses to start with only loopback and names the variable to set", async ({ withIp }) => {
    const sandbox = createSandbox({ withIp });
    await namespaces.with(async (namespace) => {
      const result = await runEntrypoint(sandbox, { namespace });

      expectRefused(result, sandbox, /no IPv4 address other than loopback or link-local found; set KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS/);
      expect(result.stderr).not.toMatch(/127\.0\.0\.1/);
    });
  });

  test("prefers an RFC 1918 address over other usable addresses listed before it", async () => {
    // A stand-in ip: RFC 1918 addresses may not be put on interfaces in tests.
    const sandbox = createSandbox({ withIp: false });
    // The stand-in's own need, not the entrypoint's.
    sandbox.bin.link("cat");
    sandbox.bin.script(
      "ip",
      `cat <<'EOF'
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 169.254.172.2/22 scope global eth0\\       valid_lft forever preferred_lft forever
3: eth1    inet 198.18.0.2/24 scope global eth1\\       valid_lft forever preferred_lft forever
4: eth2    inet 172.20.4.9/20 scope global eth2\\       valid_lft forever preferred_lft forever
EOF`,
    );

    const result = await runEntrypoint(sandbox);

    expect(expectStarted(result, sandbox).env[BIND_VARIABLE]).toBe("172.20.4.9");
  });
});
