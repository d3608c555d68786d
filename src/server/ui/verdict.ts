/**
 * What a pull of a manifest would get, asked of the registry's own pull
 * policy (the object the /v2 API asks), never worked out here: the UI only
 * words the decision ("would be served", or "refused: " and the policy's own
 * summary). An index is served or refused on its own (its signature), and a
 * client then fetches one platform image, which the policy judges by
 * itself: so an index whose platform images are refused is shown refused
 * too (all of them) or partly refused, never as served.
 */
import type { ManifestEntry, ManifestRecord } from '../metadata/store.js';
import type { PolicyDecision } from '../services.js';
import { mapLimit, type UiContext } from './context.js';
import { h } from './html.js';
import { indexChildren, isIndex } from './status.js';

export interface Verdict {
  /** True only when every pull would be served. */
  readonly served: boolean;
  /** `would be served`, `refused: unsigned`, `partly refused: …`. */
  readonly text: string;
  /** The policy's full reason, for the tooltip and the image page. */
  readonly detail?: string;
}

const SERVED: Verdict = { served: true, text: 'would be served' };

function refused(decision: Extract<PolicyDecision, { allowed: false }>): Verdict {
  return { served: false, text: `refused: ${decision.summary ?? 'by policy'}`, detail: decision.reason };
}

/** `record` without its references is enough; an index's are read here (its platform images: indexChildren's cap). */
export async function verdictOf(ctx: UiContext, record: ManifestEntry | ManifestRecord): Promise<Verdict> {
  if (!ctx.policy) return SERVED;
  const decision = await ctx.policy.check(record);
  if (!decision.allowed) return refused(decision);
  if (!isIndex(record)) return SERVED;
  const index = 'references' in record ? record : await ctx.metadata.getManifest(record.repository, record.digest);
  // Deleted meanwhile: a pull would find nothing.
  if (!index) return { served: false, text: 'refused: not in this repository' };
  const children = await indexChildren(ctx.metadata, index);
  const decisions = await mapLimit(children, 4, (child) => ctx.policy!.check(child));
  const denied = decisions.filter((d): d is Extract<PolicyDecision, { allowed: false }> => !d.allowed);
  if (denied.length === 0) return SERVED;
  const first = denied[0]!;
  if (denied.length === decisions.length) {
    const which = decisions.length === 1 ? 'its platform image' : `all ${decisions.length} platform images`;
    return { served: false, text: `refused: ${first.summary ?? 'by policy'} (${which})`, detail: first.reason };
  }
  return { served: false, text: `partly refused: ${denied.length} of ${decisions.length} platform images (${first.summary ?? 'by policy'})`, detail: first.reason };
}

export function verdictBadge(verdict: Verdict): string {
  const kind = verdict.served ? 'served' : 'refused';
  const title = verdict.detail ? ` title="${h(verdict.detail)}"` : '';
  return `<span class="verdict verdict-${kind}" data-verdict="${kind}"${title}>${h(verdict.text)}</span>`;
}
