import { onlyResource, onlyResourceName, ref, resourcesOf, synthStack, testConfig, type TerraformJson } from "../../modules/synth";
import {
  ABORT_INCOMPLETE_UPLOAD_DAYS,
  ALB_ACCESS_LOG_PREFIX,
  ALB_ACCESS_LOG_SOURCES,
  ELB_ACCOUNT_REGIONS,
} from "../../modules/edge/alb-access-logs";
import { MAX_ACCESS_LOG_RETENTION_DAYS } from "../../modules/config/values";

type Res = Record<string, unknown>;
type Statement = { Sid: string; Effect: string; Principal: unknown; Action: string; Resource: unknown; Condition?: unknown };
const S3_TYPES = [
  "aws_s3_bucket", "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block", "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
];
const statements = (json: TerraformJson) => (JSON.parse(String(onlyResource(json, "aws_s3_bucket_policy").policy)) as { Statement: Statement[] }).Statement;
const bucketRef = (json: TerraformJson, attr: string) => ref("aws_s3_bucket", onlyResourceName(json, "aws_s3_bucket"), attr);

describe("ALB access logs", () => {
  const on = synthStack({ albAccessLogs: true, albAccessLogRetentionDays: 45 });

  test("off (the default in both profiles): no bucket, and the ALB has no access_logs", () => {
    for (const json of [synthStack(), synthStack({ profile: "dev" })]) {
      for (const type of S3_TYPES) expect(resourcesOf(json, type)).toEqual({});
      expect(onlyResource(json, "aws_lb").access_logs).toBeUndefined();
      expect(json.output?.alb_access_log_bucket).toBeUndefined();
    }
  });

  test("on: the ALB logs to the bucket under its prefix, after the bucket policy exists", () => {
    const lb = onlyResource(on, "aws_lb");
    expect(lb.access_logs).toEqual({ bucket: bucketRef(on, "bucket"), prefix: ALB_ACCESS_LOG_PREFIX, enabled: true });
    expect(lb.depends_on).toContain(`aws_s3_bucket_policy.${onlyResourceName(on, "aws_s3_bucket_policy")}`);
    expect(on.output?.alb_access_log_bucket.value).toBe(bucketRef(on, "bucket"));
  });

  test("on: the bucket is private, owner-enforced, SSE-S3 encrypted, and expires logs after the setting's days", () => {
    const bucket = onlyResource(on, "aws_s3_bucket");
    expect(bucket.bucket_prefix).toBe(`${testConfig().namePrefix}-alb-logs-`);
    expect(bucket.tags).toEqual({ Name: `${testConfig().namePrefix}-alb-logs` });
    // Logs are kept through a destroy, unless the stack is throw-away.
    expect(bucket.force_destroy).toBe(false);
    expect(onlyResource(synthStack({ albAccessLogs: true, throwAway: true }), "aws_s3_bucket").force_destroy).toBe(true);
    const id = bucketRef(on, "id");
    expect(onlyResource(on, "aws_s3_bucket_public_access_block")).toMatchObject({
      bucket: id, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
    expect(onlyResource(on, "aws_s3_bucket_ownership_controls")).toMatchObject({ bucket: id, rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(onlyResource(on, "aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({
      bucket: id, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    const [rule] = onlyResource(on, "aws_s3_bucket_lifecycle_configuration").rule as Res[];
    expect(rule).toMatchObject({
      id: "expire-access-logs",
      status: "Enabled",
      filter: [{ prefix: "" }],
      expiration: [{ days: 45 }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
    });
    const days = (json: TerraformJson) => ((onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule as Res[])[0].expiration as Res[])[0].days;
    expect(days(synthStack({ albAccessLogs: true, logRetentionDays: 90 }))).toBe(90);
  });

  test("on, in a Region with an ELB account: that account may write under <prefix>/AWSLogs/<account>/, and only over TLS", () => {
    expect(ELB_ACCOUNT_REGIONS).toContain(testConfig().region);
    const [write, tls] = statements(on);
    const account = Object.keys(on.data?.aws_elb_service_account ?? {});
    expect(account).toHaveLength(1);
    expect(write).toMatchObject({ Sid: "AlbWritesAccessLogs", Effect: "Allow", Principal: { AWS: `\${data.aws_elb_service_account.${account[0]}.arn}` }, Action: "s3:PutObject" });
    expect(write.Resource).toMatch(new RegExp(`^\\$\\{aws_s3_bucket\\.[^}]+\\.arn\\}/${ALB_ACCESS_LOG_PREFIX}/AWSLogs/\\$\\{local\\.[^}]+\\}/\\*$`));
    const local = /\$\{local\.([^}]+)\}/.exec(String(write.Resource))![1];
    expect(on.locals?.[local]).toMatch(/^\$\{element\(split\(":", aws_security_group\.[^.]+\.arn\), 4\)\}$/);
    expect(tls).toEqual({
      Sid: "DenyWithoutTls", Effect: "Deny", Principal: "*", Action: "s3:*",
      Resource: [bucketRef(on, "arn"), `${bucketRef(on, "arn")}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("on, in a Region opened since August 2022: the log delivery service principal writes, and no ELB account is read", () => {
    const zurich = synthStack({ region: "eu-central-2", albAccessLogs: true });
    // The principal AWS names for these Regions (ALB_ACCESS_LOG_SOURCES.enable).
    expect(statements(zurich)[0]).toMatchObject({ Effect: "Allow", Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, Action: "s3:PutObject" });
    expect(zurich.data?.aws_elb_service_account).toBeUndefined();
  });

  test("the policy grants exactly where the ALB writes: <bucket>/<prefix>/AWSLogs/<account>/..., or <bucket>/AWSLogs/... with no prefix (AWS's layout)", () => {
    const prefix = String((onlyResource(on, "aws_lb").access_logs as Res).prefix);
    const [write] = statements(on);
    const account = /\$\{local\.[^}]+\}/.exec(String(write.Resource))![0];
    expect(write.Resource).toBe(`${bucketRef(on, "arn")}/${prefix === "" ? "" : `${prefix}/`}AWSLogs/${account}/*`);
  });

  test("the Regions with an ELB account are the 26 keys of terraform-provider-aws's table behind aws_elb_service_account (those opened before August 2022)", () => {
    expect([...ELB_ACCOUNT_REGIONS].sort()).toEqual([
      "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
      "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3",
      "me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
    ]);
  });

  test("every source names the AWS page it comes from", () => {
    expect(Object.entries(ALB_ACCESS_LOG_SOURCES).filter(([, source]) => !/^\S.*https:\/\/\S+$/.test(source))).toEqual([]);
  });

  test("the retention is refused outside 1 to the ceiling, naming setting, value and what is allowed", () => {
    for (const bad of [0, -1, MAX_ACCESS_LOG_RETENTION_DAYS + 1, 1.5, "ten"]) {
      expect(() => testConfig({ albAccessLogs: true, albAccessLogRetentionDays: bad })).toThrow(
        new RegExp(`albAccessLogRetentionDays.*got "?${String(bad).replace(".", "\\.")}"?;.*an integer from 1 to ${MAX_ACCESS_LOG_RETENTION_DAYS}`),
      );
    }
    expect(testConfig({ albAccessLogRetentionDays: MAX_ACCESS_LOG_RETENTION_DAYS }).albAccessLogRetentionDays).toBe(MAX_ACCESS_LOG_RETENTION_DAYS);
  });

  test("a namePrefix that would start the bucket's name with a prefix S3 reserves is refused", () => {
    for (const prefix of ["sthree", "amzn-s3-demo"]) {
      expect(() => testConfig({ namePrefix: prefix })).toThrow(new RegExp(`namePrefix.*got "${prefix}".*its names would start with ${prefix}-`));
    }
    expect(testConfig({ namePrefix: "sthreex" }).namePrefix).toBe("sthreex");
  });
});
