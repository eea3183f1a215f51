import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readContext, rotationProps } from './app-context';
import { RekeyStack } from './rekey-stack';

export interface RekeyApp {
  readonly app: App;
  readonly stack: RekeyStack;
}

/**
 * The rekey CDK app: one RekeyStack configured from `rekey:*` context, with cdk-nag's
 * AwsSolutions checks on. bin/app.ts synthesizes it; tests and the sandbox build it in-process.
 */
export function createRekeyApp(props: AppProps = {}): RekeyApp {
  const app = new App(props);
  const settings = readContext(app);
  const stack = new RekeyStack(app, settings.stackName ?? 'Rekey', {
    description: 'rekey: automated IAM user access key rotation',
    rotation: rotationProps(settings),
    notificationEmail: settings.notificationEmail,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
