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

/** True when content trust is on, disabled loudly, or a policy (given or in the home) may apply. */
export function trustMayApply(flags: TrustSwitches, env: NodeJS.ProcessEnv): boolean {
  if (flags.contentTrust || flags.disableContentTrust || flags.policy) return true;
  const on = env.PORTCULLIS_CONTENT_TRUST;
  if (on !== undefined && /^(1|true|yes|on)$/i.test(on.trim())) return true;
  return existsSync(join(portcullisHome(env), 'policy.yaml'));
}
