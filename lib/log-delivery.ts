import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

const LOG_DELIVERY = 'delivery.logs.amazonaws.com';

/** CDK's own statement for it: `kms:Decrypt*` for the service principal, with no condition. */
function isUnboundedLogDelivery(statement: iam.PolicyStatement): boolean {
  const principals = statement.principals;
  return (
    principals.length === 1 &&
    principals[0] instanceof iam.ServicePrincipal &&
    principals[0].service === LOG_DELIVERY &&
    Object.keys(statement.conditions as object).length === 0
  );
}

/**
 * The key as a state machine that logs to CloudWatch Logs sees it.
 *
 * With a customer managed key and logging on, CDK's StateMachine adds a key policy statement
 * that lets `delivery.logs.amazonaws.com` decrypt with the key unconditionally (the example of
 * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html): any log
 * delivery, for any account, could then use rekey's key (a confused deputy). This view passes
 * everything to `key` but that one statement, which it replaces with the bounded form AWS
 * documents for vended log delivery with a customer managed key: the data key Step Functions
 * generates for its logs carries the encryption context `SourceArn` =
 * `arn:<partition>:logs:<region>:<account>:*` (the state machine role's `kms:GenerateDataKey`
 * is bound to exactly that, on the same page), and log delivery decrypts only with it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-bus-logs.html,
 * "Enable log delivery decryption"). `aws:SourceAccount`/`aws:SourceArn` are not used: AWS does
 * not document them for this call, and a condition on a key the request lacks would silently
 * drop the logs. The sandbox writes no state machine logs, so only the template tests check it.
 */
export function boundedLogDeliveryKey(scope: Construct, key: IKey): IKey {
  const { region, account } = Stack.of(scope);
  const bounded = new iam.PolicyStatement({
    sid: 'AllowLogDeliveryOfThisAccount',
    principals: [new iam.ServicePrincipal(LOG_DELIVERY)],
    actions: ['kms:Decrypt'],
    resources: ['*'],
    conditions: {
      StringEquals: {
        'kms:EncryptionContext:SourceArn': `arn:${Aws.PARTITION}:logs:${region}:${account}:*`,
      },
    },
  });
  const addToResourcePolicy: IKey['addToResourcePolicy'] = (statement, allowNoOp) =>
    key.addToResourcePolicy(isUnboundedLogDelivery(statement) ? bounded : statement, allowNoOp);
  return new Proxy(key, {
    get: (target, property, receiver) =>
      property === 'addToResourcePolicy'
        ? addToResourcePolicy
        : (Reflect.get(target, property, receiver) as unknown),
  });
}
