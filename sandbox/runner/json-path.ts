/**
 * ASL reference paths (`$.a.b`, `$['a'][0]`, `$$.Execution.Id`): the only paths the runner
 * evaluates itself (Wait SecondsPath/TimestampPath, Map ItemsPath, TimeoutSecondsPath).
 * aws-local-stepfunctions evaluates every other path.
 */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;

/** Splits `$.a['b c'][2]` into ['a', 'b c', 2]; throws on anything but a reference path. */
export function parseReferencePath(path: string): {
  context: boolean;
  segments: (string | number)[];
} {
  const context = path.startsWith('$$');
  let rest = path.slice(context ? 2 : 1);
  if (!path.startsWith('$')) throw new Error(`Not a reference path: ${path}`);
  const segments: (string | number)[] = [];
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) throw new Error(`Unsupported reference path: ${path}`);
    const [whole, dotted, quoted, index] = match;
    if (dotted !== undefined) segments.push(dotted);
    else if (quoted !== undefined) segments.push(quoted.replace(/\\(.)/g, '$1'));
    else segments.push(Number(index));
    rest = rest.slice(whole.length);
  }
  return { context, segments };
}

/** The value at `path`, or undefined when any step is missing. */
export function readPath(path: string, input: unknown, context: unknown): unknown {
  const parsed = parseReferencePath(path);
  let current: unknown = parsed.context ? context : input;
  for (const segment of parsed.segments) {
    if (typeof segment === 'number') {
      current = Array.isArray(current) ? (current[segment] as unknown) : undefined;
    } else if (typeof current === 'object' && current !== null && !Array.isArray(current)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      current = undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/** JSON round trip: what crosses a Lambda or service boundary is JSON text. */
export function cloneJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}
