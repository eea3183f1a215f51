/**
 * `npm start`: the demo runs to its end with exit 0, and its last scene is the emergency rotation
 * of a key AWS Health reports exposed.
 */
import { stripVTControlCharacters } from 'node:util';
import { runDemo } from '../../sandbox/demo/main';

it('runs every scene, the exposed key last, and exits 0', async () => {
  let text = '';
  const code = await runDemo({ write: (s: string) => (text += s) });
  const plain = stripVTControlCharacters(text);

  expect(code).toBe(0);
  const scene = plain.slice(plain.indexOf('Exposed key  (AWS Health'));
  expect(scene).toMatch(/dave\s+Exposed Key Cut Off\s+exposed key AKIA…\w{4} cut off/);
  expect(scene).toContain('notification rekey EMERGENCY: exposed key');
  expect(scene).toContain(
    'dave: exposed key cut off at once and deleted after the 1-day emergency window',
  );
  expect(plain).toContain('Invariants I1-I6: 0 violations.');
}, 180_000);
