/**
 * The version in portcullis's package.json, for the OpenAPI document's
 * `info.version`. Found by walking up from this file to the package.json
 * named "portcullis": the compiled file (dist/src/…) and the source
 * (src/…, under tsx) sit at different depths, and a JSON import would need
 * an import attribute Node 20 still calls experimental.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LEVELS = 8;

export async function packageVersion(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < MAX_LEVELS; level++) {
    const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (parsed.name === 'portcullis' && typeof parsed.version === 'string') return parsed.version;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('package.json of portcullis not found above the server code');
}
