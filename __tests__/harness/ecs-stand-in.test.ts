import { TASK_LIFECYCLE, crashErrorWindowSeconds } from "../../modules/service/task-lifecycle";
import { CONTAINER_HEALTH_CHECK_COMMAND } from "../../modules/service/keycloak-service";
import { crashErrorWindowMs, ecsTimingsOf, timeScale } from "../support/ecs-timings";
import { fastFall, haproxyConfig, HEALTH_CHECK } from "../support/haproxy";
import { percentile, REQUESTS_PER_LOGIN, windowStats, type UserLoad } from "../support/user-load";
import { synthStack } from "../../modules/synth";

/** The lifecycle e2e's ECS stand-in takes its timings from the synthesized stack, not from the tests. */

const json = synthStack({ desiredCount: 2, maxCount: 4, dbPoolMaxSize: 15 });

describe("the ECS stand-in's timings", () => {
  test("are the synthesized target group's, service's and container's", () => {
    const t = ecsTimingsOf(json, "keycloak-test");
    const h = TASK_LIFECYCLE.targetHealthCheck;
    const c = TASK_LIFECYCLE.containerHealthCheck;
    expect(t).toEqual({
      scale: 1,
      healthCheck: { path: "/health/ready", port: 9000, matcher: "200", intervalMs: h.intervalSeconds * 1000, timeoutMs: h.timeoutSeconds * 1000, healthyThreshold: h.healthyThreshold, unhealthyThreshold: h.unhealthyThreshold },
      deregistrationDelayMs: TASK_LIFECYCLE.deregistrationDelaySeconds * 1000,
      stickiness: { cookieDurationSeconds: 86400 },
      stopTimeoutMs: TASK_LIFECYCLE.stopTimeoutSeconds * 1000,
      containerHealthCheck: { command: CONTAINER_HEALTH_CHECK_COMMAND, intervalMs: c.intervalSeconds * 1000, timeoutMs: c.timeoutSeconds * 1000, retries: c.retries, startPeriodMs: c.startPeriodSeconds * 1000 },
      desiredCount: 2,
      minimumHealthyPercent: 100,
      maximumPercent: 150,
    });
    expect(crashErrorWindowMs(t)).toBe(crashErrorWindowSeconds() * 1000);
  });

  test("scale every duration by one factor, and refuse a factor outside (0, 1]", () => {
    const t = ecsTimingsOf(json, "keycloak-test", 0.5);
    expect([t.scale, t.healthCheck.intervalMs, t.deregistrationDelayMs, t.stopTimeoutMs, t.healthCheck.unhealthyThreshold, t.containerHealthCheck.startPeriodMs, t.containerHealthCheck.retries]).toEqual([
      0.5,
      TASK_LIFECYCLE.targetHealthCheck.intervalSeconds * 500,
      TASK_LIFECYCLE.deregistrationDelaySeconds * 500,
      TASK_LIFECYCLE.stopTimeoutSeconds * 500,
      TASK_LIFECYCLE.targetHealthCheck.unhealthyThreshold,
      TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds * 500,
      TASK_LIFECYCLE.containerHealthCheck.retries,
    ]);
    expect(timeScale({})).toBe(1);
    expect(timeScale({ E2E_TIME_SCALE: "0.25" })).toBe(0.25);
    expect(() => timeScale({ E2E_TIME_SCALE: "2" })).toThrow("not a number in (0, 1]");
  });

  test("become the proxy's health check, stickiness and no-retry behaviour; unregistered targets start in maintenance", () => {
    const t = ecsTimingsOf(json, "keycloak-test");
    const config = haproxyConfig({
      dir: "/tmp/x",
      bindAddress: "198.18.0.1",
      bindPort: 443,
      certificate: { certPem: "", bundleFile: "/tmp/x/proxy.pem" },
      backends: [{ name: "node-a", address: "198.18.0.11" }, { name: "node-b", address: "198.18.0.12" }],
      targetGroup: t,
      registered: ["node-a"],
    });
    expect(config).toContain("option httpchk GET /health/ready");
    expect(config).toContain(`default-server check port 9000 inter ${t.healthCheck.intervalMs}ms fall ${t.healthCheck.unhealthyThreshold} rise ${t.healthCheck.healthyThreshold}`);
    expect(config).toContain(`timeout check ${t.healthCheck.timeoutMs}ms`);
    expect(config).toContain("cookie AWSALB insert indirect nocache maxlife 86400s");
    expect(config.match(/^ {2}retries /gm)).toEqual(["  retries "]);
    expect(config).toMatch(/^defaults\n(?: {2}.*\n)* {2}retries 0\n/m);
    expect(config).toContain("server node-a 198.18.0.11:8080 cookie node-a\n");
    expect(config).toContain("server node-b 198.18.0.12:8080 cookie node-b disabled\n");
  });
});

describe("the user load's verdict on a window", () => {
  test("counts requests (a login is three), failures and re-logins of the window only, and login latency percentiles", () => {
    const load = {
      users: ["session-1", "visitor-2"],
      samples: [
        { at: 5, kind: "refresh", ok: true, ms: 10, user: "session-1" },
        { at: 10, kind: "login", ok: true, ms: 200, user: "visitor-1" },
        { at: 11, kind: "login", ok: true, ms: 400, user: "visitor-1" },
        { at: 12, kind: "refresh", ok: false, detail: "HTTP 503", ms: 1, user: "session-1", pinnedTo: "node-a" },
        { at: 13, kind: "login", ok: false, detail: "boom", ms: 1, user: "visitor-2" },
        { at: 30, kind: "refresh", ok: false, ms: 1, user: "session-2" },
      ],
      relogins: [{ at: 12, user: "session-1", detail: "invalid_grant" }, { at: 40, user: "session-2", detail: "invalid_grant" }],
    } as unknown as UserLoad;
    const stats = windowStats(load, "event", 10, 20);
    expect(stats).toMatchObject({ logins: 2, refreshes: 1, requests: 3 * REQUESTS_PER_LOGIN + 1, failed: 2, p50Ms: 200, p99Ms: 400 });
    expect(stats.relogins.map((r) => r.user)).toEqual(["session-1"]);
    expect(stats.failures).toEqual(["refresh of session-1: HTTP 503", "login of visitor-2: boom"]);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBe(0);
  });
});

describe("the fast proxy with the target group's unhealthy window", () => {
  const base = {
    dir: "/tmp/x",
    bindAddress: "198.18.0.1",
    bindPort: 443,
    certificate: { certPem: "", bundleFile: "/tmp/x/proxy.pem" },
    backends: [{ name: "node-a", address: "198.18.0.11" }],
  };

  test("keeps a failing server in service for the synthesized interval x unhealthy threshold, checking every second", () => {
    const t = ecsTimingsOf(json, "keycloak-test");
    const window = t.healthCheck.intervalMs * t.healthCheck.unhealthyThreshold;
    expect(fastFall(window) * HEALTH_CHECK.intervalMs).toBeGreaterThanOrEqual(window);
    expect(haproxyConfig({ ...base, unhealthyAfterMs: window })).toContain(`inter ${HEALTH_CHECK.intervalMs}ms fall ${window / HEALTH_CHECK.intervalMs} rise ${HEALTH_CHECK.rise}`);
  });

  test("neither retries a request nor redispatches it, with or without the target group, as the ALB does neither", () => {
    for (const config of [haproxyConfig(base), haproxyConfig({ ...base, unhealthyAfterMs: 90_000 }), haproxyConfig({ ...base, targetGroup: ecsTimingsOf(json, "keycloak-test") })]) {
      expect(config.match(/^ *retries .*$/gm)).toEqual(["  retries 0"]);
      expect(config).not.toMatch(/redispatch|retry-on|option allbackups/);
    }
  });

  test("without it, fails a server after HEALTH_CHECK's fast fall", () => {
    expect(fastFall()).toBe(HEALTH_CHECK.fall);
    expect(haproxyConfig(base)).toContain(`fall ${HEALTH_CHECK.fall} rise`);
  });
});

