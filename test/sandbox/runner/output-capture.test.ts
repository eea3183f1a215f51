import { SandboxClock } from '../../../sandbox/clock';
import { OutputCapture } from '../../../sandbox/runner/output-capture';

const AT = new Date('2030-05-05T05:05:05.000Z');

describe('OutputCapture', () => {
  let write: jest.SpyInstance;

  beforeEach(() => {
    write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  afterEach(() => write.mockRestore());

  function printed(): string {
    return write.mock.calls.map(([chunk]) => String(chunk)).join('');
  }

  it('keeps an invocation output as log entries at sandbox time, and lets other output through', async () => {
    const capture = new OutputCapture(new SandboxClock({ start: AT }), false);

    await capture.run('fn-a', 'req-1', () => {
      process.stdout.write('{"level":"INFO","message":"hi"}\nplain text\n');
      return Promise.resolve();
    });
    process.stdout.write('outside\n');

    expect(capture.logs).toEqual([
      {
        at: AT,
        functionName: 'fn-a',
        requestId: 'req-1',
        stream: 'stdout',
        message: '{"level":"INFO","message":"hi"}',
        record: { level: 'INFO', message: 'hi' },
      },
      { at: AT, functionName: 'fn-a', requestId: 'req-1', stream: 'stdout', message: 'plain text' },
    ]);
    expect(printed()).toBe('outside\n');
    expect(process.stdout.write).toBe(write);
  });

  it('attributes concurrent invocations to their own function', async () => {
    const capture = new OutputCapture(new SandboxClock({ start: AT }), false);
    const later = () => new Promise((resolve) => setImmediate(resolve));

    await Promise.all(
      ['one', 'two'].map((name) =>
        capture.run(name, name, async () => {
          await later();
          process.stdout.write(`from ${name}\n`);
        }),
      ),
    );

    expect(capture.logs.map((l) => [l.functionName, l.message])).toEqual([
      ['one', 'from one'],
      ['two', 'from two'],
    ]);
  });

  it('also prints when verbose', async () => {
    const capture = new OutputCapture(new SandboxClock({ start: AT }), true);

    await capture.run('fn', 'req', () => Promise.resolve(process.stdout.write('shown\n')));

    expect(printed()).toBe('shown\n');
    expect(capture.logs).toHaveLength(1);
  });

  it('reads every value and dimension of an Embedded Metric Format line', async () => {
    const capture = new OutputCapture(new SandboxClock({ start: AT }), false);
    const emf = {
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'rekey',
            Dimensions: [['service'], ['service', 'phase']],
            Metrics: [
              { Name: 'Rotated', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'rekey',
      phase: 'cutover',
      Rotated: 1,
      Latency: [5, 7],
    };

    await capture.run('fn', 'req', () =>
      Promise.resolve(process.stdout.write(`${JSON.stringify(emf)}\n`)),
    );

    const dimensions = { service: 'rekey', phase: 'cutover' };
    expect(capture.metrics).toEqual([
      {
        at: AT,
        functionName: 'fn',
        namespace: 'rekey',
        name: 'Rotated',
        unit: 'Count',
        value: 1,
        dimensions,
      },
      {
        at: AT,
        functionName: 'fn',
        namespace: 'rekey',
        name: 'Latency',
        unit: 'Milliseconds',
        value: 5,
        dimensions,
      },
      {
        at: AT,
        functionName: 'fn',
        namespace: 'rekey',
        name: 'Latency',
        unit: 'Milliseconds',
        value: 7,
        dimensions,
      },
    ]);
  });
});
