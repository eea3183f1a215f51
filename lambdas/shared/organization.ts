/**
 * Names an Organization deployment fixes, so that members, the central account and the CLI
 * agree without looking each other up (a role named in a trust policy must exist when the
 * policy is written; a fixed name in a condition need not).
 */

/** The read-only role every member account gets from the StackSet. */
export const ORGANIZATION_READER_ROLE = 'RekeyOrganizationReader';

/** The central account's role that the members' reader roles trust. */
export const ORGANIZATION_REPORTER_ROLE = 'RekeyOrganizationReporter';

/** The StackSet that deploys rekey to the members. */
export const MEMBER_STACK_SET_NAME = 'rekey-members';

/** CloudFormation names a StackSet's stack instance `StackSet-<stack set name>-<id>`. */
export const MEMBER_STACK_PREFIX = `StackSet-${MEMBER_STACK_SET_NAME}-`;
