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

/** The deployable rekey: the KeyRotation construct with an encrypted notification topic. */
export class RekeyStack extends Stack {
  public readonly rotation: KeyRotation;
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: RekeyStackProps = {}) {
    super(scope, id, props);
    const encryptionKey = new kms.Key(this, 'Key', {
      description: 'rekey: secrets, logs, notifications and state machine data',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: 'rekey notifications',
      masterKey: encryptionKey,
      enforceSSL: true,
    });
    this.rotation = new KeyRotation(this, 'Rotation', {
      ...props.rotation,
      encryptionKey,
      topic: this.topic,
    });
    if (props.notificationEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }
    new CfnOutput(this, 'RotationStateMachineArn', {
      value: this.rotation.stateMachine.stateMachineArn,
      description: 'Start a rotation here with {"userName": "alice"}',
    });
    new CfnOutput(this, 'FleetScanStateMachineArn', {
      value: this.rotation.fleetScan.stateMachine.stateMachineArn,
      description: 'The scheduled fleet scan; start it by hand with {} or {"dryRun": true}',
    });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'SecretPrefix', {
      value: this.rotation.settings.secretPrefix,
      description: "Each user's secret is <prefix><userName>",
    });
    const env = this.rotation.environment;
    new CfnOutput(this, 'RotationPolicy', {
      // The policy exactly as the Lambdas run with it, for `rekey report` (not cdk.json, which may
      // not be what was deployed).
      value: this.toJsonString({
        policy: JSON.parse(env[ENV.policy] ?? '{}') as unknown,
        selection: JSON.parse(env[ENV.selection] ?? '{}') as unknown,
        managedPath: env[ENV.managedPath],
      }),
      description: 'The rotation policy the deployed functions apply (read by rekey report)',
    });
    new CfnOutput(this, 'EncryptionKeyArn', {
      value: encryptionKey.keyArn,
      description: 'The KMS key of the secrets: readers need kms:Decrypt on it via Secrets Manager',
    });
  }
}
