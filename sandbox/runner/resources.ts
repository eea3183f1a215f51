/**
 * What each resource type answers to `Ref` and `Fn::GetAtt` in the sandbox: the names and ARNs
 * CloudFormation would give it, built from the physical name property or else the logical id
 * (CloudFormation would add a random suffix; the sandbox keeps names readable and stable).
 */
import { createHash } from 'node:crypto';
import type { AttributeSource, CfnResource, TemplateResolver } from './template';

type Attr = (r: Named) => string;

interface Named {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly resource: CfnResource;
  readonly resolver: TemplateResolver;
  readonly logicalId: string;
}

interface TypeSpec {
  /** The property holding the physical name, if the type has one. */
  readonly nameProperty?: string;
  readonly ref: Attr;
  readonly attributes: Readonly<Record<string, Attr>>;
}

/** A stable UUID for a resource that AWS would identify by a random one (KMS key ids). */
export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function functionArn(region: string, account: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

export function stateMachineArn(region: string, account: string, name: string): string {
  return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
}

export function topicArn(region: string, account: string, name: string): string {
  return `arn:aws:sns:${region}:${account}:${name}`;
}

const fnArn: Attr = (r) => functionArn(r.region, r.account, r.name);
const smArn: Attr = (r) => stateMachineArn(r.region, r.account, r.name);
const snsArn: Attr = (r) => topicArn(r.region, r.account, r.name);
const keyId: Attr = (r) => stableUuid(r.account, r.region, r.resolver.env.stackName, r.logicalId);
const keyArn: Attr = (r) => `arn:aws:kms:${r.region}:${r.account}:key/${keyId(r)}`;
const busArn: Attr = (r) => `arn:aws:events:${r.region}:${r.account}:event-bus/${r.name}`;
const logArn: Attr = (r) => `arn:aws:logs:${r.region}:${r.account}:log-group:${r.name}:*`;
const name: Attr = (r) => r.name;
const iamPath = (r: Named): string =>
  r.resolver.resolveString(r.resource.Properties?.Path ?? '/', `${r.logicalId}.Path`);
const queueUrl: Attr = (r) => `https://sqs.${r.region}.amazonaws.com/${r.account}/${r.name}`;
const queueArn: Attr = (r) => `arn:aws:sqs:${r.region}:${r.account}:${r.name}`;

export const RESOURCE_TYPES: Readonly<Record<string, TypeSpec>> = {
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    ref: name,
    attributes: { Arn: fnArn },
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    ref: smArn,
    attributes: { Arn: smArn, Name: name },
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    ref: snsArn,
    attributes: { TopicArn: snsArn, TopicName: name },
  },
  'AWS::KMS::Key': { ref: keyId, attributes: { Arn: keyArn, KeyId: keyId } },
  'AWS::KMS::Alias': { nameProperty: 'AliasName', ref: name, attributes: {} },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    ref: name,
    attributes: { Arn: busArn, Name: name },
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    ref: name,
    attributes: { Arn: (r) => `arn:aws:events:${r.region}:${r.account}:rule/${r.name}` },
  },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', ref: name, attributes: { Arn: logArn } },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    ref: name,
    attributes: {
      Arn: (r) => `arn:aws:iam::${r.account}:role${iamPath(r)}${r.name}`,
      RoleId: (r) =>
        `AROA${stableUuid(r.account, r.logicalId).replace(/-/g, '').slice(0, 17).toUpperCase()}`,
    },
  },
  'AWS::IAM::Policy': { nameProperty: 'PolicyName', ref: name, attributes: {} },
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    ref: (r) => `arn:aws:iam::${r.account}:policy${iamPath(r)}${r.name}`,
    attributes: {},
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    ref: name,
    attributes: { Arn: (r) => `arn:aws:cloudwatch:${r.region}:${r.account}:alarm:${r.name}` },
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    ref: queueUrl,
    attributes: { Arn: queueArn, QueueName: name, QueueUrl: queueUrl },
  },
  'AWS::Scheduler::ScheduleGroup': {
    nameProperty: 'Name',
    ref: name,
    attributes: {
      Arn: (r) => `arn:aws:scheduler:${r.region}:${r.account}:schedule-group/${r.name}`,
    },
  },
  'AWS::Scheduler::Schedule': {
    nameProperty: 'Name',
    ref: name,
    attributes: {
      Arn: (r) => `arn:aws:scheduler:${r.region}:${r.account}:schedule/default/${r.name}`,
    },
  },
};

/** The physical name CloudFormation would use: the name property, else the logical id. */
export function physicalName(
  resolver: TemplateResolver,
  logicalId: string,
  resource: CfnResource,
): string {
  const property = RESOURCE_TYPES[resource.Type]?.nameProperty;
  const value = property ? resource.Properties?.[property] : undefined;
  return value === undefined
    ? logicalId
    : resolver.resolveString(value, `${logicalId}.${property}`);
}

export const sandboxAttributes: AttributeSource = (resolver, logicalId, resource, attribute) => {
  const spec = RESOURCE_TYPES[resource.Type];
  const what =
    attribute === undefined ? `Ref ${logicalId}` : `Fn::GetAtt ${logicalId}.${attribute}`;
  if (!spec) {
    throw new Error(
      `The sandbox cannot resolve ${what}: resource type ${resource.Type} is not supported`,
    );
  }
  const attr = attribute === undefined ? spec.ref : spec.attributes[attribute];
  if (!attr) {
    throw new Error(
      `The sandbox cannot resolve ${what}: ${resource.Type} has no attribute ${attribute}`,
    );
  }
  return attr({
    name: physicalName(resolver, logicalId, resource),
    region: resolver.env.region,
    account: resolver.env.accountId,
    resource,
    resolver,
    logicalId,
  });
};
