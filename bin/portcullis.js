#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm run build writes dist/).
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with a WebAssembly build of llhttp. V8 optimises it on a
// background thread and process exit waits for that job (~0.2 s measured here);
// the baseline compiler alone parses a registry's few responses just as well.
// Set before undici is loaded, so it applies to that module's compilation.
// Not for `serve`: a long-running server gains from optimised WebAssembly (the
// S3 store's resumable SHA-256 runs ~10x slower on the baseline compiler alone).
if (process.argv.slice(2).find((arg) => !arg.startsWith('-')) !== 'serve') setFlagsFromString('--liftoff-only');

// `--version` alone: answered without loading the CLI (src/cli/version.ts).
const { VERSION, asksOnlyForVersion } = await import('../dist/src/cli/version.js');
if (asksOnlyForVersion(process.argv.slice(2))) {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}

const { main } = await import('../dist/src/cli/main.js');
const code = await main(process.argv);
// Exit as soon as the output is out (pipes can be asynchronous on some platforms).
for (const stream of [process.stdout, process.stderr]) {
  if (stream.writableLength > 0) await once(stream, 'drain');
}
process.exit(code);
