/**
 * Every validation pattern of the configuration, with values it must accept and values it must
 * refuse: patterns.test.ts checks them on each pattern and through the settings that use it,
 * pattern-mutants.test.ts shows each example list tells every mutant of its pattern apart.
 */
import { runInNewContext } from "node:vm";
import type { SettingKey } from "../../modules/config/settings";
import {
  AMI_ID,
  AZ_NAME,
  BUCKET_NAME,
  DB_INSTANCE_CLASS,
  DNS_NAME,
  EC2_INSTANCE_TYPE,
  EMAIL,
  HOSTED_ZONE_ID,
  HTTPS_ORIGIN,
  IMAGE_URI,
  IPV4_CIDR,
  NAME_PREFIX,
  REALM_NAME,
  REGION,
} from "../../modules/config/values";
import { IMAGE_DIGEST } from "../../modules/image/image";


export interface PatternCase {
  readonly pattern: RegExp;
  readonly accepts: readonly string[];
  readonly refuses: readonly string[];
  /** Settings that parse a value with this pattern (their parse may refuse more: the examples avoid that). */
  readonly settings: readonly SettingKey[];
}

const hex = (n: number) => "0123456789abcdef".repeat(8).slice(0, n);
const DIGEST = `sha256:${hex(64)}`;
const label63 = `a${"b".repeat(61)}c`;

export const PATTERNS: Record<string, PatternCase> = {
  IPV4_CIDR: {
    pattern: IPV4_CIDR,
    accepts: ["10.0.0.0/16", "192.168.100.0/24", "0.0.0.0/0", "255.255.255.255/32", "1.2.3.4/5"],
    refuses: ["10.0.0/16", "10.0.0.0.0/16", "1000.0.0.0/8", "10.1000.0.0/8", "10.0.1000.0/8", "10.0.0.1000/8", "10.0.0.0/123", "10.0.0.0", "10.0.0.0/", "x10.0.0.0/16", "10.0.0.0/16x", "a.0.0.0/8", "10x0.0.0/8", "10.0x0.0/8", "10.0.0x0/8", "10.0.0.0x16", ".0.0.0/8", "10..0.0/8", "10.0..0/8", "10.0.0./8"],
    settings: [],
  },
  REGION: {
    pattern: REGION,
    accepts: ["eu-west-1", "us-gov-west-1", "ap-southeast-4"],
    refuses: ["", "eu-west", "eu-west-10", "eu-west-a", "e-west-1", "eur-west-1", "euwest-1", "eu--1", "eu-West-1", "eu-west-1a", "xeu-west-1", "eu-west-1 ", "1u-west-1", "eu-w3st-1"],
    settings: ["region", "stateRegion"],
  },
  AZ_NAME: {
    pattern: AZ_NAME,
    accepts: ["eu-west-1a", "us-gov-west-1b", "ap-southeast-4c"],
    refuses: ["", "eu-west-1", "eu-west-1ab", "eu-west-12a", "eu-west-1A", "eu-west-11", "eu-west-a", "e-west-1a", "eur-west-1a", "euwest-1a", "eu--1a", "xeu-west-1a", "eu-west-1a ", "1u-west-1a", "eu-w3st-1a"],
    settings: ["availabilityZones"],
  },
  DNS_NAME: {
    pattern: DNS_NAME,
    accepts: ["id.example.com", "a.b", "x-1.example.org", `${label63}.com`, `${`${label63}.`.repeat(3)}${"d".repeat(61)}`],
    refuses: ["", "localhost", "-id.example.com", "id-.example.com", "id.-example.com", "id.example-.com", "ID.example.com", "id..example.com", "id.example.com.", ".example.com", "id_x.example.com", `a${"b".repeat(62)}c.com`, `com.a${"b".repeat(62)}c`, `${`${label63}.`.repeat(3)}${"d".repeat(62)}`, "id.example.com ", " id.example.com"],
    settings: ["hostname", "privateZoneName"],
  },
  EMAIL: {
    pattern: EMAIL,
    accepts: ["ops@example.com", "Ops.Team+kc@Example.co.uk", "a@b-c.d"],
    refuses: ["", "ops", "ops@example", "@example.com", "ops@@example.com", "o ps@example.com", "o,ps@example.com", "ops@exa_mple.com", "ops@example..com", "ops@example.com.", "ops@.example.com", "ops@example.c_m", " ops@example.com", "ops@example.com "],
    settings: ["alarmEmails"],
  },
  IMAGE_URI: {
    pattern: IMAGE_URI,
    accepts: [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/keycloak:26.4.0",
      "registry.example.com:5000/team/keycloak-ha:v1_2",
      "quay.io/keycloak/keycloak@" + DIGEST,
      "r/a.b_c-d:_",
      `r/i:${"T".repeat(128)}`,
      "r9-x/i9.j:9",
    ],
    refuses: [
      "",
      "keycloak",
      "registry/keycloak",
      "Registry/keycloak:1",
      "registry/Keycloak:1",
      "registry:port/keycloak:1",
      "registry:/keycloak:1",
      "registry//keycloak:1",
      "registry/keycloak/:1",
      "registry/keycloak:",
      "registry/keycloak:.1",
      "registry/keycloak:-1",
      `registry/keycloak:${"T".repeat(129)}`,
      "registry/keycloak:1:2",
      "registry/keycloak:a b",
      "registry/keycloak@sha256:" + hex(63),
      "registry/keycloak@sha256:" + hex(65),
      "registry/keycloak@sha256:" + hex(63) + "G",
      "registry/keycloak@sha512:" + hex(64),
      "registry/keycloak:1@" + DIGEST,
      "registry-/keycloak:1",
      "-registry/keycloak:1",
      "registry/keycloak-:1",
      "registry/-keycloak:1",
      "registry/key..cloak:1",
      "reg..istry/keycloak:1",
      "registry/key~cloak:1",
      "reg_istry/keycloak:1",
      " registry/keycloak:1",
      "registry/keycloak:1 ",
      "x/y:1\n",
    ],
    settings: ["imageUri"],
  },
  IMAGE_DIGEST: {
    pattern: IMAGE_DIGEST,
    accepts: [DIGEST, `sha256:${"f".repeat(64)}`],
    refuses: ["", hex(64), `sha256:${hex(63)}`, `sha256:${hex(65)}`, `sha256:${"F".repeat(64)}`, `sha256:${hex(63)}g`, `sha512:${hex(64)}`, ` ${DIGEST}`, `${DIGEST} `, `x${DIGEST}`],
    settings: ["baseImageDigest"],
  },
  NAME_PREFIX: {
    pattern: NAME_PREFIX,
    accepts: ["k", "kc-prod", "a1", `k${"c".repeat(19)}`, "k-9"],
    refuses: ["", "1kc", "-kc", "kc-", "Kc", "k_c", `k${"c".repeat(20)}`, "kc prod", " kc", "kc "],
    settings: ["namePrefix"],
  },
  HTTPS_ORIGIN: {
    pattern: HTTPS_ORIGIN,
    accepts: ["https://admin.example.com", "https://admin.example.com:8443", "https://a.b:1", "https://a.b:65535"],
    refuses: ["http://admin.example.com", "https://", "https://admin.example.com/", "https://admin.example.com/admin", "https://admin.example.com:", "https://admin.example.com:123456", "https://admin.example.com:8x", "https://a:b.c", "xhttps://a.b", "https://a.b:1 ", "https:/a.b", "https//a.b"],
    settings: ["hostnameAdmin"],
  },
  HOSTED_ZONE_ID: {
    pattern: HOSTED_ZONE_ID,
    accepts: ["Z1D633PJN98FT9", "Z0123", `Z${"A".repeat(31)}`],
    refuses: ["", "Z012", "z1D633PJN98FT9", "Z1d633PJN98FT9", "X1D633PJN98FT9", `Z${"A".repeat(32)}`, "1D633PJN98FT9", "Z1D633-JN98FT9", " Z1D633PJN98FT9", "Z1D633PJN98FT9 ", "/hostedzone/Z1D633PJN98FT9"],
    settings: ["hostedZoneId"],
  },
  REALM_NAME: {
    pattern: REALM_NAME,
    accepts: ["customers", "Staff_2", "a-b", "x", "R".repeat(64)],
    refuses: ["", "R".repeat(65), "my realm", "my.realm", "my/realm", "é", " customers", "customers "],
    settings: ["publicRealms"],
  },
  DB_INSTANCE_CLASS: {
    pattern: DB_INSTANCE_CLASS,
    accepts: ["db.t4g.small", "db.r6g.12xlarge", "db.m7g.large"],
    refuses: ["", "t4g.small", "db.t4g", "db..small", "db.t4g.", "dbxt4g.small", "db.t4gxsmall", "db.T4g.small", "db.t4g.Small", "db.t4g-x.small", "db.t4g.small-x", " db.t4g.small", "db.t4g.small "],
    settings: ["dbInstanceClass"],
  },
  EC2_INSTANCE_TYPE: {
    pattern: EC2_INSTANCE_TYPE,
    accepts: ["t4g.nano", "t3.micro", "u-6tb1.metal", "m7i-flex.large", "c.9"],
    refuses: ["", "t4g", "t4g.", ".nano", "4g.nano", "T4g.nano", "t4g.Nano", "t4g.na-no", "t4g..nano", "t4g.nano.x", "t4gxnano", "-t4g.nano", " t4g.nano", "t4g.nano "],
    settings: ["bastionInstanceType"],
  },
  AMI_ID: {
    pattern: AMI_ID,
    accepts: [`ami-${hex(8)}`, `ami-${hex(17)}`],
    refuses: ["", `ami-${hex(7)}`, `ami-${hex(9)}`, `ami-${hex(16)}`, `ami-${hex(18)}`, `ami-${"A".repeat(8)}`, `ami-${hex(7)}g`, `ami-${hex(16)}g`, `ami${hex(8)}`, `AMI-${hex(8)}`, `xami-${hex(8)}`, `ami-${hex(8)} `],
    settings: ["bastionAmiId"],
  },
  BUCKET_NAME: {
    pattern: BUCKET_NAME,
    accepts: ["abc", "my-state.bucket-1", "0ab", `a${"b".repeat(61)}c`],
    refuses: ["", "ab", `a${"b".repeat(62)}c`, "-abc", "abc-", ".abc", "abc.", "Abc", "aBc", "ab_c", " abc", "abc "],
    settings: ["stateBucket"],
  },
};

/**
 * Whether the pattern matches, or "hangs": some mutants backtrack for minutes on a long example
 * (say `([^.-][a-z0-9]+)*` on a 64-digit digest). A hang would fail the loader's tests by their
 * time limit, as Stryker counts a timeout as detected; so it counts as a misjudgement here.
 */
const matches = (re: RegExp, value: string): boolean | "hangs" => {
  try {
    return runInNewContext("re.test(value)", { re, value }, { timeout: 100 }) as boolean;
  } catch {
    return "hangs";
  }
};

export const judge = (re: RegExp, cases: PatternCase) => ({
  accepted: cases.accepts.filter((v) => matches(re, v) !== true).map((v) => `refuses ${JSON.stringify(v)}`),
  refused: cases.refuses.filter((v) => matches(re, v) !== false).map((v) => `accepts ${JSON.stringify(v)}`),
});

