/**
 * CloudFormation DescribeStacks (awsQuery, Version 2010-05-15), just enough for a client to find
 * a deployed stack's Outputs (`rekey --stack`, `aws cloudformation describe-stacks`). The
 * sandbox does not deploy through CloudFormation: the runner registers what it deployed here.
 */
import type { Core, QueryService } from './core';
import { ServiceError } from './errors';
import { uuid } from './ids';
import type { XmlValue } from './query-protocol';

export interface StackOutput {
  readonly OutputKey: string;
  readonly OutputValue: string;
  readonly Description?: string;
  readonly ExportName?: string;
}

export interface NewStack {
  readonly stackName: string;
  readonly outputs: readonly StackOutput[];
  readonly description?: string;
}

interface StackRecord {
  readonly stackId: string;
  readonly stackName: string;
  readonly description?: string;
  readonly creationTime: Date;
  readonly outputs: readonly StackOutput[];
}

/** Stacks by name. Registering a name again replaces it, as an update would. */
export class StackRegistry {
  private readonly stacks = new Map<string, StackRecord>();

  constructor(private readonly core: Pick<Core, 'clock' | 'accountId' | 'region'>) {}

  register(stack: NewStack): string {
    const existing = this.stacks.get(stack.stackName);
    const stackId =
      existing?.stackId ??
      `arn:aws:cloudformation:${this.core.region}:${this.core.accountId}:stack/${stack.stackName}/${uuid()}`;
    this.stacks.set(stack.stackName, {
      stackId,
      stackName: stack.stackName,
      description: stack.description,
      creationTime: existing?.creationTime ?? this.core.clock.now(),
      outputs: stack.outputs,
    });
    return stackId;
  }

  /** By name or by stack id (an ARN), as DescribeStacks accepts either. */
  find(nameOrId: string): StackRecord | undefined {
    return (
      this.stacks.get(nameOrId) ?? [...this.stacks.values()].find((s) => s.stackId === nameOrId)
    );
  }

  list(): StackRecord[] {
    return [...this.stacks.values()];
  }
}

export function cloudFormationService(stacks: StackRegistry): QueryService {
  const view = (s: StackRecord): XmlValue => ({
    StackId: s.stackId,
    StackName: s.stackName,
    Description: s.description,
    CreationTime: s.creationTime,
    StackStatus: 'CREATE_COMPLETE',
    Outputs: s.outputs.map((o) => ({
      OutputKey: o.OutputKey,
      OutputValue: o.OutputValue,
      Description: o.Description,
      ExportName: o.ExportName,
    })),
  });
  return {
    protocol: 'query',
    name: 'cloudformation',
    namespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
    operations: {
      DescribeStacks: (params) => {
        const name = params.get('StackName');
        if (name === undefined) return { Stacks: stacks.list().map(view) };
        const found = stacks.find(name);
        if (!found) {
          throw new ServiceError('ValidationError', `Stack with id ${name} does not exist`, 400);
        }
        return { Stacks: [view(found)] };
      },
    },
  };
}
