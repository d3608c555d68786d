/** THE list of image checks, one per rule family. Each rule id belongs to exactly one check (test/hygiene/image/catalogue.test.ts). */
import type { ImageCheck } from './check.js';
import { eolCheck } from './eol.js';
import { identityCheck } from './identity.js';
import { secretsCheck } from './secrets.js';
import { staleCheck } from './stale.js';
import { surfaceCheck } from './surface.js';
import { unmanagedCheck } from './unmanaged.js';
import { userDataCheck } from './user-data.js';

export const IMAGE_CHECKS: readonly ImageCheck[] = [eolCheck, staleCheck, unmanagedCheck, surfaceCheck, identityCheck, secretsCheck, userDataCheck];

const names = new Set<string>();
for (const c of IMAGE_CHECKS) {
  if (names.has(c.name)) throw new Error(`image check ${c.name} is registered twice`);
  names.add(c.name);
}
