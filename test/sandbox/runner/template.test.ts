import { sandboxAttributes, stableUuid } from '../../../sandbox/runner/resources';
import { TemplateResolver, type CfnTemplate } from '../../../sandbox/runner/template';

const ENV = { region: 'eu-west-1', accountId: '111122223333', stackName: 'Demo' };

function resolver(template: CfnTemplate): TemplateResolver {
  return new TemplateResolver(template, ENV, sandboxAttributes);
}

const TEMPLATE: CfnTemplate = {
  Parameters: { Stage: { Default: 'test' } },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
    IsNotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
  },
  Mappings: { Sizes: { test: { Memory: 256 } } },
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'named-fn' } },
    Anonymous: { Type: 'AWS::Lambda::Function', Properties: {} },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Bus: {
      Type: 'AWS::Events::EventBus',
      Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-bus' } },
    },
    Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/service/' } },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/rekey/demo' } },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
  },
};

describe('TemplateResolver', () => {
  const r = resolver(TEMPLATE);

  it('answers Ref and Fn::GetAtt with sandbox names and ARNs', () => {
    expect(r.resolve({ Ref: 'Fn' })).toBe('named-fn');
    expect(r.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe(
      'arn:aws:lambda:eu-west-1:111122223333:function:named-fn',
    );
    expect(r.resolve({ 'Fn::GetAtt': 'Anonymous.Arn' })).toBe(
      'arn:aws:lambda:eu-west-1:111122223333:function:Anonymous',
    );
    expect(r.resolve({ Ref: 'Machine' })).toBe(
      'arn:aws:states:eu-west-1:111122223333:stateMachine:Machine',
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Machine', 'Name'] })).toBe('Machine');
    expect(r.resolve({ Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-1:111122223333:alerts');
    expect(r.resolve({ 'Fn::GetAtt': ['Bus', 'Arn'] })).toBe(
      'arn:aws:events:eu-west-1:111122223333:event-bus/Demo-bus',
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe(
      'arn:aws:iam::111122223333:role/service/Role',
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Logs', 'Arn'] })).toBe(
      'arn:aws:logs:eu-west-1:111122223333:log-group:/rekey/demo:*',
    );
  });

  it('gives a KMS key a stable UUID, so redeploying keeps the handlers environment', () => {
    const keyId = stableUuid('111122223333', 'eu-west-1', 'Demo', 'Key');

    expect(r.resolve({ Ref: 'Key' })).toBe(keyId);
    expect(keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resolver(TEMPLATE).resolve({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe(
      `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    );
  });

  it('resolves pseudo parameters, Join, Sub, Select, Split, If, FindInMap and NoValue', () => {
    const resolved = r.resolve({
      joined: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':x:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
          ],
        ],
      },
      sub: {
        'Fn::Sub': ['${Fn.Arn}|${Name}|${!Literal}|${AWS::URLSuffix}', { Name: { Ref: 'Stage' } }],
      },
      selected: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
      chosen: { 'Fn::If': ['IsNotProd', 'dev', 'prod'] },
      memory: { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] },
      dropped: { 'Fn::If': ['IsProd', 'x', { Ref: 'AWS::NoValue' }] },
      list: ['kept', { Ref: 'AWS::NoValue' }],
    });

    expect(resolved).toEqual({
      joined: 'arn:aws:x:eu-west-1:111122223333',
      sub: 'arn:aws:lambda:eu-west-1:111122223333:function:named-fn|test|${Literal}|amazonaws.com',
      selected: 'b',
      chosen: 'dev',
      memory: 256,
      list: ['kept'],
    });
  });

  it('names the resource type and attribute it cannot resolve', () => {
    expect(() => r.resolve({ Ref: 'Bucket' })).toThrow(
      'The sandbox cannot resolve Ref Bucket: resource type AWS::S3::Bucket is not supported',
    );
    expect(() => r.resolve({ 'Fn::GetAtt': ['Topic', 'Owner'] })).toThrow(
      'The sandbox cannot resolve Fn::GetAtt Topic.Owner: AWS::SNS::Topic has no attribute Owner',
    );
    expect(() => r.resolve({ Ref: 'Missing' })).toThrow('no resource or parameter named Missing');
    expect(() => r.resolve({ 'Fn::ImportValue': 'x' })).toThrow('does not resolve Fn::ImportValue');
  });

  it('refuses a circular reference instead of recursing forever', () => {
    const circular = resolver({
      Resources: {
        A: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: { Ref: 'B' } } },
        B: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: { Ref: 'A' } } },
      },
    });

    expect(() => circular.resolve({ Ref: 'A' })).toThrow('Circular reference');
  });

  it('uses a given parameter value over the Default', () => {
    const withStage = new TemplateResolver(
      TEMPLATE,
      { ...ENV, parameters: { Stage: 'prod' } },
      sandboxAttributes,
    );

    expect(withStage.resolve({ 'Fn::If': ['IsProd', 'p', 'd'] })).toBe('p');
  });
});
