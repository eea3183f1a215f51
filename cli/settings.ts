import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENV, loadConfig } from '../lambdas/shared/config';
import { DEFAULT_POLICY, type Selection } from '../lambdas/shared/policy';
import type { RotationPolicy } from '../lambdas/shared/types';
import { CliError, EXIT } from './errors';

/** The policy `rekey report` applies: what the fleet scan would decide. */
export interface ReportSettings {
  readonly policy: RotationPolicy;
  readonly selection: Selection;
  readonly managedPath: string;
  /** Where the settings came from, for the report's header. */
  readonly source: string;
}

export const CDK_JSON = path.resolve(__dirname, '..', 'cdk.json');

function bad(name: string, value: unknown, expected: string): CliError {
  return new CliError(
    `cdk.json context rekey:${name} must be ${expected}; got ${JSON.stringify(value)}`,
    EXIT.setup,
    'BadSettings',
  );
}

/**
 * The deployment's policy from cdk.json's `rekey:*` context over the defaults (the CLI has no
 * API to read the deployed Lambdas' settings in the sandbox), with `--max-age` as the
 * compliance threshold.
 */
export function loadSettings(maxAgeDays?: number, file: string = CDK_JSON): ReportSettings {
  let context: Record<string, unknown> = {};
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
    context = parsed.context ?? {};
  }
  const days = (name: string, fallback: number): number => {
    const value = context[`rekey:${name}`] ?? fallback;
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw bad(name, value, 'a whole number of days');
    }
    return n;
  };
  const rotateAfterDays = days('rotateAfterDays', DEFAULT_POLICY.rotateAfterDays);
  const mode = context['rekey:userSelection'] ?? 'opt-out';
  if (mode !== 'opt-out' && mode !== 'opt-in')
    throw bad('userSelection', mode, 'opt-out or opt-in');
  const managedPath = context['rekey:managedPath'] ?? '/';
  if (typeof managedPath !== 'string' || !/^\/(.*\/)?$/.test(managedPath)) {
    throw bad('managedPath', managedPath, 'an IAM path such as / or /apps/');
  }
  return {
    policy: {
      ...DEFAULT_POLICY,
      rotateAfterDays,
      maxKeyAgeDays: maxAgeDays ?? DEFAULT_POLICY.maxKeyAgeDays,
    },
    selection: {
      mode,
      minRotateAfterDays: days('minimumRotateAfterDays', rotateAfterDays),
    },
    managedPath,
    source: existsSync(file) ? path.basename(file) : 'defaults',
  };
}

/**
 * The policy the deployed stack runs with, from its RotationPolicy output (the same JSON the
 * functions get, read by the functions' own parser), with `--max-age` as the compliance threshold.
 */
export function deployedSettings(
  output: string,
  stackName: string,
  maxAgeDays?: number,
): ReportSettings {
  let doc: { policy?: unknown; selection?: unknown; managedPath?: unknown };
  try {
    doc = JSON.parse(output) as typeof doc;
  } catch {
    throw new CliError(
      `stack ${stackName}'s RotationPolicy output is not JSON: redeploy it with this rekey (npx cdk deploy)`,
      EXIT.setup,
      'BadSettings',
    );
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      [ENV.policy]: JSON.stringify(doc.policy ?? {}),
      [ENV.selection]: JSON.stringify(doc.selection ?? {}),
      [ENV.managedPath]: typeof doc.managedPath === 'string' ? doc.managedPath : undefined,
    });
  } catch (error) {
    throw new CliError(
      `stack ${stackName}'s RotationPolicy output cannot be read (${error instanceof Error ? error.message : String(error)}): ` +
        'redeploy it with this rekey (npx cdk deploy)',
      EXIT.setup,
      'BadSettings',
    );
  }
  return {
    policy: { ...config.policy, maxKeyAgeDays: maxAgeDays ?? config.policy.maxKeyAgeDays },
    selection: config.selection,
    managedPath: config.managedPath,
    source: `stack ${stackName}`,
  };
}
