/**
 * What handlers write to stdout and stderr (Powertools Logger and Metrics print JSON lines
 * through process.stdout), kept as the sandbox's CloudWatch Logs. Output is attributed to an
 * invocation through AsyncLocalStorage, so concurrent executions do not mix; anything written
 * outside an invocation passes through untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../../lambdas/shared/clock';

export interface LogEntry {
  /** Sandbox time of the write. */
  readonly at: Date;
  readonly functionName: string;
  readonly requestId: string;
  readonly stream: 'stdout' | 'stderr';
  readonly message: string;
  /** The line parsed, when it is a JSON object (structured logs). */
  readonly record?: Readonly<Record<string, unknown>>;
}

/** One metric value from an Embedded Metric Format line. */
export interface MetricDatum {
  readonly at: Date;
  readonly functionName: string;
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

interface Invocation {
  readonly capture: OutputCapture;
  readonly functionName: string;
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<Invocation>();
let installed = 0;
/** Own `write` properties found on the streams before patching (usually none). */
const saved = new Map<NodeJS.WriteStream, PropertyDescriptor | undefined>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function patch(stream: NodeJS.WriteStream, name: 'stdout' | 'stderr'): void {
  saved.set(stream, Object.getOwnPropertyDescriptor(stream, 'write'));
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const replacement = (chunk: unknown, ...rest: unknown[]): boolean => {
    const invocation = storage.getStore();
    if (!invocation) return original(chunk, ...rest);
    const text =
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    invocation.capture.record(invocation, name, text);
    if (invocation.capture.verbose) return original(chunk, ...rest);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  };
  stream.write = replacement;
}

function restore(stream: NodeJS.WriteStream): void {
  const descriptor = saved.get(stream);
  if (descriptor) Object.defineProperty(stream, 'write', descriptor);
  else Reflect.deleteProperty(stream, 'write');
}

function install(): void {
  installed += 1;
  if (installed > 1) return;
  patch(process.stdout, 'stdout');
  patch(process.stderr, 'stderr');
}

function uninstall(): void {
  installed -= 1;
  if (installed > 0) return;
  restore(process.stdout);
  restore(process.stderr);
}

export class OutputCapture {
  readonly logs: LogEntry[] = [];
  readonly metrics: MetricDatum[] = [];

  constructor(
    private readonly clock: Clock,
    readonly verbose: boolean,
  ) {}

  /** Runs one invocation with its output captured (the streams are patched only meanwhile). */
  async run<T>(functionName: string, requestId: string, work: () => Promise<T>): Promise<T> {
    install();
    try {
      return await storage.run({ capture: this, functionName, requestId }, work);
    } finally {
      uninstall();
    }
  }

  /** Forgets an invocation's output: its logs never reached CloudWatch Logs (access denied). */
  drop(requestId: string): void {
    const kept = this.logs.filter((entry) => entry.requestId !== requestId);
    this.logs.splice(0, this.logs.length, ...kept);
  }

  /** Adds a line as if the invocation had printed it (the runtime's own error report). */
  note(functionName: string, requestId: string, stream: 'stdout' | 'stderr', text: string): void {
    this.record({ capture: this, functionName, requestId }, stream, text);
  }

  record(invocation: Invocation, stream: 'stdout' | 'stderr', text: string): void {
    const at = this.clock.now();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const record = parseObject(line);
      const { functionName, requestId } = invocation;
      this.logs.push({ at, functionName, requestId, stream, message: line, record });
      if (record && isRecord(record._aws))
        this.metrics.push(...emfMetrics(at, functionName, record));
    }
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Embedded Metric Format: `_aws.CloudWatchMetrics` directives name the keys that hold values. */
function emfMetrics(at: Date, functionName: string, line: Record<string, unknown>): MetricDatum[] {
  const aws = line._aws;
  const directives =
    isRecord(aws) && Array.isArray(aws.CloudWatchMetrics) ? aws.CloudWatchMetrics : [];
  const out: MetricDatum[] = [];
  for (const directive of directives) {
    if (!isRecord(directive)) continue;
    const namespace = typeof directive.Namespace === 'string' ? directive.Namespace : '';
    const dimensions: Record<string, string> = {};
    const sets = Array.isArray(directive.Dimensions) ? directive.Dimensions : [];
    for (const key of sets.flat()) {
      const value = typeof key === 'string' ? line[key] : undefined;
      if (typeof key === 'string' && ['string', 'number', 'boolean'].includes(typeof value)) {
        dimensions[key] = String(value);
      }
    }
    for (const metric of Array.isArray(directive.Metrics) ? directive.Metrics : []) {
      if (!isRecord(metric) || typeof metric.Name !== 'string') continue;
      const unit = typeof metric.Unit === 'string' ? metric.Unit : 'None';
      const raw = line[metric.Name];
      const values = Array.isArray(raw) ? raw : [raw];
      for (const value of values) {
        if (typeof value === 'number') {
          out.push({ at, functionName, namespace, name: metric.Name, unit, value, dimensions });
        }
      }
    }
  }
  return out;
}
