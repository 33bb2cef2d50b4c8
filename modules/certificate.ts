import { Construct } from "constructs";
import { Fn } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";

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
  /** Validity of the self-signed certificate. @default 8760 (one year, as the original's openssl call) */
  readonly validityHours?: number;
}

/** The ALB's server certificate in ACM. */
export class Certificate extends Construct {
  /** ARN to put on the HTTPS listener; in DNS mode only once validation has passed. */
  readonly certificateArn: string;
  /** Whether browsers will trust it out of the box. */
  readonly publiclyTrusted: boolean;

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
        validityPeriodHours: props.validityHours ?? 8760,
        earlyRenewalHours: 720,
        allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
      });
      const imported = new AcmCertificate(this, "imported", {
        privateKey: key.privateKeyPem,
        certificateBody: cert.certPem,
        tags: { Name: `${props.namePrefix}-self-signed` },
        lifecycle: { createBeforeDestroy: true },
      });
      this.certificateArn = imported.arn;
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
  }
}
