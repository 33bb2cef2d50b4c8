/**
 * The S3 bucket the ALB writes its access logs to (setting albAccessLogs): one line per request
 * with the address the ALB saw, so the client address Keycloak records can be cross-checked, and
 * a record for forensics after an incident. AWS's "Enable access logs for your Application Load
 * Balancer" (ALB_ACCESS_LOG_SOURCES.enable) fixes what the bucket must be:
 * - encrypted with SSE-S3 (AES256) only: the ALB cannot write to a bucket whose default
 *   encryption is SSE-KMS, so no KMS key here;
 * - a bucket policy that lets the load balancer write under <prefix>/AWSLogs/<account-id>/: in
 *   the Regions that have a regional Elastic Load Balancing account (those available before
 *   August 2022) that account is the principal, read from the provider's aws_elb_service_account
 *   (a table inside the provider, no API call); in newer Regions, which have no such account, the
 *   service principal logdelivery.elasticloadbalancing.amazonaws.com is.
 * The load balancer waits for the policy: CreateLoadBalancer and ModifyLoadBalancerAttributes
 * test write access to the bucket at once and fail with "Access Denied for bucket" otherwise.
 * Logs expire after the retention days; the bucket itself is not access-logged (its own log
 * bucket would need logging in turn) nor versioned (log objects are written once and expire).
 */
import { Construct } from "constructs";
import { TerraformLocal, Fn } from "cdktf";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { IAM_POLICY_VERSION } from "../access/iam";
import { constant } from "../shared/constant";

export const ALB_ACCESS_LOG_SOURCES = constant({
  enable: "Enable access logs for your Application Load Balancer (SSE-S3 the only encryption; bucket policy per Region): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
  logs: "Access logs for your Application Load Balancer (no charge but S3 storage; a file per node every 5 minutes): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html",
});

/** Key prefix of the logs in the bucket; AWS appends /AWSLogs/<account-id>/... (it must not contain AWSLogs). */
export const ALB_ACCESS_LOG_PREFIX = "alb";
/** The only default encryption the ALB can write to (SSE-S3). */
export const ALB_ACCESS_LOG_SSE = "AES256";
/** Service principal that writes the logs in Regions without an ELB account (available as of August 2022). */
export const ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com";
/**
 * Regions with a regional Elastic Load Balancing account: the keys of terraform-provider-aws's
 * table behind aws_elb_service_account (internal/service/elb, the Regions available before
 * August 2022). The data source fails in any other Region, so those get the service principal.
 */
export const ELB_ACCOUNT_REGIONS = constant([
  "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
  "ap-southeast-2", "ap-southeast-3", "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-north-1",
  "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
  "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
]);
/** Days after which an upload the ALB never finished is aborted (its parts cost storage too). */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

export interface AlbAccessLogsProps {
  readonly namePrefix: string;
  readonly region: string;
  /** Any ARN of this stack's account: the policy takes the account id from it. */
  readonly accountResourceArn: string;
  /** Days a log object is kept. */
  readonly retentionDays: number;
  /** Delete the bucket with its logs on destroy (throw-away stacks); otherwise a bucket with logs stops the destroy. */
  readonly forceDestroy: boolean;
}

/** The principal that writes the logs in `region`, as a bucket policy's Principal. */
export function logWriter(scope: Construct, region: string): Record<string, string> {
  if (!(ELB_ACCOUNT_REGIONS as readonly string[]).includes(region)) return { Service: ELB_LOG_DELIVERY_PRINCIPAL };
  return { AWS: new DataAwsElbServiceAccount(scope, "elb-account").arn };
}

export class AlbAccessLogs extends Construct {
  readonly bucketName: string;
  readonly prefix = ALB_ACCESS_LOG_PREFIX;
  /** What the load balancer waits for: the bucket policy that lets it write. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: AlbAccessLogsProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, "bucket", { bucketPrefix: `${props.namePrefix}-alb-logs-`, forceDestroy: props.forceDestroy, tags: { Name: `${props.namePrefix}-alb-logs` } });
    this.bucketName = bucket.bucket;
    new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: ALB_ACCESS_LOG_SSE } }],
    });
    new S3BucketLifecycleConfiguration(this, "expiry", {
      bucket: bucket.id,
      rule: [{
        id: "expire-access-logs",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: props.retentionDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
      }],
    });
    // arn:<partition>:ec2:<region>:<account>:...; a local keeps the policy text plain JSON.
    const accountId = new TerraformLocal(this, "account-id", Fn.element(Fn.split(":", props.accountResourceArn), 4)).asString;
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: IAM_POLICY_VERSION,
        Statement: [
          {
            Sid: "AlbWritesAccessLogs",
            Effect: "Allow",
            Principal: logWriter(this, props.region),
            Action: "s3:PutObject",
            Resource: `${bucket.arn}/${ALB_ACCESS_LOG_PREFIX}/AWSLogs/${accountId}/*`,
          },
          {
            Sid: "DenyWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });
  }
}
