/**
 * Notary's keys held against the policy's pins (`notary.rootKeys`,
 * `notary.signers`, sources.ts). Without pins a GUN's root is trusted on
 * first use, so whoever may push to a repository may also `notary init` it
 * with a root of their own and sign; a pin says which root, and which
 * signing keys, count. Used alike by the CLI's content trust
 * (engine/trust/notary-source.ts) and `serve --require-signature`
 * (server/content-trust.ts), so both refuse with the same words: the key
 * ids found and the ones allowed. Pure.
 */
import type { NotaryRule } from './sources.js';

/** A key that verifiably signed a Notary role: the id the metadata lists and notary's canonical id. */
export interface NotaryKey {
  readonly keyId: string;
  readonly canonicalId: string;
}

/** The keys found on a GUN: its root's signers, and the signers of the role that signs the target. */
export interface NotaryKeysFound {
  readonly gun: string;
  readonly root: readonly NotaryKey[];
  readonly role: string;
  readonly signers: readonly NotaryKey[];
}

const matches = (keys: readonly NotaryKey[], pinned: readonly string[]) => keys.some((k) => pinned.includes(k.keyId) || pinned.includes(k.canonicalId));

/** `id` or `id (canonical id2)`, each key once. */
export function describeKeys(keys: readonly NotaryKey[]): string {
  if (keys.length === 0) return 'no key whose signature verifies';
  return keys.map((k) => (k.canonicalId === k.keyId ? k.keyId : `${k.keyId} (canonical ${k.canonicalId})`)).join(', ');
}

/** Whether the root pins hold (no pins: yes); why not otherwise. */
export function rootPinProblem(rule: NotaryRule, gun: string, root: readonly NotaryKey[]): string | undefined {
  if (rule.rootKeys.length === 0 || matches(root, rule.rootKeys)) return undefined;
  return `the Notary root of ${gun} is signed by root key ${describeKeys(root)}, not by a pinned one (notary.rootKeys: ${rule.rootKeys.join(', ')})`;
}

/** Whether the signer pins hold for the role that signs the target (no pins: yes); why not otherwise. */
export function signerPinProblem(rule: NotaryRule, gun: string, role: string, signers: readonly NotaryKey[]): string | undefined {
  if (rule.signers.length === 0 || matches(signers, rule.signers)) return undefined;
  return `${role} of ${gun} is signed by key ${describeKeys(signers)}, not by a pinned signer (notary.signers: ${rule.signers.join(', ')})`;
}

/** The first pin that does not hold (root first: nothing under an unpinned root counts), or undefined. */
export function notaryPinProblem(rule: NotaryRule, found: NotaryKeysFound): string | undefined {
  return rootPinProblem(rule, found.gun, found.root) ?? signerPinProblem(rule, found.gun, found.role, found.signers);
}

/** Whether the rule pins anything. */
export function pinsNotary(rule: NotaryRule | undefined): boolean {
  return rule !== undefined && (rule.rootKeys.length > 0 || rule.signers.length > 0);
}
