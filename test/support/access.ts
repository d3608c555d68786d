/**
 * A hand-made AccessControl for tests of the API's decisions: who a request
 * is comes from `authenticate` (by default: `Bearer <name>` is user <name>,
 * anything else anonymous), what they may do from `can`.
 */
import { authorizeWith } from '../../src/server/auth/authorize.js';
import type { Action, Principal } from '../../src/server/auth/principal.js';
import type { AccessControl, AuthRequest, Authentication } from '../../src/server/services.js';

export interface FakeAccessOptions {
  readonly authenticate?: (request: AuthRequest) => Authentication;
  readonly can: (principal: Principal, action: Action, repository: string) => boolean;
  readonly challenge?: string;
}

export function fakeAccessControl(options: FakeAccessOptions): AccessControl {
  const challenge = options.challenge ?? 'Bearer realm="https://auth.example/token",service="test"';
  const control: AccessControl = {
    async authenticate(request) {
      if (options.authenticate) return options.authenticate(request);
      const m = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '');
      return { ok: true, principal: m ? { kind: 'user', name: m[1]!, admin: false, via: 'password' } : { kind: 'anonymous' } };
    },
    async can(principal, action, repository) {
      return options.can(principal, action, repository);
    },
    async readableProjects() {
      return 'all';
    },
    challenge(scope, error) {
      return `${challenge}${scope !== undefined ? `,scope="${scope}"` : ''}${error !== undefined ? `,error="${error}"` : ''}`;
    },
    authorize(request, access, repository) {
      return authorizeWith(control, challenge, request, access, repository);
    },
  };
  return control;
}
