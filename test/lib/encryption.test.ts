import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { RekeyStack } from '../../lib/rekey-stack';
import { FUNCTIONS, realApp, resolved, rotationStack } from './support';

interface KeyStatement {
  readonly Sid?: string;
  readonly Principal?: { readonly Service?: unknown; readonly AWS?: unknown };
  readonly Condition?: unknown;
}

function keyPolicyStatements(template: Template): KeyStatement[] {
  const keys = Object.values(template.findResources('AWS::KMS::Key')) as {
    Properties: { KeyPolicy: { Statement: KeyStatement[] } };
  }[];
  return keys.flatMap((k) => k.Properties.KeyPolicy.Statement);
}

/** The key policy statements whose principal is `service` (a plain string service name). */
const serviceStatements = (template: Template, service: string): KeyStatement[] =>
  keyPolicyStatements(template).filter((s) => s.Principal?.Service === service);

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

  it('lets CloudWatch use the key only for alarms and topics of this account and region', () => {
    const ofThisAccount = (service: string, resource: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:${service}:`,
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:${resource}`,
        ],
      ],
    });

    expect(serviceStatements(template, 'cloudwatch.amazonaws.com')).toEqual([
      {
        Sid: 'AllowAlarmsOfThisAccountToUseKey',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': ofThisAccount('cloudwatch', 'alarm:*'),
            'kms:EncryptionContext:aws:sns:topicArn': ofThisAccount('sns', '*'),
          },
        },
      },
    ]);
  });

  it('lets log delivery decrypt with the key only for log deliveries of this account and region', () => {
    expect(serviceStatements(template, 'delivery.logs.amazonaws.com')).toEqual([
      {
        Sid: 'AllowLogDeliveryOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:EncryptionContext:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':logs:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  it('bounds every statement that names a service principal (no confused deputy)', () => {
    const statements = keyPolicyStatements(template);
    const unbounded = statements.filter(
      (s) => s.Principal?.Service !== undefined && s.Condition === undefined,
    );

    expect(statements.filter((s) => s.Principal?.Service !== undefined)).toHaveLength(3);
    expect(unbounded).toEqual([]);
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

describe('the statement CloudWatch alarms need on the key', () => {
  it('is not added for a topic with a key of its own, nor without a topic', () => {
    const ownKey = rotationStack((s) => ({
      topic: new sns.Topic(s, 'Topic', { masterKey: new kms.Key(s, 'TopicKey') }),
    }));
    const noTopic = rotationStack();
    const rotationKey = (stack: Stack, rotation: { encryptionKey: kms.IKey }) =>
      stack.getLogicalId(rotation.encryptionKey.node.defaultChild as kms.CfnKey);
    const statementsOf = (template: Template, logicalId: string): KeyStatement[] =>
      (
        template.toJSON() as {
          Resources: Record<string, { Properties: { KeyPolicy: { Statement: KeyStatement[] } } }>;
        }
      ).Resources[logicalId]?.Properties.KeyPolicy.Statement ?? [];

    for (const { stack, rotation, template } of [ownKey, noTopic]) {
      const statements = statementsOf(template, rotationKey(stack, rotation));
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')).toEqual(
        [],
      );
    }
  });
});
