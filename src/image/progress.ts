/**
 * Progress reporting for any source: counts the bytes of each blob stream as
 * the consumer reads it. Transport-agnostic, so every transport gets progress
 * bars without knowing about them.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { markVerified, verifiedDigestOf, type Descriptor } from '../core/index.js';
import type { ImageSource, ProgressEvent } from './types.js';

export function withProgress(source: ImageSource, onProgress: (event: ProgressEvent) => void): ImageSource {
  return {
    reference: source.reference,
    getManifest: (digest) => source.getManifest(digest),
    close: () => source.close(),
    async getBlob(descriptor: Descriptor) {
      const stream = await source.getBlob(descriptor);
      let transferred = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
          transferred += chunk.length;
          onProgress({ id: descriptor.digest, transferred, total: descriptor.size });
          done(null, chunk);
        },
      });
      // pipeline forwards errors both ways and destroys both streams when either ends early.
      pipeline(stream, counter, () => undefined);
      // The counter passes the source's bytes and errors through: still verified.
      const verified = verifiedDigestOf(stream);
      return verified ? markVerified(counter, verified) : counter;
    },
  };
}
