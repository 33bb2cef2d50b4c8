/**
 * Amazon S3's rules for the ALB's access-log bucket (alb-access-logs.ts), each defined once with
 * its AWS source: the configuration refuses a namePrefix that would break them, and the AWS rules
 * table (policy/aws-rules/s3.ts) checks every synthesized shape against them.
 */
import { constant } from "../shared/constant";

export const S3_SOURCES = constant({
  bucketNames: "General purpose bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
  lifecycleExpiration: "S3 API Reference, LifecycleExpiration (Days: a non-zero positive integer): https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html",
});

/** A general purpose bucket's name (bucketNames). */
export const S3_BUCKET_NAME = constant({
  minLength: 3,
  maxLength: 63,
  reservedPrefixes: ["xn--", "sthree-", "amzn-s3-demo-"],
  reservedSuffixes: ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"],
});
