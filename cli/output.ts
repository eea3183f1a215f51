import { paint, wantsColour, type Paint } from './format';

interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Where commands write: text for people, or one JSON document on stdout with `--output json`. */
export interface Output {
  readonly json: boolean;
  /** stdout is a terminal: spinners and colour are allowed. */
  readonly tty: boolean;
  readonly paint: Paint;
  /** A line of text on stdout (text mode only). */
  line(text?: string): void;
  /** Raw text on stdout, for the spinner's carriage returns. */
  write(text: string): void;
  /** Text on stdout whatever the mode (a report in the format asked for). */
  print(text: string): void;
  /** The command's result as JSON on stdout (JSON mode only). */
  data(value: unknown): void;
  /** A message on stderr, in both modes. */
  error(text: string): void;
}

export function createOutput(
  json: boolean,
  stdout: Stream = process.stdout,
  stderr: Stream = process.stderr,
): Output {
  const tty = stdout.isTTY === true;
  return {
    json,
    tty,
    paint: paint(!json && wantsColour(stdout)),
    line: (text = '') => {
      if (!json) stdout.write(`${text}\n`);
    },
    write: (text) => {
      if (!json) stdout.write(text);
    },
    print: (text) => {
      stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    data: (value) => {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    error: (text) => {
      const red = paint(wantsColour(stderr)).red;
      stderr.write(`${red('rekey:')} ${text}\n`);
    },
  };
}
