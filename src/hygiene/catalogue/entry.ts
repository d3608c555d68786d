/**
 * One catalogue entry: what `rule()` adds to the fields written by hand (the
 * docs anchor). Apart from rules.ts so the two rule lists (dockerfile.ts,
 * image.ts) can use it without importing the catalogue that imports them.
 */
import type { Rule } from '../check.js';

/** `dockerfile/base-latest` → `dockerfile-base-latest`: the anchor of the rule's entry in the docs. */
export function anchorOf(id: string): string {
  return id.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}

export function rule<const I extends string>(r: Omit<Rule, 'docsAnchor' | 'id'> & { id: I }): Rule & { id: I } {
  return { ...r, docsAnchor: anchorOf(r.id) };
}
