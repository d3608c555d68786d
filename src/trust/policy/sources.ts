/**
 * Which trust sources a policy entry accepts, and how Notary counts — the
 * part of the policy file that joins Docker Content Trust (Notary v1) with
 * cosign's two layouts:
 *
 * ```yaml
 *     sources: [cosign, bundle, notary]   # default: all three; an image passes when one of them satisfies the entry
 *     notary:
 *       authoritative: true               # a tag Notary does not sign (revoked, removed, no data) is refused,
 *                                         # whatever cosign says; default false
 *       roles: [targets/releases]         # roles whose signature counts (default: every role, Docker's order)
 *       rootKeys: [<64-hex key id>]       # the GUN's root must be signed by one of these (default: trust on first use)
 *       signers: [<64-hex key id>]        # the signing role's signature must be by one of these (default: every key its role lists)
 * ```
 *
 * Key ids are matched against both notary's ids: the one the metadata
 * lists (a certificate's id for x509 keys; `docker trust inspect`'s "Root
 * Key") and the canonical one (`notary key list`, private key file names).
 * Full ids only: a 12-hex prefix is cheap enough to collide on purpose.
 *
 * Kept apart from policy.ts so the entry parser only gains two calls. Pure.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';

export type TrustSource = 'cosign' | 'bundle' | 'notary';

export const TRUST_SOURCES: readonly TrustSource[] = ['cosign', 'bundle', 'notary'];

export interface NotaryRule {
  /** Notary decides for this repository: what it does not sign for the tag is refused. */
  readonly authoritative: boolean;
  /** Roles whose signed targets count (`targets`, `targets/releases`…); empty: every role. */
  readonly roles: readonly string[];
  /** Root key ids one of which must sign the GUN's root; empty: the root is trusted on first use. */
  readonly rootKeys: readonly string[];
  /** Key ids one of which must sign the role that signs the target; empty: every key the role lists counts. */
  readonly signers: readonly string[];
}

export const DEFAULT_NOTARY_RULE: NotaryRule = { authoritative: false, roles: [], rootKeys: [], signers: [] };

const NOTARY_KEYS = ['authoritative', 'roles', 'rootKeys', 'signers'];
const KEY_ID = /^[0-9a-f]{64}$/;
/** More pinned keys than this is a mistake (a list of every key ever made), not a policy. */
const MAX_PINNED = 64;

type Fail = (node: Node | null | undefined, message: string) => never;

/** Notary role names: `targets` and its delegations (`targets/releases`, `targets/team/a`). */
const ROLE = /^targets(\/[A-Za-z0-9_.-]+){0,8}$/;

/** The signature layouts a SignatureCheck's `layout` belongs to. */
export function sourceOfLayout(layout: string): TrustSource {
  return layout === 'bundle' ? 'bundle' : 'cosign';
}

export function parseSources(node: unknown, fail: Fail): TrustSource[] {
  const items: unknown[] = isScalar(node) ? [node] : isSeq(node) && node.items.length > 0 ? node.items : fail(node as Node, '"sources" must be a non-empty list of cosign, bundle, notary');
  const out: TrustSource[] = [];
  for (const item of items) {
    const value = isScalar(item) && typeof item.value === 'string' ? item.value.trim() : '';
    if (!(TRUST_SOURCES as readonly string[]).includes(value)) fail(item as Node, `"sources" entries are cosign, bundle or notary, not ${JSON.stringify(value || String((item as { value?: unknown }).value))}`);
    if (out.includes(value as TrustSource)) fail(item as Node, `"sources" names ${value} twice`);
    out.push(value as TrustSource);
  }
  return out;
}

export function parseNotaryRule(node: unknown, fail: Fail): NotaryRule {
  if (!isMap(node)) return fail(node as Node, '"notary" must be a mapping with authoritative, roles, rootKeys and/or signers');
  const map = node as YAMLMap;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (!NOTARY_KEYS.includes(key)) fail(pair.key as Node, `unknown key ${JSON.stringify(key).slice(0, 100)} in "notary" (allowed: ${NOTARY_KEYS.join(', ')})`);
  }
  const authNode: unknown = map.get('authoritative', true);
  if (authNode !== undefined && !(isScalar(authNode) && typeof authNode.value === 'boolean')) fail(authNode as Node, '"authoritative" must be true or false');
  const rolesNode: unknown = map.get('roles', true);
  const roles: string[] = [];
  if (rolesNode !== undefined) {
    const items: unknown[] = isScalar(rolesNode) ? [rolesNode] : isSeq(rolesNode) && rolesNode.items.length > 0 ? rolesNode.items : fail(rolesNode as Node, '"roles" must be a non-empty list of Notary roles');
    for (const item of items) {
      const value = isScalar(item) && typeof item.value === 'string' ? item.value.trim() : '';
      if (!ROLE.test(value)) fail(item as Node, `"roles" entries are targets or a delegation such as targets/releases, not ${JSON.stringify(value)}`);
      if (!roles.includes(value)) roles.push(value);
    }
  }
  return {
    authoritative: authNode !== undefined && (authNode as { value: boolean }).value,
    roles,
    rootKeys: parseKeyIds(map.get('rootKeys', true), 'rootKeys', fail),
    signers: parseKeyIds(map.get('signers', true), 'signers', fail),
  };
}

/** A list of full Notary key ids (64 hex, case folded), or none when the key is absent. */
function parseKeyIds(node: unknown, name: string, fail: Fail): string[] {
  if (node === undefined) return [];
  const items: unknown[] = isScalar(node) ? [node] : isSeq(node) && node.items.length > 0 ? node.items : fail(node as Node, `"${name}" must be a non-empty list of Notary key ids`);
  if (items.length > MAX_PINNED) fail(node as Node, `"${name}" lists ${items.length} keys, more than ${MAX_PINNED}`);
  const ids: string[] = [];
  for (const item of items) {
    const value = isScalar(item) && typeof item.value === 'string' ? item.value.trim().toLowerCase() : '';
    if (!KEY_ID.test(value)) fail(item as Node, `"${name}" entries are full Notary key ids (64 hex digits, as docker trust inspect or notary key list prints them), not ${JSON.stringify(value.slice(0, 80) || String((item as { value?: unknown }).value).slice(0, 80))}`);
    if (!ids.includes(value)) ids.push(value);
  }
  return ids;
}
