import { latencyStats, openLoop, closedLoop, type OperationSample } from "../support/capacity-load";
import { gcPauseMs, parseExecutionSamples, profileOf } from "../support/jfr-profile";

/**
 * The capacity benchmark's own mechanics, on recorded shapes and fake operations: the JFR text it
 * reads (the shape `jfr print` writes), how a sample is charged to a component, the GC pauses of
 * a window, and the open loop that holds a rate without waiting for answers.
 */

// Two samples as the JDK's `jfr print --events jdk.ExecutionSample,jdk.GarbageCollection` prints them (TZ=UTC).
const RECORDED = `jdk.ExecutionSample {
  startTime = 19:14:16.894 (2026-12-06)
  sampledThread = "executor-thread-1" (javaThreadId = 91)
  state = "STATE_RUNNABLE"
  stackTrace = [
    org.bouncycastle.crypto.generators.Argon2BytesGenerator$FillBlock.applyBlake() line: 512
    org.bouncycastle.crypto.generators.Argon2BytesGenerator.fillSegment(Argon2BytesGenerator$FillBlock, Argon2BytesGenerator$Position) line: 240
    org.keycloak.crypto.hash.Argon2PasswordHashProvider.verify(String, PasswordCredentialModel) line: 88
    org.keycloak.authentication.authenticators.browser.UsernamePasswordForm.action(AuthenticationFlowContext) line: 50
    ...
  ]
}

jdk.ExecutionSample {
  startTime = 19:14:17.149 (2026-12-06)
  sampledThread = "executor-thread-2" (javaThreadId = 92)
  state = "STATE_RUNNABLE"
  stackTrace = [
    java.math.MutableBigInteger.mulsub(int[], int[], int, int, int) line: 1500
    java.math.BigInteger.modPow(BigInteger, BigInteger) line: 2800
    sun.security.rsa.RSACore.crtCrypt(byte[], RSAPrivateCrtKey, boolean) line: 200
    org.keycloak.jose.jws.JWSBuilder.sign(SignatureSignerContext) line: 120
    org.keycloak.protocol.oidc.TokenManager.encodeAndSign() line: 900
  ]
}

jdk.GarbageCollection {
  startTime = 19:14:17.500 (2026-12-06)
  duration = 29.5 ms
  gcId = 0
  name = "G1New"
}

jdk.GarbageCollection {
  startTime = 19:14:30.000 (2026-12-06)
  duration = 1.20 s
  gcId = 1
  name = "G1Old"
}
`;

describe("JFR profile: the recording as `jfr print` writes it", () => {
  test("parses each sample's time (UTC) and its frames as class.method, top first, dropping the truncation mark", () => {
    const samples = parseExecutionSamples(RECORDED);
    expect(samples.map((s) => s.at)).toEqual([Date.parse("2026-12-06T19:14:16.894Z"), Date.parse("2026-12-06T19:14:17.149Z")]);
    expect(samples[0].frames).toEqual([
      "org.bouncycastle.crypto.generators.Argon2BytesGenerator$FillBlock.applyBlake",
      "org.bouncycastle.crypto.generators.Argon2BytesGenerator.fillSegment",
      "org.keycloak.crypto.hash.Argon2PasswordHashProvider.verify",
      "org.keycloak.authentication.authenticators.browser.UsernamePasswordForm.action",
    ]);
  });

  test("charges a sample to the top-most frame that belongs to a component: argon2 over the login form, RSA under JDK math", () => {
    const profile = profileOf(parseExecutionSamples(RECORDED));
    expect(profile.components.map((c) => [c.name, c.samples])).toEqual([
      ["password hashing (argon2, Bouncy Castle)", 1],
      ["token signing and verification (JWS, RSA/EC)", 1],
    ]);
    expect(profile.self.map((s) => s.name)).toEqual(["org.bouncycastle.crypto.generators.Argon2BytesGenerator$FillBlock.applyBlake", "java.math.MutableBigInteger.mulsub"]);
    // Inclusive counts Keycloak's own operations only.
    expect(profile.inclusive.map((s) => s.name)).toContain("org.keycloak.protocol.oidc.TokenManager.encodeAndSign");
    expect(profile.inclusive.map((s) => s.name).filter((n) => !n.startsWith("org.keycloak."))).toEqual([]);
  });

  test("sums the GC pauses started inside the window only, in ms whatever unit jfr printed", () => {
    const from = Date.parse("2026-12-06T19:14:17Z");
    expect(gcPauseMs(RECORDED, from, from + 10_000)).toBeCloseTo(29.5);
    expect(gcPauseMs(RECORDED, from, from + 60_000)).toBeCloseTo(1229.5);
  });
});

describe("load: open and closed loops", () => {

  test("the open loop sends at the asked rate without waiting for answers", async () => {
    // Every due time is sent (no cap in reach, so a stalled event loop cannot turn sends into
    // skips), and answers of 200 ms do not hold the next send: a loop that waited would need
    // 20 x 200 ms = 4 s, the open loop about 0.5 s + one answer.
    const slowish = () => new Promise<void>((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const result = await openLoop("refresh", slowish, 40, 500, 100);
    expect({ sent: result.samples.length, skipped: result.skipped }).toEqual({ sent: 20, skipped: 0 });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  test("the open loop does not send past the in-flight cap and counts what it did not send", async () => {
    const slowOp = () => new Promise<void>((resolve) => setTimeout(resolve, 1_000));
    const result = await openLoop("login", slowOp, 40, 300, 3);
    expect(result.samples.length).toBe(3);
    expect(result.skipped).toBe(9);
  });

  test("a failed operation is a failed sample with its message, not a lost one", async () => {
    let n = 0;
    const flaky = async () => {
      if (n++ % 2 === 1) throw new Error("HTTP 503");
    };
    const result = await closedLoop("client-credentials", flaky, 1, 50);
    const stats = latencyStats(result.samples);
    expect(stats.ok + stats.failed).toBe(result.samples.length);
    expect(stats.failed).toBeGreaterThan(0);
    expect(stats.failures).toEqual(["client-credentials: HTTP 503"]);
  });

  test("percentiles are of the successful operations' latencies", () => {
    const samples: OperationSample[] = Array.from({ length: 100 }, (_, i) => ({ scenario: "login", at: 0, ms: i + 1, ok: true }));
    samples.push({ scenario: "login", at: 0, ms: 100_000, ok: false, detail: "timeout" });
    expect(latencyStats(samples)).toMatchObject({ ok: 100, failed: 1, p50Ms: 50, p95Ms: 95, p99Ms: 99 });
  });
});
