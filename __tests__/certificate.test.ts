import { onlyResource, onlyResourceName, resourcesOf, synthStack, ref } from "./support/synth";

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
});
