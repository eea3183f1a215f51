/** Synthesizes a CDK app in this process and returns one stack's template. */
import type { App } from 'aws-cdk-lib';
import type { CfnTemplate } from './template';

/**
 * Create the App with context `{ 'aws:cdk:bundling-stacks': [] }` so that NodejsFunction skips
 * esbuild bundling: the sandbox runs the handler sources, not the bundles.
 */
export function synthTemplate(app: App, stackName: string): CfnTemplate {
  const assembly = app.synth();
  return assembly.getStackByName(stackName).template as CfnTemplate;
}
