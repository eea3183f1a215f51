/** The demo's own presentation: short key ids and terminal colours (the CLI has its own). */
import { shortKey } from '../../lambdas/shared/keys';

export const key = (id: unknown): string => (typeof id === 'string' ? shortKey(id) : '-');

const colours = process.stdout.isTTY && !process.env.NO_COLOR;
const paint =
  (code: number) =>
  (text: string): string =>
    colours ? `\u001b[${code}m${text}\u001b[0m` : text;
export const bold = paint(1);
export const dim = paint(2);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
