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
 * ```
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
}

export const DEFAULT_NOTARY_RULE: NotaryRule = { authoritative: false, roles: [] };

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
  if (!isMap(node)) return fail(node as Node, '"notary" must be a mapping with "authoritative" and/or "roles"');
  const map = node as YAMLMap;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (key !== 'authoritative' && key !== 'roles') fail(pair.key as Node, `unknown key ${JSON.stringify(key)} in "notary" (allowed: authoritative, roles)`);
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
  return { authoritative: authNode !== undefined && (authNode as { value: boolean }).value, roles };
}
