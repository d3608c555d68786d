/**
 * A garbage collection in a process of its own, for the crash test: `node gc-child.js ROOT STOP_AT`
 * opens the data folder as `portcullis serve` lays it out (ROOT/blobs, ROOT/registry.sqlite) and runs
 * the collector with no grace period and no untagged retention. At its STOP_AT-th step (a repository
 * looked at, a blob claimed, deleted or its claim finished) it writes `paused <kind> <detail>` on stdout
 * and waits for ever: the test kills it there with SIGKILL. A run that ends before that step writes
 * `done`.
 */
import { join } from 'node:path';
import { runGc, type GcStep } from '../../src/server/gc/index.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';

const [root, stopAt] = process.argv.slice(2);
if (root === undefined || stopAt === undefined) throw new Error('usage: gc-child.js ROOT STOP_AT');
const blobs = new FilesystemBlobStore(join(root, 'blobs'));
const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
let steps = 0;
await runGc(
  { blobs, metadata },
  {
    graceMs: 0,
    untaggedRetentionMs: 0,
    leaseTtlMs: 1000,
    onStep: async (step: GcStep) => {
      steps++;
      if (steps !== Number(stopAt)) return;
      process.stdout.write(`paused ${step.kind} ${'digest' in step ? step.digest : step.repository}\n`);
      // Keep the process alive (a bare pending promise would let Node exit) until the test kills it.
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    },
  },
);
process.stdout.write(`done ${steps}\n`);
