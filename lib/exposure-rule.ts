import { Annotations, Aws, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXPOSED_EVENT_TYPE } from '../lambdas/shared/exposure';
import { grantStartEncrypted } from './permissions';

export interface ExposureRuleProps {
  readonly rotation: IStateMachine;
  /** The key the rotation state machine's data is encrypted with. */
  readonly encryptionKey: IKey;
}

/** Where AWS Health delivers global events such as this one: the primary region and its backup. */
export const HEALTH_GLOBAL_REGIONS = ['us-east-1', 'us-west-2'] as const;

/**
 * AWS Health's event for an exposed access key starts an emergency rotation of that key. The event
 * concerns IAM, a global service, so AWS Health delivers it to the default bus in us-east-1 (and
 * us-west-2 as backup) only (docs/aws-semantics.md §9): in another region the rule never fires,
 * and synthesis warns. The rotation's input is the event's detail, which Inspect validates: a
 * malformed event is refused there and changes nothing.
 */
export class ExposureRule extends Construct {
  public readonly rule: events.Rule;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ExposureRuleProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (
      Token.isUnresolved(region) ||
      !(HEALTH_GLOBAL_REGIONS as readonly string[]).includes(region)
    ) {
      Annotations.of(this).addWarningV2(
        'rekey:exposure-rule-region',
        `AWS Health delivers AWS_RISK_CREDENTIALS_EXPOSED (a global event) to us-east-1 and us-west-2 only; this stack's region is ${Token.isUnresolved(region) ? 'unknown (an environment-agnostic stack)' : region}. ` +
          "Deploy rekey in us-east-1, or forward aws.health events from us-east-1's default bus to this region's (a rule there with an event bus target), or the emergency rotation starts only from the console and the CLI.",
      );
    }
    const ruleName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    // The ARN from the name, not the rule's attribute: the rule refers to the role already.
    const ruleArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${ruleName}`;
    this.role = new iam.Role(this, 'Role', {
      description: 'rekey: EventBridge starts an emergency rotation for an exposed access key',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': ruleArn },
        },
      }),
    });
    grantStartEncrypted(this.role, props.rotation.stateMachineArn, props.encryptionKey);
    this.rule = new events.Rule(this, 'Rule', {
      ruleName,
      description: `rekey: ${EXPOSED_EVENT_TYPE} from AWS Health starts an emergency rotation`,
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        // Open events only: AWS Health sends an update when it closes the event, which must not
        // start a second emergency.
        detail: {
          service: ['RISK'],
          eventTypeCode: [EXPOSED_EVENT_TYPE],
          statusCode: ['open'],
        },
      },
      targets: [
        new targets.SfnStateMachine(props.rotation, {
          role: this.role,
          input: events.RuleTargetInput.fromObject({
            emergency: { health: events.EventField.fromPath('$.detail') },
            requestedBy: 'aws.health',
          }),
          retryAttempts: 185,
        }),
      ],
    });
  }
}
