import { iamClient } from '../shared/clients';
import { handlerFor } from '../shared/runtime';
import { generateReport } from './core';

const iam = iamClient();

/** Fleet scan step 1: have IAM generate the credential report. */
export const handler = handlerFor((event: unknown) => generateReport(event, iam));
