import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { RekeyStack } from '../../lib/rekey-stack';
import { FUNCTIONS, realApp, resolved, rotationStack } from './support';

describe('encryption of the deployable stack', () => {
  let stack: RekeyStack;
  let template: Template;
  let keyArn: unknown;
  beforeAll(() => {
    ({ stack, template } = realApp());
    keyArn = resolved(stack, stack.rotation.encryptionKey.keyArn);
  });

  it('creates one customer managed KMS key with yearly rotation', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('tells every Lambda which key encrypts the secrets', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { REKEY_KMS_KEY_ARN: keyArn } } },
    });
    expect(Object.keys(functions)).toHaveLength(FUNCTIONS.length);
    template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length);
  });

  it('encrypts every log group with the key and keeps it for the configured retention', () => {
    const all = template.findResources('AWS::Logs::LogGroup');
    const encrypted = template.findResources('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: keyArn, RetentionInDays: 365 },
    });
    // One per function and one per state machine (rotation, fleet scan).
    expect(Object.keys(all)).toHaveLength(FUNCTIONS.length + 2);
    expect(Object.keys(encrypted)).toEqual(Object.keys(all));
  });

  it('lets CloudWatch Logs use the key only for log groups of this account and region', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: {
              Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':log-group:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('encrypts the notification topic with the key and denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [resolved(stack, stack.topic.topicArn)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms publish to the encrypted topic', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      },
    });
  });

  it('encrypts the data of both state machines with the customer managed key', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: keyArn },
    });
  });
});

describe('a KeyRotation given an encryption key', () => {
  let stack: Stack;
  let template: Template;
  let given: kms.Key;
  beforeAll(() => {
    ({ stack, template } = rotationStack((s) => {
      given = new kms.Key(s, 'Given', { enableKeyRotation: true });
      return { encryptionKey: given };
    }));
  });

  it('uses that key for secrets, logs and state machine data instead of creating one', () => {
    const keyArn = resolved(stack, given.keyArn);

    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([
      stack.getLogicalId(given.node.defaultChild as kms.CfnKey),
    ]);
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { REKEY_KMS_KEY_ARN: keyArn } } },
        }),
      ),
    ).toHaveLength(FUNCTIONS.length);
    expect(
      Object.keys(
        template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: keyArn } }),
      ),
    ).toHaveLength(FUNCTIONS.length + 2);
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: keyArn },
    });
  });
});

describe('a KeyRotation without an encryption key', () => {
  it('creates its own customer managed key with rotation', () => {
    const { stack, rotation, template } = rotationStack();

    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REKEY_KMS_KEY_ARN: resolved(stack, rotation.encryptionKey.keyArn),
        }),
      },
    });
  });
});
