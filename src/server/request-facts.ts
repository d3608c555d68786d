/**
 * What the API learned about a request while answering it (the route it
 * took, the repository, who the caller turned out to be, bytes received),
 * kept beside the request so the one `request` log line written when the
 * answer is sent can say it. Kept by the raw request in a WeakMap: nothing
 * outlives the request, and no Fastify type augmentation is needed.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestFacts {
  /** The endpoint family (`manifest`, `blob`, `upload`, `tuf`, `ui`, …). */
  route?: string;
  repository?: string;
  /** The authenticated user, when there was one. */
  principal?: string;
  /** Body bytes streamed into storage (uploads, manifests). */
  bytesIn?: number;
}

const facts = new WeakMap<IncomingMessage, RequestFacts>();

export function factsOf(request: IncomingMessage): RequestFacts {
  let known = facts.get(request);
  if (!known) facts.set(request, (known = {}));
  return known;
}
