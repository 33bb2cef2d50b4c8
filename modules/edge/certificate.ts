import { Construct } from "constructs";
import { Fn } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";

/** Life of the self-signed certificate: one year, as the original's `openssl x509 -days 365`. */
export const SELF_SIGNED_VALIDITY_HOURS = 8760;
/** Terraform replaces the self-signed certificate when an apply runs within this time before it expires. */
export const SELF_SIGNED_EARLY_RENEWAL_HOURS = 720;

const HOUR_MS = 3_600_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * What an operator must know about the self-signed certificate's life, for a deploy made at
 * `now`: nobody renews it unless an apply runs inside the renewal window.
 */
export function selfSignedRenewalNotice(stack: string, now: Date, validityHours = SELF_SIGNED_VALIDITY_HOURS): string {
  const expires = now.getTime() + validityHours * HOUR_MS;
  const renewFrom = expires - SELF_SIGNED_EARLY_RENEWAL_HOURS * HOUR_MS;
  return (
    `${stack}: the self-signed certificate is valid ${validityHours / 24} days from the apply that creates it ` +
    `(deployed today: until ${isoDay(expires)}) and is renewed only by an apply in its last ${SELF_SIGNED_EARLY_RENEWAL_HOURS / 24} days ` +
    `(from ${isoDay(renewFrom)}). \`terraform output -raw certificate_expires_at\` shows the deployed date; run \`cdktf deploy ${stack}\` in that window (the certificate-expiry alarm tells the alarm topic when it opens).`
  );
}

export interface CertificateProps {
  readonly namePrefix: string;
  /** Host name the certificate is for (may be a token, e.g. the ALB's DNS name). */
  readonly hostname: string;
  /**
   * Route53 public zone of the host name. Given: an ACM certificate validated by DNS.
   * Empty: a self-signed certificate made by the TLS provider and imported into ACM.
   * @default ""
   */
  readonly hostedZoneId: string;
  /** Validity of the self-signed certificate. @default SELF_SIGNED_VALIDITY_HOURS (one year) */
  readonly validityHours?: number;
}

/** The ALB's server certificate in ACM. */
export class Certificate extends Construct {
  /** ARN to put on the HTTPS listener; in DNS mode only once validation has passed. */
  readonly certificateArn: string;
  /** Whether browsers will trust it out of the box (and ACM renews it by itself). */
  readonly publiclyTrusted: boolean;
  /** When the certificate expires (RFC 3339), known after apply. */
  readonly expiresAt: string;

  constructor(scope: Construct, id: string, props: CertificateProps) {
    super(scope, id);
    this.publiclyTrusted = props.hostedZoneId !== "";

    if (!this.publiclyTrusted) {
      const key = new PrivateKey(this, "key", { algorithm: "RSA", rsaBits: 2048 });
      const cert = new SelfSignedCert(this, "self-signed", {
        privateKeyPem: key.privateKeyPem,
        // The ALB's DNS name can be longer than the 64 characters a common name allows;
        // browsers match the subject alternative name anyway.
        subject: [{ commonName: props.namePrefix, organization: "Keycloak on Fargate" }],
        dnsNames: [props.hostname],
        validityPeriodHours: props.validityHours ?? SELF_SIGNED_VALIDITY_HOURS,
        earlyRenewalHours: SELF_SIGNED_EARLY_RENEWAL_HOURS,
        allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
      });
      const imported = new AcmCertificate(this, "imported", {
        privateKey: key.privateKeyPem,
        certificateBody: cert.certPem,
        tags: { Name: `${props.namePrefix}-self-signed` },
        lifecycle: { createBeforeDestroy: true },
      });
      this.certificateArn = imported.arn;
      this.expiresAt = cert.validityEndTime;
      return;
    }

    const cert = new AcmCertificate(this, "public", {
      domainName: props.hostname,
      validationMethod: "DNS",
      tags: { Name: `${props.namePrefix}-public` },
      lifecycle: { createBeforeDestroy: true },
    });
    const option = Fn.element(Fn.tolist(cert.domainValidationOptions), 0);
    const record = new Route53Record(this, "validation-record", {
      zoneId: props.hostedZoneId,
      name: Fn.lookup(option, "resource_record_name"),
      type: Fn.lookup(option, "resource_record_type"),
      records: [Fn.lookup(option, "resource_record_value")],
      ttl: 60,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validation", {
      certificateArn: cert.arn,
      validationRecordFqdns: [record.fqdn],
    });
    this.certificateArn = validation.certificateArn;
    this.expiresAt = cert.notAfter;
  }
}
