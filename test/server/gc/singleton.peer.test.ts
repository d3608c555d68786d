/**
 * Scheduled garbage collection runs on one process at a time over one
 * PostgreSQL database, and runs again once its holder is killed with
 * kill -9: two real processes (test/support/gc-singleton-process.ts: the
 * GcService and singleton locks `serve` uses, on a 300 ms schedule) against
 * a throwaway PostgreSQL. The first run is held by the test gate until
 * released, so "while A runs gc" is a state the test sees, never a sleep.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { jsonLineSink } from '../../support/registry-log.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';

const CHILD = fileURLToPath(new URL('../../support/gc-singleton-process.js', import.meta.url));

let peer: PostgresPeer;
let work: string;
const children: ChildProcess[] = [];

before(async () => {
  peer = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'portcullis-gc-singleton-'));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await peer?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
}

function start(url: string, blobs: string, gate: string): Child {
  const child = spawn(process.execPath, [CHILD, url, blobs], { env: { ...process.env, PORTCULLIS_TEST_GATE: gate, PORTCULLIS_TEST_GATE_ON: 'gc' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const sink = jsonLineSink();
  child.stdout!.pipe(sink.stream);
  return { process: child, lines: sink.lines };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const busy = (c: Child): number => c.lines.filter((l) => l.event === 'singleton' && l.job === 'gc' && l.state === 'busy').length;

test('two processes never run scheduled gc at once; after the holder is killed with kill -9 the other runs it', async () => {
  const url = await peer.createDatabase();
  const blobs = join(work, 'blobs');
  const gate = join(work, 'gate');
  await mkdir(gate, { recursive: true });
  const a = start(url, blobs, gate);
  await until('A to hold gc', () => existsSync(join(gate, `gc.${a.process.pid}`)));
  const b = start(url, blobs, gate);
  await until('B to find gc taken three times', () => busy(b) >= 3);
  assert.equal(existsSync(join(gate, `gc.${b.process.pid}`)), false, 'B never started gc while A held it');

  const gone = new Promise((resolve) => a.process.once('exit', resolve));
  a.process.kill('SIGKILL');
  await gone;
  await until('B to take gc over', () => existsSync(join(gate, `gc.${b.process.pid}`)));
  await writeFile(join(gate, 'release'), '');
  await until('B to finish a run', () => b.lines.some((l) => l.event === 'gc' && typeof l.manifestsDeleted === 'number'));
  const stopped = new Promise<number | null>((resolve) => b.process.once('exit', resolve));
  b.process.kill('SIGTERM');
  assert.equal(await stopped, 0);
});
