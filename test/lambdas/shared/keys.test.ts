import {
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { discardKey, lastUsed, listKeys, shortKey } from '../../../lambdas/shared/keys';
import {
  awsErrors,
  failure,
  FakeKeys,
  mutations,
  NEW_CREATED,
  NEW_KEY_ID,
  OLD_CREATED,
  OLD_KEY_ID,
  USER,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);

let keys: FakeKeys;

beforeEach(() => {
  iam.reset();
  keys = new FakeKeys().install(iam);
});

describe('listKeys', () => {
  it('lists the keys oldest first, whatever order IAM answers in', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED).add(OLD_KEY_ID, 'Inactive', OLD_CREATED);

    expect(await listKeys(iamClient, USER)).toEqual([
      { accessKeyId: OLD_KEY_ID, status: 'Inactive', createDate: OLD_CREATED },
      { accessKeyId: NEW_KEY_ID, status: 'Active', createDate: NEW_CREATED },
    ]);
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: USER });
  });
});

describe('lastUsed', () => {
  it('reports a key that was never used as N/A without a date', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    expect(await lastUsed(iamClient, NEW_KEY_ID)).toEqual({
      date: undefined,
      serviceName: 'N/A',
      region: 'N/A',
    });
  });

  it('reports the date, service and region of the last use', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED, {
      date: '2026-03-01T11:23:00Z',
      serviceName: 'sts',
      region: 'us-east-1',
    });

    expect(await lastUsed(iamClient, OLD_KEY_ID)).toEqual({
      date: '2026-03-01T11:23:00.000Z',
      serviceName: 'sts',
      region: 'us-east-1',
    });
  });
});

describe('discardKey', () => {
  it('deactivates the key before deleting it, so no active key is ever deleted (I2)', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    await discardKey(iamClient, USER, NEW_KEY_ID);

    expect(mutations(iam)).toEqual([
      `UpdateAccessKey ${NEW_KEY_ID} Inactive`,
      `DeleteAccessKey ${NEW_KEY_ID}`,
    ]);
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it('counts a key that is already gone as discarded', async () => {
    await discardKey(iamClient, USER, NEW_KEY_ID);

    expect(iam).toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });

  it('rethrows other failures, leaving the key deactivated', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);
    const throttled = awsErrors.iamThrottling();
    iam.on(DeleteAccessKeyCommand).rejects(throttled);

    expect(await failure(discardKey(iamClient, USER, NEW_KEY_ID))).toBe(throttled);
    expect(keys.status(NEW_KEY_ID)).toBe('Inactive');
  });
});

describe('shortKey', () => {
  it('keeps the first and last four characters', () => {
    expect(shortKey(OLD_KEY_ID)).toBe('AKIA…LE01');
    expect(shortKey('AKIA1')).toBe('AKIA1');
  });
});
