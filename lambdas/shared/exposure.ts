/** An IAM user's long-term access key id: AKIA and 16 more capital letters and digits. */
export const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;

/**
 * The AWS Health event type for an access key AWS found exposed (in a public repository, for
 * example); the event names the key in `affectedEntities[].entityValue`.
 */
export const EXPOSED_EVENT_TYPE = 'AWS_RISK_CREDENTIALS_EXPOSED';
