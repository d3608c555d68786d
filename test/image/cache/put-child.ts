/** Child process for the concurrent-writer test: writes one generated blob into the cache at argv[2]. */
import { Readable } from 'node:stream';
import { BlobCache } from '../../../src/image/cache/blob-cache.js';

const [root, digest, sizeText, seed] = process.argv.slice(2);
const size = Number(sizeText);
function* chunks(): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, Number(seed));
  for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}
await new BlobCache({ root }).put({ mediaType: 'application/octet-stream', digest: digest as `sha256:${string}`, size }, Readable.from(chunks()));
process.stdout.write('stored\n');
