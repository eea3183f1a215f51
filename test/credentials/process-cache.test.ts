import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cacheFile, readCache, writeCache } from '../../credentials/process/cache';

const KEY = {
  accessKeyId: 'AKIAK1K1K1K1K1K1K1K1',
  secretAccessKey: 'k1Secretk1Secretk1Secretk1Secretk1Secret',
  readAt: new Date('2026-11-28T10:00:00.000Z'),
};

let dir: string;
beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), 'rekey-cache-test-')), 'rekey', 'credentials');
});

describe('the rekey credentials cache file', () => {
  it('names one file per secret, region and endpoint', () => {
    const names = [
      cacheFile(dir, { secretId: 'rekey/alice' }),
      cacheFile(dir, { secretId: 'rekey/alice', region: 'eu-west-1' }),
      cacheFile(dir, { secretId: 'rekey/alice', endpoint: 'http://127.0.0.1:4599' }),
      cacheFile(dir, { secretId: 'rekey/bob' }),
    ];

    expect(new Set(names).size).toBe(4);
    expect(path.basename(names[0] ?? '')).toMatch(/^rekey_alice\.[0-9a-f]{16}\.json$/);
  });

  it('round-trips a key, writing a 0600 file in a 0700 directory and nothing else', () => {
    const file = cacheFile(dir, { secretId: 'rekey/alice' });

    writeCache(file, 'rekey/alice', KEY);

    expect(readCache(file, 'rekey/alice')).toEqual({ key: KEY });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
  });

  it('tightens an existing directory that others may read', () => {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);

    writeCache(cacheFile(dir, { secretId: 'rekey/alice' }), 'rekey/alice', KEY);

    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('reports no key, without a reason, when there is no file', () => {
    expect(readCache(cacheFile(dir, { secretId: 'rekey/alice' }), 'rekey/alice')).toEqual({});
  });

  it.each([
    ['others may read it (mode is not 0600)', (file: string) => chmodSync(file, 0o644)],
    ['it is not JSON', (file: string) => writeFileSync(file, 'AKIA…', { mode: 0o600 })],
    [
      'it is not a rekey credentials cache file',
      (file: string) => writeFileSync(file, '{"Version":2}', { mode: 0o600 }),
    ],
  ])('ignores a file when %s', (reason, spoil) => {
    const file = cacheFile(dir, { secretId: 'rekey/alice' });
    writeCache(file, 'rekey/alice', KEY);
    spoil(file);

    expect(readCache(file, 'rekey/alice')).toEqual({ ignored: reason });
  });

  it('ignores a file written for another secret', () => {
    const file = cacheFile(dir, { secretId: 'rekey/alice' });
    writeCache(file, 'rekey/bob', KEY);

    expect(readCache(file, 'rekey/alice')).toEqual({ ignored: 'it was written for rekey/bob' });
  });

  it('does not follow a symbolic link planted in place of the file', () => {
    const file = cacheFile(dir, { secretId: 'rekey/alice' });
    const elsewhere = path.join(path.dirname(dir), 'elsewhere.json');
    writeCache(elsewhere, 'rekey/alice', KEY);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    symlinkSync(elsewhere, file);

    expect(readCache(file, 'rekey/alice')).toEqual({ ignored: 'cannot open it (ELOOP)' });
  });
});
