import {
  CLOCK_SKEW_MS,
  createdWithin,
  creatingMarker,
  isFresh,
  MAX_CALL_MS,
  otherMarkers,
  ownMarker,
  parseMarkers,
} from '../../../lambdas/shared/markers';
import { EXECUTION_ARN, OTHER_EXECUTION_ARN } from '../helpers';

const START = '2026-03-01T12:00:00.000Z';
const END = '2026-03-01T12:00:02.000Z';
const at = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

describe('creatingMarker', () => {
  it('is a short tag key of its own for each execution', () => {
    const marker = creatingMarker(EXECUTION_ARN);

    expect(marker).toMatch(/^rekey:creating:[0-9a-f]{12}$/);
    expect(creatingMarker(EXECUTION_ARN)).toBe(marker);
    expect(creatingMarker(OTHER_EXECUTION_ARN)).not.toBe(marker);
  });
});

describe('markers on a secret', () => {
  const tags = {
    [creatingMarker(EXECUTION_ARN)]: `${EXECUTION_ARN}@${START}/${END}`,
    [creatingMarker(OTHER_EXECUTION_ARN)]: `${OTHER_EXECUTION_ARN}@${START}`,
    'rekey:execution': EXECUTION_ARN,
  };

  it('reads the execution and the call window of every marker, and nothing else', () => {
    expect(parseMarkers(tags)).toEqual([
      {
        tagKey: creatingMarker(EXECUTION_ARN),
        executionArn: EXECUTION_ARN,
        startedAt: Date.parse(START),
        endedAt: Date.parse(END),
      },
      {
        tagKey: creatingMarker(OTHER_EXECUTION_ARN),
        executionArn: OTHER_EXECUTION_ARN,
        startedAt: Date.parse(START),
      },
    ]);
  });

  it("tells this execution's marker from the others'", () => {
    expect(ownMarker(tags, EXECUTION_ARN)?.executionArn).toBe(EXECUTION_ARN);
    expect(otherMarkers(tags, EXECUTION_ARN).map((m) => m.executionArn)).toEqual([
      OTHER_EXECUTION_ARN,
    ]);
  });

  it('keeps an unreadable value as a marker with no window', () => {
    expect(parseMarkers({ [creatingMarker(EXECUTION_ARN)]: 'garbage' })).toEqual([
      { tagKey: creatingMarker(EXECUTION_ARN), executionArn: 'garbage' },
    ]);
  });
});

describe('createdWithin: the proof that a key is the one a marked call created', () => {
  const ended = {
    tagKey: 'k',
    executionArn: EXECUTION_ARN,
    startedAt: Date.parse(START),
    endedAt: Date.parse(END),
  };
  const open = { tagKey: 'k', executionArn: EXECUTION_ARN, startedAt: Date.parse(START) };

  it.each([
    ['during the call', at(START, 1000), true],
    ['just before the call, within the clock skew', at(START, -CLOCK_SKEW_MS), true],
    ['before the call and its skew', at(START, -CLOCK_SKEW_MS - 1000), false],
    ['just after the recorded end, within the skew', at(END, CLOCK_SKEW_MS), true],
    [
      'after the recorded end and its skew (by hand, while rekey waited to retry)',
      at(END, CLOCK_SKEW_MS + 1000),
      false,
    ],
  ])('a key created %s: %s', (_, created, expected) => {
    expect(createdWithin(ended, created)).toBe(expected);
  });

  it('bounds a call with no recorded end by the step timeout', () => {
    expect(createdWithin(open, at(START, MAX_CALL_MS))).toBe(true);
    expect(createdWithin(open, at(START, MAX_CALL_MS + CLOCK_SKEW_MS + 1000))).toBe(false);
  });

  it('proves nothing more once the key its call created was discarded', () => {
    const settled = { ...ended, settledKeyId: 'AKIAORPHANKEYEXAMPL4' };
    expect(createdWithin(settled, at(START, 1000))).toBe(false);
    const tagKey = creatingMarker(EXECUTION_ARN);
    expect(
      parseMarkers({ [tagKey]: `${EXECUTION_ARN}@${START}/${END}!AKIAORPHANKEYEXAMPL4` }),
    ).toEqual([{ ...settled, tagKey }]);
  });

  it('proves nothing from a marker without a readable start', () => {
    expect(createdWithin({ tagKey: 'k', executionArn: EXECUTION_ARN }, START)).toBe(false);
  });

  it('treats a marker as fresh for 15 minutes after its call started', () => {
    expect(isFresh(open, new Date(at(START, 14 * 60_000)))).toBe(true);
    expect(isFresh(open, new Date(at(START, 15 * 60_000)))).toBe(false);
  });
});
