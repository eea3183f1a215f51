/**
 * The template's schedules and alarms, which the sandbox does not run on their own: it starts a
 * schedule's target when asked (as EventBridge Scheduler would, with the schedule's role) and
 * performs an alarm's SNS actions when told the alarm fired (as CloudWatch would, as
 * cloudwatch.amazonaws.com).
 */
import { physicalName } from './resources';
import type { CfnTemplate, TemplateResolver } from './template';

export interface DeployedSchedule {
  readonly name: string;
  readonly arn: string;
  readonly targetArn: string;
  readonly roleArn: string;
  /** The target's Input (JSON text). */
  readonly input: string;
}

export interface DeployedAlarm {
  readonly name: string;
  readonly arn: string;
  readonly actions: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resources(template: CfnTemplate, resolver: TemplateResolver, type: string) {
  return Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === type && (r.Condition === undefined || resolver.condition(r.Condition)),
  );
}

export function schedulesOf(template: CfnTemplate, resolver: TemplateResolver): DeployedSchedule[] {
  return resources(template, resolver, 'AWS::Scheduler::Schedule').flatMap(([id, resource]) => {
    const target = resolver.resolve(resource.Properties?.Target);
    if (!isRecord(target) || typeof target.Arn !== 'string' || typeof target.RoleArn !== 'string') {
      return [];
    }
    const name = physicalName(resolver, id, resource);
    const { region, accountId } = resolver.env;
    return [
      {
        name,
        arn: `arn:aws:scheduler:${region}:${accountId}:schedule/default/${name}`,
        targetArn: target.Arn,
        roleArn: target.RoleArn,
        input: typeof target.Input === 'string' ? target.Input : '{}',
      },
    ];
  });
}

export function alarmsOf(template: CfnTemplate, resolver: TemplateResolver): DeployedAlarm[] {
  return resources(template, resolver, 'AWS::CloudWatch::Alarm').map(([id, resource]) => {
    const props = resource.Properties ?? {};
    const name =
      props.AlarmName === undefined
        ? id
        : resolver.resolveString(props.AlarmName, `${id}.AlarmName`);
    const actions = resolver.resolve(props.AlarmActions);
    const { region, accountId } = resolver.env;
    return {
      name,
      arn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}`,
      actions: Array.isArray(actions)
        ? actions.filter((a): a is string => typeof a === 'string')
        : [],
    };
  });
}
