import { Aws, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
/** The source of rekey's events (lambdas/shared/telemetry EVENT_SOURCE, which loads SDK clients). */
const EVENT_SOURCE = 'rekey';

/** The fixed name of the central account's event bus that every member forwards to. */
export const ORGANIZATION_BUS_NAME = 'rekey-organization';

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/** The central bus's ARN, from the account and region it lives in. */
export function organizationBusArn(centralAccountId: string, homeRegion: string): string {
  return `arn:${Aws.PARTITION}:events:${homeRegion}:${centralAccountId}:event-bus/${ORGANIZATION_BUS_NAME}`;
}

export interface OrganizationBusProps {
  /** The Organization whose principals may put events, e.g. `o-a1b2c3d4e5`. */
  readonly organizationId: string;
}

/**
 * The central `rekey-organization` bus. Its resource policy lets events:PutEvents through only
 * for principals of the Organization (aws:PrincipalOrgID,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html): a member's
 * forwarding rule puts as its own role, which is such a principal; anyone else is refused.
 */
export class OrganizationBus extends Construct {
  public readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: OrganizationBusProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.organizationId) && !ORGANIZATION_ID.test(props.organizationId)) {
      throw new Error(
        `OrganizationBus at ${this.node.path}: organizationId must look like o-a1b2c3d4e5; got ` +
          `"${props.organizationId}". Read it with aws organizations describe-organization.`,
      );
    }
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: ORGANIZATION_BUS_NAME });
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RekeyMembersOfTheOrganization',
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      }),
    );
  }
}

export interface OrganizationForwardingProps {
  /** The central bus's ARN (organizationBusArn). */
  readonly centralBusArn: string;
  /**
   * The bus rekey's Lambdas put their events on, in this member.
   * @default - the account's default bus
   */
  readonly eventBus?: events.IEventBus;
}

/**
 * Forwards the member's `rekey` events to the central bus. Cross-account delivery to a bus needs
 * a role the rule assumes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html);
 * the target creates one allowed events:PutEvents on that bus ARN only.
 */
export class OrganizationForwarding extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OrganizationForwardingProps) {
    super(scope, id);
    const central = events.EventBus.fromEventBusArn(this, 'Central', props.centralBusArn);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'rekey: forward this account rekey events to the Organization bus',
      eventBus: props.eventBus,
      eventPattern: { source: [EVENT_SOURCE] },
    });
    this.rule.addTarget(new targets.EventBus(central));
  }
}
