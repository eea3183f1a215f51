/**
 * An AWS region name as AWS spells them: `us-east-1`, `eu-west-1`, `us-gov-west-1`,
 * `ap-southeast-7`. Every place that takes a region from a tag, a setting or IAM checks it here.
 */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
