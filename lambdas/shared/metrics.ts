/**
 * rekey's own metrics, published with Powertools Metrics in the namespace the construct gives
 * every function (POWERTOOLS_METRICS_NAMESPACE), with the dimension `service: rekey`: the fleet
 * scan's compliance figures, and the Report step's per rotation. The Lambdas write these names
 * and the construct's dashboard, alarm and metric methods read them.
 */
export const METRICS = {
  rotationsSucceeded: 'RotationsSucceeded',
  cutoverSeconds: 'CutoverSeconds',
  rotationSeconds: 'RotationSeconds',
  usersScanned: 'UsersScanned',
  usersCompliant: 'UsersCompliant',
  usersDue: 'UsersDue',
  keysPastMaxAge: 'KeysPastMaxAge',
  usersExempt: 'UsersExempt',
  exemptionsExpired: 'ExemptionsExpired',
  exemptionsExpiring: 'ExemptionsExpiring',
  rotationsRefused: 'RotationsRefused',
  rotationsFailed: 'RotationsFailed',
  rotationsStarted: 'RotationsStarted',
  rotationsDeferred: 'RotationsDeferred',
  oldestActiveKeyAgeDays: 'OldestActiveKeyAgeDays',
  /** Active access keys of the root user (Security Hub IAM.4): reported, never rotated. */
  rootAccessKeys: 'RootAccessKeys',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The namespace of a deployment that names none; two deployments in one account need two. */
export const DEFAULT_METRICS_NAMESPACE = 'rekey';

/** The `service` dimension Powertools adds (POWERTOOLS_SERVICE_NAME). */
export const METRICS_SERVICE = 'rekey';

/**
 * CloudWatch's rule for a namespace: 1-255 of these characters, and not `AWS/`, which is AWS's
 * own (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html,
 * PutMetricData's Namespace).
 */
export const METRICS_NAMESPACE = /^(?!AWS\/)[A-Za-z0-9.\-_/#:]{1,255}$/;
