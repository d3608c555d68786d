/**
 * Telling every process of a registry that something it may have cached has
 * changed. Several `portcullis serve` processes share one PostgreSQL
 * database (docs/serve.md, "Running several processes"); whatever one of
 * them keeps in memory about data another can change must be forgotten when
 * that other changes it. Today that is the signature check's verdicts
 * (signature-check.ts): every other read that decides access (identities,
 * robots, memberships, project settings and trust policies, scan results) is
 * made from the store at each request, and needs nothing here.
 *
 * A change is small and names what to forget: an image's answers (a
 * signature or referrer pushed or removed), a repository's (its Notary data
 * published or deleted, a manifest deleted), or everything. The publisher
 * calls `publish` after its write is committed; its own listeners are told
 * at once, synchronously; other processes hear it through the bus
 * (PostgreSQL LISTEN/NOTIFY, metadata/invalidation-postgres.ts). One process
 * alone (SQLite) has only the in-process part (`localBus`).
 *
 * Fail closed: `listening` is false while changes made elsewhere could go
 * unheard (the bus's connection is down); caches must neither answer nor
 * keep anything then, and the bus tells its listeners `everything` when it
 * loses and when it regains its connection (notifications in between are
 * lost). A message that cannot be read, or is too long, means `everything`.
 */
import type { Digest } from '../core/index.js';
import type { RegistryLog } from './log.js';

export type Invalidation =
  | { readonly kind: 'image'; readonly repository: string; readonly digest: Digest }
  | { readonly kind: 'repository'; readonly repository: string }
  | { readonly kind: 'everything' };

export type InvalidationListener = (change: Invalidation) => void;

export interface InvalidationBus {
  /** Tells this process's listeners now, and the other processes as soon as the bus can; never throws. */
  publish(change: Invalidation): void;
  /** Calls `listener` for every change, from this process or another; returns what stops it. */
  subscribe(listener: InvalidationListener): () => void;
  /** False while changes made by other processes may go unheard: a cache must not answer from memory then. */
  readonly listening: boolean;
  /**
   * How long an answer may be kept at most, for the changes no notification tells (a process killed between its
   * commit and its NOTIFY): undefined when every change is heard (one process).
   */
  readonly keepAtMostMs: number | undefined;
  close(): Promise<void>;
}

/** A message longer than this is not ours (PostgreSQL allows 8,000 bytes): it is read as `everything`. */
export const MAX_MESSAGE_BYTES = 1024;
const DIGEST = /^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$/;
/** Repository names as the distribution spec allows them (bounded: a message is short). */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const MAX_REPOSITORY = 255;

/** The change as one line of JSON, tagged with the sending process; `everything` when the change would not fit. */
export function encodeInvalidation(change: Invalidation, origin: string): string {
  const text = JSON.stringify({ o: origin, ...change });
  return Buffer.byteLength(text) <= MAX_MESSAGE_BYTES ? text : JSON.stringify({ o: origin, kind: 'everything' });
}

/** A message read back: who sent it and what to forget; `everything` (from nobody) when it is not a message this version understands. */
export function decodeInvalidation(text: string): { readonly origin: string | undefined; readonly change: Invalidation } {
  const everything = { origin: undefined, change: { kind: 'everything' } } as const;
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return everything;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return everything;
  }
  if (typeof value !== 'object' || value === null) return everything;
  const { o, kind, repository, digest } = value as { o?: unknown; kind?: unknown; repository?: unknown; digest?: unknown };
  const origin = typeof o === 'string' ? o : undefined;
  if (kind === 'everything') return { origin, change: { kind } };
  if (typeof repository !== 'string' || repository.length > MAX_REPOSITORY || !REPOSITORY.test(repository)) return everything;
  if (kind === 'repository') return { origin, change: { kind, repository } };
  if (kind === 'image' && typeof digest === 'string' && DIGEST.test(digest)) return { origin, change: { kind, repository, digest: digest as Digest } };
  return everything;
}

/** Listeners of one process, each told in turn; a listener that throws does not stop the others. */
export class InvalidationListeners {
  readonly #listeners = new Set<InvalidationListener>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  add(listener: InvalidationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  tell(change: Invalidation): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}

/** One process alone: changes reach only this process's listeners, at once; always listening. */
export function localBus(): InvalidationBus {
  const listeners = new InvalidationListeners();
  return {
    publish: (change) => listeners.tell(change),
    subscribe: (listener) => listeners.add(listener),
    listening: true,
    keepAtMostMs: undefined,
    close: async () => undefined,
  };
}

/** The bus of a registry's metadata: PostgreSQL's when it has one (several processes may share it), else this process alone. */
export async function openInvalidationBus(at: { readonly metadataUrl?: string | undefined }, log: RegistryLog): Promise<InvalidationBus> {
  if (!at.metadataUrl) return localBus();
  const { PostgresInvalidationBus } = await import('./metadata/invalidation-postgres.js');
  return PostgresInvalidationBus.open(at.metadataUrl, log);
}
