/**
 * The push side of the garbage-collection protocol (collector.ts explains the whole): before a push relies
 * on a blob's bytes — finishing an upload, which keeps the stored copy when the blob is already there, or
 * writing a manifest's bytes — it reserves the blob, and links it later with the epoch it reserved.
 *
 * A reservation that finds the blob claimed by a collector waits for the collector to finish (it deletes the
 * bytes and drops the row right after claiming, so this is normally milliseconds), then reserves the blob
 * again: the push then writes its own bytes. A claim older than `claimTimeoutMs` belongs to a collector that
 * died (`kill -9`, a lost machine): the push finishes it itself — deletes the bytes, drops the row — which
 * is safe because a claimed blob is, by construction, one nothing links or references. Past `maxWaitMs`
 * the push is refused with UNAVAILABLE (503, Retry-After) and nothing is recorded.
 *
 * The other half: a client that checks a blob is in the repository (HEAD) and then pushes a manifest
 * using it must not lose the link in between to the collector's removal of loose links. Reading a blob
 * through a repository moves its link's time to now when it is older than half the grace period
 * (`linkFreshness`), so a link a client just saw stays at least half a grace period.
 */
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { MetadataStore } from '../metadata/store.js';
import type { BlobStore } from '../storage/blob-store.js';

/** A claim untouched for this long was left by a collector that stopped; anyone may finish it. */
export const DEFAULT_CLAIM_TIMEOUT_MS = 2 * 60_000;

export interface PushGuardOptions {
  /** The collector's grace period (default 1 h): links read through the API are kept fresh within half of it. */
  readonly graceMs?: number;
  readonly claimTimeoutMs?: number;
  /** How long a push waits for a collector's claim (default 10 s). */
  readonly maxWaitMs?: number;
  readonly pollMs?: number;
  readonly now?: () => number;
}

/** For `MetadataStore.refreshLink`: now, and the time before which a link is refreshed (half the grace period ago). */
export function linkFreshness(options: PushGuardOptions = {}): { now: string; staleBefore: string } {
  const now = (options.now ?? Date.now)();
  return { now: new Date(now).toISOString(), staleBefore: new Date(now - (options.graceMs ?? 3_600_000) / 2).toISOString() };
}

/** Reserves `digest` for a push; returns the epoch to link it with. */
export async function reserveForPush(
  stores: { readonly blobs: Pick<BlobStore, 'delete'>; readonly metadata: Pick<MetadataStore, 'reserveBlob' | 'finishClaim'> },
  digest: Digest,
  options: PushGuardOptions = {},
): Promise<number> {
  const now = options.now ?? Date.now;
  const claimTimeoutMs = options.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS;
  const deadline = now() + (options.maxWaitMs ?? 10_000);
  let pause = Math.max(1, options.pollMs ?? 10);
  for (;;) {
    const reservation = await stores.metadata.reserveBlob(digest, new Date(now()).toISOString());
    if (reservation.state === 'live') return reservation.epoch;
    const claimedAt = Date.parse(reservation.claimedAt);
    if (!(now() - claimedAt < claimTimeoutMs)) {
      // Left by a collector that stopped: finish its claim (idempotent), then reserve again.
      await stores.blobs.delete(digest);
      await stores.metadata.finishClaim({ digest, epoch: reservation.epoch });
      continue;
    }
    if (now() >= deadline) {
      throw new ServeError('UNAVAILABLE', `blob ${digest} is being garbage collected; retry the push`, { detail: { digest } });
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 200);
  }
}
