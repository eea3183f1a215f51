/**
 * Attribution in the construct: `cloudtrail:LookupEvents` on "*" (it has no resource type) for
 * check-cutover only, with a named cdk-nag acknowledgement; the prop turns it off.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { readContext, rotationProps } from '../../lib/app-context';
import type { KeyRotation } from '../../lib/key-rotation';
import {
  actionsOf,
  allowedActions,
  FUNCTIONS,
  identityStatements,
  NO_VALIDATION,
  render,
  resourcesOf,
  rotationStack,
  SKIP_BUNDLING,
  statementsOf,
  stepFunction,
} from './support';

/** The reason given for the IAM5[Resource::*] finding on a construct, if any. */
function starReason(construct: IConstruct): unknown {
  const acks = construct.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map((m) => m.data as Record<string, unknown>);
  const found = acks.find((a) =>
    Object.keys(a).some(
      (id) => id.replace(/^Annotation::/, '') === 'AwsSolutions-IAM5[Resource::*]',
    ),
  );
  return found && Object.entries(found).find(([id]) => id.endsWith('IAM5[Resource::*]'))?.[1];
}

/** check-cutover's environment variables in the template. */
function environmentOf(rotation: KeyRotation, template: Template): Record<string, unknown> {
  const fn = rotation.functions.checkCutover.function.node.defaultChild as CfnFunction;
  const id = Stack.of(fn).resolve(Stack.of(fn).getLogicalId(fn)) as string;
  const found = template.findResources('AWS::Lambda::Function')[id] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return found.Properties.Environment.Variables;
}

describe('attribution permissions', () => {
  it('lets check-cutover alone call cloudtrail:LookupEvents, on "*" and nothing beside it', () => {
    const { stack, rotation, template } = rotationStack();

    const holders = FUNCTIONS.filter((step) =>
      allowedActions(statementsOf(stack, template, stepFunction(rotation, step).role)).includes(
        'cloudtrail:LookupEvents',
      ),
    );
    const grants = identityStatements(template).filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('cloudtrail:')),
    );

    expect(holders).toEqual(['check-cutover']);
    expect(
      grants.map(({ statement }) =>
        actionsOf(statement).filter((a) => a.startsWith('cloudtrail:')),
      ),
    ).toEqual([['cloudtrail:LookupEvents']]);
    expect(grants.flatMap(({ statement }) => resourcesOf(statement).map(render))).toEqual(['*']);
    expect(environmentOf(rotation, template).REKEY_ATTRIBUTION).toBe('{"regions":[]}');
  });

  it('acknowledges "*" on check-cutover for LookupEvents and X-Ray by name', () => {
    const { rotation } = rotationStack();

    const reason = starReason(rotation.functions.checkCutover.role);

    expect(reason).toEqual(expect.stringContaining('cloudtrail:LookupEvents has no resource type'));
    expect(reason).toEqual(expect.stringContaining('X-Ray'));
    expect(starReason(rotation.functions.deactivateKey.role)).not.toEqual(
      expect.stringContaining('cloudtrail'),
    );
  });

  it('grants nothing and configures nothing with attribution: false', () => {
    const { stack, rotation, template } = rotationStack(() => ({ attribution: false }));

    const actions = allowedActions(
      statementsOf(stack, template, rotation.functions.checkCutover.role),
    );

    expect(actions.filter((a) => a.startsWith('cloudtrail:'))).toEqual([]);
    expect(environmentOf(rotation, template).REKEY_ATTRIBUTION).toBeUndefined();
    expect(starReason(rotation.functions.checkCutover.role)).not.toEqual(
      expect.stringContaining('cloudtrail'),
    );
  });

  it('passes the regions the policy names to the function', () => {
    const { rotation, template } = rotationStack(() => ({
      attributionRegions: ['eu-west-1', 'us-east-1', 'eu-west-1'],
    }));

    expect(environmentOf(rotation, template).REKEY_ATTRIBUTION).toBe(
      '{"regions":["eu-west-1","us-east-1"]}',
    );
  });

  it.each([
    [[]],
    [['Europe']],
    [['a-b-1', 'eu-west-1', 'us-east-1', 'us-west-2', 'ap-south-1', 'sa-east-1']],
  ])('refuses attributionRegions %p, naming the prop', (regions) => {
    expect(() => rotationStack(() => ({ attributionRegions: regions }))).toThrow(
      /attributionRegions must list 1 to 5 AWS regions such as 'eu-west-1'/,
    );
  });
});

describe('attribution context settings', () => {
  const settings = (context: Record<string, unknown>) =>
    rotationProps(
      readContext(new App({ context: { ...SKIP_BUNDLING, ...context }, ...NO_VALIDATION })),
    );

  it('reads rekey:attribution as a boolean from cdk.json or -c, and the regions as a list', () => {
    expect(settings({ 'rekey:attribution': false }).attribution).toBe(false);
    expect(settings({ 'rekey:attribution': 'true' }).attribution).toBe(true);
    expect(
      settings({ 'rekey:attributionRegions': 'eu-west-1, us-east-1' }).attributionRegions,
    ).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('refuses a rekey:attribution that is not true or false', () => {
    expect(() => settings({ 'rekey:attribution': 'yes' })).toThrow(
      'Context rekey:attribution must be true or false; got "yes".',
    );
  });
});
