/**
 * File helpers shared by the sources: a sorted recursive walk (deterministic
 * import order) and a streaming splitter for JSON files whose top level is
 * one large object (the Debian tracker's `{package: {...}}`), so a 100 MB
 * document is parsed one member at a time.
 */
import { createReadStream } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files under `root` (or `root` itself when it is a file), sorted, whose names pass `accept`. */
export async function* walkFiles(root: string, accept: (name: string) => boolean = () => true): AsyncGenerator<string> {
  // Synchronous on purpose: for trees of thousands of small files the thread-pool round trips of fs/promises cost more than the work.
  const info = statSync(root);
  if (info.isFile()) {
    yield root;
    return;
  }
  const entries = readdirSync(root, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(root, e.name);
    if (e.isDirectory()) yield* walkFiles(path, accept);
    else if (e.isFile() && accept(e.name)) yield path;
  }
}

/**
 * Yields `[key, valueText]` for each member of the top-level JSON object in
 * `path`, reading in chunks. The value text is parsed by the caller, so a
 * malformed member only costs that member. Throws when the top level is not
 * an object or the document is truncated.
 */
export async function* topLevelMembers(path: string): AsyncGenerator<[string, string]> {
  let depth = 0;
  let inString = false;
  let escape = false;
  let started = false;
  let key: string | undefined;
  let keyStart = -1;
  let valueStart = -1;
  let buf = '';
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    const from = buf.length;
    buf += chunk;
    for (let i = from; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) {
          inString = false;
          if (depth === 1 && key === undefined && keyStart >= 0) {
            key = JSON.parse(buf.slice(keyStart, i + 1)) as string;
            keyStart = -1;
          }
        }
        continue;
      }
      if (c === 0x22) {
        inString = true;
        if (depth === 1 && key === undefined) keyStart = i;
        else if (depth === 1 && valueStart < 0) valueStart = i;
      } else if (c === 0x7b || c === 0x5b) {
        if (depth === 0) {
          if (c !== 0x7b || started) throw new Error('the top level is not a JSON object');
          started = true;
        } else if (depth === 1 && valueStart < 0) valueStart = i;
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          if (key !== undefined && valueStart >= 0) yield [key, buf.slice(valueStart, i).trim()];
          key = undefined;
          valueStart = -1;
          return;
        }
      } else if (depth === 1) {
        if (c === 0x2c) {
          if (key !== undefined && valueStart >= 0) yield [key, buf.slice(valueStart, i).trim()];
          key = undefined;
          valueStart = -1;
          // drop what is consumed
          buf = buf.slice(i + 1);
          i = -1;
        } else if (c !== 0x3a && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && valueStart < 0 && key !== undefined) {
          valueStart = i; // a scalar value
        }
      }
    }
  }
  throw new Error(started ? 'truncated JSON document' : 'empty JSON document');
}
