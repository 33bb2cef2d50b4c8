import { Testing } from "cdktf";
import { onlyResource, onlyResourceName, resourcesOf, synthStack, ref, testConfig } from "../../modules/synth";
import { selfSignedRenewalNotice } from "../../modules/edge/certificate";
import { KeycloakStack } from "../../modules/stack";
import type { RawSettings } from "../../modules/config";

/** The warnings synth prints for a stack with these settings. */
function synthWarnings(settings: RawSettings): string[] {
  const stack = new KeycloakStack(Testing.app(), "keycloak-test", testConfig(settings));
  return stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

describe("Certificate", () => {
  test("by default a TLS-provider key and self-signed certificate for the ALB's DNS name are imported into ACM", () => {
    const json = synthStack();
    const alb = onlyResourceName(json, "aws_lb");
    const cert = Object.values(resourcesOf(json, "tls_self_signed_cert"))[0];
    expect(cert.dns_names).toEqual([ref("aws_lb", alb, "dns_name")]);
    expect(cert.validity_period_hours).toBe(8760);
    const acm = onlyResource(json, "aws_acm_certificate");
    const certName = onlyResourceName(json, "tls_self_signed_cert");
    expect(acm.certificate_body).toBe(ref("tls_self_signed_cert", certName, "cert_pem"));
    expect(String(acm.private_key)).toMatch(/^\$\{tls_private_key\.certificate_key_[A-Z0-9]+\.private_key_pem\}$/);
    expect(acm.validation_method).toBeUndefined();
  });

  test("a configured host name without a zone gets a self-signed certificate for that name", () => {
    const json = synthStack({ hostname: "login.example.com" });
    expect(Object.values(resourcesOf(json, "tls_self_signed_cert"))[0].dns_names).toEqual(["login.example.com"]);
  });

  test("with a Route53 zone: a DNS-validated ACM certificate, its validation record and an alias to the ALB", () => {
    const json = synthStack({ hostname: "login.example.com", hostedZoneId: "Z0123456789ABC" });
    expect(resourcesOf(json, "tls_self_signed_cert")).toEqual({});
    const acm = onlyResource(json, "aws_acm_certificate");
    expect(acm).toMatchObject({ domain_name: "login.example.com", validation_method: "DNS" });
    const validation = onlyResource(json, "aws_acm_certificate_validation");
    const records = Object.values(resourcesOf(json, "aws_route53_record")).filter((r) => r.zone_id === "Z0123456789ABC");
    expect(records).toHaveLength(2);
    const alias = records.find((r) => r.type === "A")!;
    expect(alias.name).toBe("login.example.com");
    expect((alias.alias as { name: string }).name).toBe(ref("aws_lb", onlyResourceName(json, "aws_lb"), "dns_name"));
    const https = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.port === 443)!;
    expect(https.certificate_arn).toBe(ref("aws_acm_certificate_validation", onlyResourceName(json, "aws_acm_certificate_validation"), "certificate_arn"));
    expect(validation.validation_record_fqdns).toHaveLength(1);
  });

  test("the self-signed certificate's renewal notice names the expiry and the first renewal day of a deploy made now, and the command", () => {
    const notice = selfSignedRenewalNotice("keycloak-prod", new Date("2026-11-29T10:00:00Z"));
    expect(notice).toContain("until 2027-11-29");
    expect(notice).toContain("last 30 days (from 2027-10-30)");
    expect(notice).toContain("terraform output -raw certificate_expires_at");
    expect(notice).toContain("cdktf deploy keycloak-prod");
    expect(notice).toContain("certificate-expiry alarm");
  });

  test("synth warns about the self-signed certificate's renewal, and in the prod profile that clients must trust it and which settings give a public one", () => {
    const prod = synthWarnings({});
    expect(prod.filter((w) => w.includes("renewed only by an apply"))).toHaveLength(1);
    expect(prod.find((w) => w.includes("prod profile serves a self-signed certificate"))).toContain("KEYCLOAK_HOSTED_ZONE_ID");
    const dev = synthWarnings({ profile: "dev" });
    expect(dev.filter((w) => w.includes("renewed only by an apply"))).toHaveLength(1);
    expect(dev.some((w) => w.includes("prod profile"))).toBe(false);
    const publicCertificate = synthWarnings({ hostname: "login.example.com", hostedZoneId: "Z0123456789ABC" });
    expect(publicCertificate.some((w) => w.includes("certificate"))).toBe(false);
  });

  test("the expiry date of either kind of certificate is a stack output", () => {
    const selfSigned = synthStack();
    expect(selfSigned.output?.certificate_expires_at.value).toBe(ref("tls_self_signed_cert", onlyResourceName(selfSigned, "tls_self_signed_cert"), "validity_end_time"));
    const publicCert = synthStack({ hostname: "login.example.com", hostedZoneId: "Z0123456789ABC" });
    expect(publicCert.output?.certificate_expires_at.value).toBe(ref("aws_acm_certificate", onlyResourceName(publicCert, "aws_acm_certificate"), "not_after"));
  });
});
