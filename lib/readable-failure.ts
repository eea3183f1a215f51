import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/**
 * A Fail state whose cause is one readable sentence. A Lambda's error reaches a Catch as
 * `{"Error": name, "Cause": "{\"errorType\",\"errorMessage\",\"trace\":[…]}"}`: the execution's
 * cause is then the errorMessage alone, without the stack trace and file paths (those are in the
 * function's logs). A cause that is not Lambda's JSON (a timeout, a service error) is kept as is.
 * Two states on the way for a Lambda's error: a Choice and the Pass that parses the cause.
 *
 * @param at the JSONPath of the caught error (`$` for a Catch without ResultPath)
 */
export function readableFail(
  scope: Construct,
  name: string,
  at: string,
  comment?: string,
): sfn.IChainable {
  const fromLambda = new sfn.Pass(scope, `${name}ParseCause`, {
    stateName: `${name}ParseCause`,
    parameters: {
      error: sfn.JsonPath.stringAt(`${at}.Error`),
      lambda: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt(`${at}.Cause`)),
    },
  }).next(
    new sfn.Fail(scope, name, {
      stateName: name,
      comment,
      errorPath: '$.error',
      causePath: '$.lambda.errorMessage',
    }),
  );
  // Rules run in order: the StringMatches rule is only reached when the cause is present.
  return new sfn.Choice(scope, `${name}Cause`, { stateName: `${name}Cause` })
    .when(
      sfn.Condition.not(sfn.Condition.isPresent(`${at}.Cause`)),
      new sfn.Fail(scope, `${name}WithoutCause`, {
        stateName: `${name}WithoutCause`,
        comment,
        errorPath: `${at}.Error`,
        cause: 'No cause was given.',
      }),
    )
    .when(sfn.Condition.stringMatches(`${at}.Cause`, '{*'), fromLambda)
    .otherwise(
      new sfn.Fail(scope, `${name}WithPlainCause`, {
        stateName: `${name}WithPlainCause`,
        comment,
        errorPath: `${at}.Error`,
        causePath: `${at}.Cause`,
      }),
    );
}
