import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { ENV } from '../lambdas/shared/config';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { KeyRotation } from './key-rotation';
import type { KeyRotationProps } from './key-rotation-props';

export interface RekeyStackProps extends StackProps {
  /** The rotation policy; see KeyRotationProps for every setting and its default. */
  readonly rotation?: Omit<KeyRotationProps, 'topic' | 'encryptionKey'>;
  /**
   * An email address subscribed to the notification topic.
   * @default - no subscription (subscribe to the topic yourself)
   */
  readonly notificationEmail?: string;
}

/** What addRekey creates in a stack. */
export interface RekeyParts {
  readonly rotation: KeyRotation;
  readonly topic: sns.Topic;
}

/**
 * The body of every rekey deployment, in the stack itself (not in a child construct, so that
 * construct paths and logical ids, which are a contract, stay the same): the KeyRotation
 * construct, an encrypted notification topic and the outputs `rekey` reads. RekeyStack and the
 * Organization's member stack both build with it.
 */
export function addRekey(stack: Stack, props: RekeyStackProps = {}): RekeyParts {
  const encryptionKey = new kms.Key(stack, 'Key', {
    description: 'rekey: secrets, logs, notifications and state machine data',
    enableKeyRotation: true,
  });
  const topic = new sns.Topic(stack, 'Notifications', {
    displayName: 'rekey notifications',
    masterKey: encryptionKey,
    enforceSSL: true,
  });
  const rotation = new KeyRotation(stack, 'Rotation', {
    ...props.rotation,
    encryptionKey,
    topic: topic,
  });
  if (props.notificationEmail) {
    topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
  }
  new CfnOutput(stack, 'RotationStateMachineArn', {
    value: rotation.stateMachine.stateMachineArn,
    description: 'Start a rotation here with {"userName": "alice"}',
  });
  new CfnOutput(stack, 'FleetScanStateMachineArn', {
    value: rotation.fleetScan.stateMachine.stateMachineArn,
    description: 'The scheduled fleet scan; start it by hand with {} or {"dryRun": true}',
  });
  new CfnOutput(stack, 'NotificationTopicArn', { value: topic.topicArn });
  new CfnOutput(stack, 'SecretPrefix', {
    value: rotation.settings.secretPrefix,
    description: "Each user's secret is <prefix><userName>",
  });
  const env = rotation.environment;
  new CfnOutput(stack, 'RotationPolicy', {
    // The policy exactly as the Lambdas run with it, for `rekey report` (not cdk.json, which may
    // not be what was deployed).
    value: stack.toJsonString({
      policy: JSON.parse(env[ENV.policy] ?? '{}') as unknown,
      selection: JSON.parse(env[ENV.selection] ?? '{}') as unknown,
      managedPath: env[ENV.managedPath],
    }),
    description: 'The rotation policy the deployed functions apply (read by rekey report)',
  });
  new CfnOutput(stack, 'EncryptionKeyArn', {
    value: encryptionKey.keyArn,
    description: 'The KMS key of the secrets: readers need kms:Decrypt on it via Secrets Manager',
  });
  return { rotation, topic };
}

/** The deployable rekey: the KeyRotation construct with an encrypted notification topic. */
export class RekeyStack extends Stack {
  public readonly rotation: KeyRotation;
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: RekeyStackProps = {}) {
    super(scope, id, props);
    ({ rotation: this.rotation, topic: this.topic } = addRekey(this, props));
  }
}
