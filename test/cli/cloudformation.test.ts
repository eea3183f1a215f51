import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Emulator } from '../../sandbox/emulator';
import { resolveOutputs } from '../../sandbox/runner/deploy';
import { sandboxAttributes } from '../../sandbox/runner/resources';
import { TemplateResolver, type CfnTemplate } from '../../sandbox/runner/template';
import { clientConfig, failure, startEmulator } from '../sandbox/emulator/helpers';

describe('the emulator answers CloudFormation DescribeStacks', () => {
  let emulator: Emulator;
  let cfn: CloudFormationClient;

  beforeAll(async () => {
    ({ emulator } = await startEmulator());
    cfn = new CloudFormationClient(clientConfig(emulator));
    emulator.registerStack({
      stackName: 'Rekey',
      outputs: [
        { OutputKey: 'RotationStateMachineArn', OutputValue: 'arn:sm', Description: 'rotate' },
        { OutputKey: 'SecretPrefix', OutputValue: 'rekey/' },
      ],
    });
    emulator.registerStack({ stackName: 'Other', outputs: [] });
  });

  afterAll(async () => {
    cfn.destroy();
    await emulator.stop();
  });

  it('returns a registered stack with its status and outputs', async () => {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: 'Rekey' }));

    expect(out.Stacks).toHaveLength(1);
    expect(out.Stacks?.[0]).toMatchObject({
      StackName: 'Rekey',
      StackStatus: 'CREATE_COMPLETE',
      StackId: expect.stringMatching(
        /^arn:aws:cloudformation:us-east-1:123456789012:stack\/Rekey\/[0-9a-f-]{36}$/,
      ) as unknown,
      Outputs: [
        { OutputKey: 'RotationStateMachineArn', OutputValue: 'arn:sm', Description: 'rotate' },
        { OutputKey: 'SecretPrefix', OutputValue: 'rekey/' },
      ],
    });
    expect(out.Stacks?.[0]?.CreationTime).toBeInstanceOf(Date);
  });

  it('finds a stack by its stack id as well as by name', async () => {
    const byName = await cfn.send(new DescribeStacksCommand({ StackName: 'Rekey' }));
    const stackId = byName.Stacks?.[0]?.StackId;

    const byId = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));

    expect(byId.Stacks?.[0]?.StackName).toBe('Rekey');
  });

  it('lists every stack when no name is given', async () => {
    const out = await cfn.send(new DescribeStacksCommand({}));

    expect(out.Stacks?.map((s) => s.StackName)).toEqual(['Rekey', 'Other']);
  });

  it('answers an unknown stack with a 400 ValidationError, as CloudFormation does', async () => {
    const error = await failure(cfn.send(new DescribeStacksCommand({ StackName: 'Nope' })));

    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id Nope does not exist',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('keeps stacks across a reset of the account (they are the deployment)', async () => {
    emulator.reset();

    const out = await cfn.send(new DescribeStacksCommand({ StackName: 'Rekey' }));

    expect(out.Stacks?.[0]?.Outputs).toHaveLength(2);
  });
});

describe('resolveOutputs', () => {
  const template: CfnTemplate = {
    Resources: {
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { StateMachineName: 'rotation' },
      },
    },
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Outputs: {
      MachineArn: { Value: { Ref: 'Machine' }, Description: 'the machine' },
      Joined: {
        Value: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'x']] },
        Export: { Name: { 'Fn::Sub': '${AWS::StackName}-joined' } },
      },
      Hidden: { Value: 'never', Condition: 'Never' },
    },
  };
  const resolver = new TemplateResolver(
    template,
    { region: 'us-east-1', accountId: '123456789012', stackName: 'Rekey' },
    sandboxAttributes,
  );

  it("resolves each output's value and export name, and drops outputs whose condition is false", () => {
    expect(resolveOutputs(template, resolver)).toEqual([
      {
        OutputKey: 'MachineArn',
        OutputValue: 'arn:aws:states:us-east-1:123456789012:stateMachine:rotation',
        Description: 'the machine',
      },
      { OutputKey: 'Joined', OutputValue: 'Rekey-x', ExportName: 'Rekey-joined' },
    ]);
  });

  it('fails loudly on an output the sandbox cannot resolve', () => {
    const broken: CfnTemplate = { Outputs: { Bad: { Value: { Ref: 'Missing' } } } };
    const r = new TemplateResolver(broken, resolver.env, sandboxAttributes);

    expect(() => resolveOutputs(broken, r)).toThrow(/Missing/);
  });
});
