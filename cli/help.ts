/** The help texts shown after each command's options: examples first, then what to know. */

const examples = (...lines: string[]): string =>
  `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;

const EXIT_CODES = `
Exit codes:
  0  success
  1  the rotation failed or was refused, rollback refused, or the report gate failed
  2  bad flags or arguments
  3  no credentials or region, stack not found, AWS unreachable or access denied
  4  the IAM user does not exist`;

export const HELP = {
  program: `${examples(
    'rekey sandbox --seed demo',
    'rekey --endpoint-url http://127.0.0.1:4599 rotate alice --wait',
    'rekey --profile prod --region eu-west-1 status',
    'rekey report --format csv > keys.csv',
    'rekey report --fail-on-noncompliant --max-age 90',
  )}

Credentials come from the default AWS chain (environment, --profile, SSO, instance role).
No command prints a secret access key, except rekey credentials (a credential_process: its
stdout is the key); rekey sandbox shows its own fake admin key.
${EXIT_CODES}`,

  rotate: `${examples(
    'rekey rotate alice',
    'rekey rotate alice --wait',
    'rekey rotate alice --dry-run --wait --output json',
    'rekey rotate alice --emergency --key AKIAIOSFODNN7EXAMPLE --reason "found on GitHub" --wait',
  )}

--emergency rotates an exposed key now: the key is deactivated as soon as the new key is
current (no cutover wait), takes over a running planned rotation of the user, and is deleted
after the emergency recovery window; operators get the key's CloudTrail events (Forensics).
It needs --key and --reason (--exposed-at, when known, sets where the forensics look from);
with --dry-run the workflow says what it would do and changes nothing.

With --wait every step is shown with its status and duration as the execution history
reports it. On AWS a rotation waits for applications to move (hours) and keeps the old key
restorable for the recovery window (days); Ctrl-C stops following, not the rotation.`,

  status: `${examples(
    'rekey status',
    'rekey status alice --output json',
    "rekey status --organization   # with the central account's credentials",
  )}

An emergency rotation is shown first as EMERGENCY: the exposed key, why, what it took over or
kept, when the key was cut off and the forensics (for one user, also once it is over).
Times are the service's: against rekey sandbox, sandbox time.`,

  report: `${examples(
    'rekey report',
    'rekey report --format csv > keys.csv',
    'rekey report --fail-on-noncompliant --max-age 90   # a CI gate',
    'rekey report --organization --format csv > organization.csv',
  )}

Decisions are the fleet scan's (lambdas/shared/fleet.ts) under the policy in cdk.json.
Opted-out users still count as noncompliant: only an unexpired exemption excuses an old key.
An active access key of the root user (<root_account>) makes the report noncompliant too
(Security Hub IAM.4, critical), whatever --max-age says. rekey never rotates or deletes it:
only the root user can manage its own keys, and AWS advises deleting them.
IAM reuses a credential report for up to 4 hours, so a key rotated since then shows as it was.

--organization (report and status) runs with the central account's credentials: it lists the
Organization's accounts, assumes RekeyOrganizationReporter, then RekeyOrganizationReader in
every account (--concurrency at once), and decides each account by the policy its own stack
runs with. An account it cannot read is listed with why and how to fix it, never left out;
--fail-on-noncompliant fails on it too, since its compliance is unknown.`,

  rollback: `${examples(
    'rekey rollback alice --reason "billing-app still uses the old key"',
    'rekey rollback alice --force --reason "no other way to restore payroll tonight"',
  )}

Only while the user's rotation waits in RecoveryWindow (old key inactive, new key current),
or after it was stopped there. Refuses, changing nothing, before promotion, during cutover,
after the old key was deleted, or with no rotation.
An emergency rotation's old key is the exposed key: rollback refuses it unless --force is
given, and then warns; whoever found the key can use it again.
The workflow never deletes a reactivated key.`,

  sandbox: `${examples(
    'rekey sandbox --seed demo',
    'rekey sandbox --port 0 --clock manual --output json',
  )}

The account lives in memory until Ctrl-C. Advance a manual clock with
  curl -X POST http://127.0.0.1:4599/_sandbox/clock -d '{"advanceSeconds": 3600}'`,
} as const;
