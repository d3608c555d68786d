/**
 * Scopes of the Docker token protocol
 * (https://distribution.github.io/distribution/spec/auth/scope/):
 * `repository:NAME:pull,push`, `repository:NAME:*`, `registry:catalog:*`,
 * asked for by clients, and the `access` claim a token carries: what was
 * asked for intersected with what the principal holds. Unknown resource
 * types, malformed names and unknown actions are dropped, never an error
 * (clients send scopes for things we do not have); at most MAX_SCOPES scopes
 * of MAX_SCOPE_LENGTH characters are read per request. A repository named
 * as a Notary GUN (`host:port/team/app`, as `docker trust` asks) also asks
 * for the repository after the host.
 */
import { MAX_NAME_LENGTH } from '../api/v2/route.js';
import { isSignedIn } from './permissions.js';
import type { Action, Principal } from './principal.js';

export interface AccessEntry {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly actions: readonly string[];
}

export const MAX_SCOPES = 32;

/**
 * `registry:admin:*`: the scope a token must carry to be used on the admin
 * API (/api/v1/). Docker clients never ask for it, so the pull and push
 * tokens they hold (and may leak into CI logs) are no admin credentials;
 * `portcullis registry …` asks for it, and Basic credentials need no token.
 */
export const ADMIN_API_SCOPE_NAME = 'admin';
export const ADMIN_API_SCOPE = `registry:${ADMIN_API_SCOPE_NAME}:*`;
export const MAX_SCOPE_LENGTH = 512;

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const REPOSITORY_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

/** The scopes in `values` (each may hold several, space-separated, as in the OAuth form). */
export function parseScopes(values: readonly string[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const value of values) {
    for (const scope of value.split(' ')) {
      if (out.length >= MAX_SCOPES) return out;
      if (scope === '' || scope.length > MAX_SCOPE_LENGTH) continue;
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last === first) continue;
      // `repository(plugin):…`: the resource class does not change what is granted.
      const type = scope.slice(0, first).replace(/\(.*\)$/, '');
      const name = scope.slice(first + 1, last);
      const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
      if (type === 'repository') {
        if (name.length <= MAX_NAME_LENGTH && NAME.test(name)) out.push({ type, name, actions });
        // A Notary client (docker trust) names the whole GUN, `host[:port]/team/app`: the Notary routes judge it by
        // the repository after the host (api/v2 access.ts repositoryOfGun), so that is what is granted. The host is
        // not checked: the token is only for this service, and grants what the caller may do on the path anyway.
        const gunPath = repositoryPathOfGun(name);
        if (gunPath !== undefined && out.length < MAX_SCOPES) out.push({ type, name: gunPath, actions });
      } else if (type === 'registry' && (name === 'catalog' || name === ADMIN_API_SCOPE_NAME)) out.push({ type, name, actions });
    }
  }
  return out;
}

/** The repository path of a GUN-form name (`host[:port]/path`, the host having a `.` or `:` or being localhost), if valid. */
function repositoryPathOfGun(name: string): string | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const host = name.slice(0, slash);
  if (!(host.includes('.') || host.includes(':') || host === 'localhost')) return undefined;
  const path = name.slice(slash + 1);
  return path.length <= MAX_NAME_LENGTH && NAME.test(path) ? path : undefined;
}

/** The scope string a 401 challenge names. */
export function scopeString(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/**
 * What `principal` gets of `requested`: for each repository, the asked
 * actions it may do (`*` asks for all three); the catalog when signed in.
 * Entries granting nothing are left out; the same name asked twice merges.
 */
export async function grantScopes(
  principal: Principal,
  requested: readonly AccessEntry[],
  can: (principal: Principal, action: Action, repository: string) => Promise<boolean>,
): Promise<AccessEntry[]> {
  const granted = new Map<string, { entry: AccessEntry; actions: Set<string> }>();
  for (const entry of requested) {
    const key = `${entry.type}:${entry.name}`;
    const actions = new Set<string>();
    if (entry.type === 'registry') {
      // The admin API is for people: robots (CI credentials) never get a token for it.
      const allowed = entry.name === ADMIN_API_SCOPE_NAME ? principal.kind === 'user' : isSignedIn(principal);
      if (entry.actions.includes('*') && allowed) actions.add('*');
    } else {
      const wanted = entry.actions.includes('*') ? REPOSITORY_ACTIONS : REPOSITORY_ACTIONS.filter((a) => entry.actions.includes(a));
      for (const action of wanted) if (await can(principal, action, entry.name)) actions.add(action);
    }
    if (actions.size === 0) continue;
    const held = granted.get(key);
    if (held) for (const a of actions) held.actions.add(a);
    else granted.set(key, { entry, actions });
  }
  return [...granted.values()].map(({ entry, actions }) => ({ type: entry.type, name: entry.name, actions: [...actions].sort() }));
}

/** True when `grants` (a token's access claim) include `action` on the repository, or the catalog for `registry:catalog:*`. */
export function grantsInclude(grants: readonly AccessEntry[], type: AccessEntry['type'], name: string, action: string): boolean {
  return grants.some((g) => g.type === type && g.name === name && (g.actions.includes(action) || g.actions.includes('*')));
}
