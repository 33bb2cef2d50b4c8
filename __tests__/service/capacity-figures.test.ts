import {
  CPU_TARGET_PERCENT,
  FIGURE_SETS,
  HEADROOM_FACTOR,
  KEYCLOAK_FIGURES,
  KEYCLOAK_SIZING_GUIDE,
  OUR_FIGURES,
  taskCpuAlarmPercent,
} from "../../modules/service/capacity-figures";
import { KEYCLOAK_PER_VCPU_PER_SECOND } from "../../modules/edge/waf";

describe("capacity figures", () => {
  test("Keycloak's figures are its guide's per-vCPU rates as CPU-ms per request: 15 logins, 120 client credentials, 120 refreshes a second", () => {
    expect(1000 / KEYCLOAK_FIGURES.passwordLoginCpuMs.value).toBeCloseTo(15, 9);
    expect(1000 / KEYCLOAK_FIGURES.clientCredentialsCpuMs.value).toBeCloseTo(120, 9);
    expect(1000 / KEYCLOAK_FIGURES.refreshTokenCpuMs.value).toBeCloseTo(120, 9);
    expect(KEYCLOAK_FIGURES.memoryPerNodeMb.value).toBe(1250);
    expect(KEYCLOAK_PER_VCPU_PER_SECOND).toEqual({ logins: 15, tokenRequests: 120 });
  });

  test("every figure names its source and the date it was recorded; every figure of ours comes from the benchmark", () => {
    for (const set of Object.values(FIGURE_SETS)) {
      for (const [name, f] of Object.entries(set)) {
        expect([name, f.source.length > 20, /^\d{4}-\d\d-\d\d$/.test(f.date)]).toEqual([name, true, true]);
      }
    }
    for (const f of Object.values(KEYCLOAK_FIGURES)) expect(f.source).toContain(KEYCLOAK_SIZING_GUIDE);
    for (const [name, f] of Object.entries(OUR_FIGURES)) expect([name, f.source]).toEqual([name, expect.stringMatching(/^npm run bench:capacity on our stand/)]);
  });

  test("the CPU target leaves Keycloak's 150 % headroom: 100 / 2.5 = 40 %", () => {
    expect(HEADROOM_FACTOR).toBe(2.5);
    expect(CPU_TARGET_PERCENT).toBe(40);
  });

  test("the task CPU alarm is midway between the CPU target and throttling", () => {
    expect(taskCpuAlarmPercent(CPU_TARGET_PERCENT)).toBe(70);
    expect(taskCpuAlarmPercent(60)).toBe(80);
    expect(taskCpuAlarmPercent(90)).toBe(95);
  });
});
