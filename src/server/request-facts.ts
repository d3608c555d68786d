/**
 * What the API learned about a request while answering it (the route it
 * took, the repository, who the caller turned out to be, bytes received),
 * kept beside the request so the one `request` log line written when the
 * answer is sent can say it, and the audit log (audit/http.ts) can tell
 * what the request did. Kept by the raw request in a WeakMap: nothing
 * outlives the request, and no Fastify type augmentation is needed.
 */
import type { IncomingMessage } from 'node:http';
import type { AuditNote } from './audit/notes.js';

export interface RequestFacts {
  /** The endpoint family (`manifest`, `blob`, `upload`, `tuf`, `ui`, …). */
  route?: string;
  repository?: string;
  /** The authenticated user, when there was one. */
  principal?: string;
  /** Body bytes streamed into storage (uploads, manifests). */
  bytesIn?: number;
  /** The tag or digest a manifest or blob request named, or the digest a tag resolved to. */
  tag?: string;
  digest?: string;
  /** The pull policy refused the manifest (403): why. */
  denied?: { readonly reason: string; readonly kind?: string };
  /** Authentication refused the request (auth/failure-log.ts): wrong credentials, rate-limited, or not permitted. */
  authFailure?: { readonly reason: string; readonly user?: string };
  /** What the request did that the audit log records, when a handler says so (audit/notes.ts). */
  audit?: AuditNote;
}

const facts = new WeakMap<IncomingMessage, RequestFacts>();

export function factsOf(request: IncomingMessage): RequestFacts {
  let known = facts.get(request);
  if (!known) facts.set(request, (known = {}));
  return known;
}
