import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * External tools some tests use as oracles or second clients: moto_server, the AWS CLI v2,
 * cfn-lint. On a developer's machine a missing tool skips those tests with a warning; in CI
 * (CI=true) it fails the run, so that a check never passes by not running.
 */
const INSTALL: Record<string, string> = {
  moto_server: "pip install 'moto[server]'",
  '/usr/bin/aws': 'apt-get install awscli',
  'cfn-lint': 'pip install cfn-lint',
};

/** The tool's path (absolute, or found on PATH), or undefined (skip) outside CI. */
export function requireTool(name: string): string | undefined {
  const found = isAbsolute(name)
    ? existsSync(name)
      ? name
      : undefined
    : (process.env.PATH ?? '')
        .split(delimiter)
        .map((dir) => join(dir, name))
        .find((candidate) => existsSync(candidate));
  if (found) return found;
  const how = INSTALL[name] ? ` (${INSTALL[name]} installs it)` : '';
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required in CI (CI=true) and is not installed${how}.`);
  }
  console.warn(`Skipping the tests that need ${name}: it is not installed${how}.`);
  return undefined;
}
