/**
 * The `oidc` section of serve's settings as the server's OidcSettings
 * (docs/serve.md "Signing in with OpenID Connect"), with the checks that
 * span keys: the issuer needs accounts, a client id and exactly one of the
 * client secret and its file; an administrators' group needs the claim that
 * lists groups. Kept apart from serve-config.ts, which maps every other
 * section, so that file stays within its size.
 */
import type { ResolvedSettings } from '../../server/config-file/index.js';
import type { RegistryConfig } from '../../server/index.js';
import { UsageError } from '../flags.js';

type Settings = ResolvedSettings['settings'];
type OidcSettings = NonNullable<NonNullable<RegistryConfig['accounts']>['oidc']>;

/** Undefined without `oidc.issuer`; `readSecret` reads a secret file (serve-config.ts's, first line, 4 KiB at most). */
export async function oidcSettings(s: Settings, readSecret: (path: string, key: string) => Promise<string>): Promise<OidcSettings | undefined> {
  const o = s.oidc;
  if (o.issuer === undefined) {
    const stray = (['clientId', 'clientSecret', 'clientSecretFile', 'groupsClaim', 'adminGroup', 'displayName'] as const).find((k) => o[k] !== undefined);
    if (stray) throw new UsageError(`oidc.${stray} needs oidc.issuer`);
    return undefined;
  }
  if (!s.auth.accounts) throw new UsageError('oidc.issuer needs auth.accounts (--accounts): OIDC users become accounts of the registry');
  if (o.clientId === undefined) throw new UsageError('oidc.issuer needs oidc.clientId (PORTCULLIS_OIDC_CLIENT_ID)');
  if (o.clientSecret !== undefined && o.clientSecretFile !== undefined) throw new UsageError('set oidc.clientSecret or oidc.clientSecretFile, not both');
  const clientSecret = o.clientSecret ?? (o.clientSecretFile !== undefined ? await readSecret(o.clientSecretFile, 'oidc.clientSecretFile') : undefined);
  if (clientSecret === undefined) throw new UsageError('oidc.issuer needs oidc.clientSecret or oidc.clientSecretFile (PORTCULLIS_OIDC_CLIENT_SECRET_FILE)');
  if (o.adminGroup !== undefined && o.groupsClaim === undefined) throw new UsageError('oidc.adminGroup needs oidc.groupsClaim: the claim that lists the user\'s groups');
  return {
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret,
    scopes: o.scopes,
    usernameClaim: o.usernameClaim,
    autoOnboard: o.autoOnboard,
    ...(o.groupsClaim !== undefined ? { groupsClaim: o.groupsClaim } : {}),
    ...(o.adminGroup !== undefined ? { adminGroup: o.adminGroup } : {}),
    ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
  };
}
