/**
 * A gate for tests of several processes: with `PORTCULLIS_TEST_GATE=DIR`
 * and `PORTCULLIS_TEST_GATE_ON=scan,gc,…` in its environment, `portcullis
 * serve` stops before each scan and before each singleton job it takes that
 * is listed, writes `DIR/<what>.<pid>` (the test's sign that it got there:
 * `scan.1234`, `gc.1234`), and waits until `DIR/release` exists. That makes "kill the worker during its scan" or "a second process
 * while the first runs gc" deterministic, with no sleep in the test. Never
 * set in production; unset, nothing here runs.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TEST_GATE_ENV = 'PORTCULLIS_TEST_GATE';
export const TEST_GATE_ON_ENV = 'PORTCULLIS_TEST_GATE_ON';
const LOOK_EVERY_MS = 50;

/** The gate the environment asks for: `(what) => Promise<void>` resolving once released; undefined when unset. */
export function testGate(env: NodeJS.ProcessEnv = process.env): ((what: string) => Promise<void>) | undefined {
  const dir = env[TEST_GATE_ENV];
  if (!dir) return undefined;
  const held = new Set((env[TEST_GATE_ON_ENV] ?? '').split(','));
  return async (what: string) => {
    if (!held.has(what)) return;
    await writeFile(join(dir, `${what.replace(/[^a-z0-9-]/gi, '_')}.${process.pid}`), '');
    for (;;) {
      const released = await access(join(dir, 'release')).then(
        () => true,
        () => false,
      );
      if (released) return;
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
    }
  };
}
