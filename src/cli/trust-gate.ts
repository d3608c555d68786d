/**
 * Whether a command that moves an image must consult content trust at all,
 * decided without loading the trust modules (keys, policy, signature formats:
 * a tenth of a second of start-up that plain copies should not pay).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface TrustSwitches {
  contentTrust?: boolean;
  disableContentTrust?: boolean;
  policy?: string;
}

export function portcullisHome(env: NodeJS.ProcessEnv): string {
  return env.PORTCULLIS_HOME && env.PORTCULLIS_HOME.length > 0 ? env.PORTCULLIS_HOME : join(homedir(), '.portcullis');
}

/**
 * PORTCULLIS_CONTENT_TRUST as Docker reads DOCKER_CONTENT_TRUST: unset, empty
 * or an explicit no (`0`, `false`, `no`, `off`, in either case, spaces around) is
 * off; every other value is on. Fail closed: a value someone set to turn
 * trust on (`2`, `enabled`, `y`) must never leave it off.
 */
export function contentTrustFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env.PORTCULLIS_CONTENT_TRUST?.trim();
  return value !== undefined && value !== '' && !/^(0|false|no|off)$/i.test(value);
}

/** True when content trust is on, disabled loudly, or a policy (given or in the home) may apply. */
export function trustMayApply(flags: TrustSwitches, env: NodeJS.ProcessEnv): boolean {
  if (flags.contentTrust || flags.disableContentTrust || flags.policy) return true;
  if (contentTrustFromEnv(env)) return true;
  return existsSync(join(portcullisHome(env), 'policy.yaml'));
}
