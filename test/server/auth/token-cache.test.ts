/**
 * Access tokens are verified once and remembered until they expire
 * (tokens.ts): a remembered token must still stop working at its `exp`, and
 * a refused one must never be remembered.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenKeys } from '../../../src/server/auth/token-keys.js';
import { TokenService } from '../../../src/server/auth/tokens.js';

test('a remembered access token expires at its exp, as an unremembered one does; a tampered one stays refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-token-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const tokens = new TokenService(await loadTokenKeys(dir), { issuer: () => 'http://registry.test/token', service: () => 'registry.test', accessTtlSeconds: 60, now: () => now });
  const issued = await tokens.issueAccess('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  for (let i = 0; i < 3; i++) {
    const verified = await tokens.verifyAccess(issued.token);
    assert.ok(typeof verified !== 'string', 'valid while it lasts, each time');
    assert.equal(verified.subject, 'alice');
  }
  now += 59_000;
  assert.ok(typeof (await tokens.verifyAccess(issued.token)) !== 'string');
  // At exp the remembered answer is no longer used; jose's check still allows 5 s for other processes' clocks.
  now += 1_000;
  assert.ok(typeof (await tokens.verifyAccess(issued.token)) !== 'string', 'within the clock tolerance');
  now += 6_000;
  assert.equal(await tokens.verifyAccess(issued.token), 'expired', 'remembered or not, a token ends at its exp');
  const tampered = `${issued.token.slice(0, -4)}AAAA`;
  assert.equal(await tokens.verifyAccess(tampered), 'signature');
  assert.equal(await tokens.verifyAccess(tampered), 'signature', 'a refusal is not remembered as anything else');
});
