/**
 * Backups of the key store: what travels (encrypted keys, the trust file,
 * never a passphrase), what a restore re-applies (file modes), and the bundles
 * it refuses whole (paths out of the store, missing or swapped keys).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { POLICY_CONTROLLER_COSIGN_PUB } from './fixtures.js';
import { REPO_PASS, ROOT_PASS, SECRETS, isCode, store, tempHome } from './store-support.js';

test('backup and restore: encrypted keys travel, modes are re-applied, bad bundles are refused whole', async () => {
  const home = await tempHome();
  const target = await tempHome();
  try {
    const ks = await store(home);
    await ks.generate({ role: 'root', passphrase: ROOT_PASS });
    const repo = await ks.generate({ role: 'repository', passphrase: REPO_PASS, repositories: ['registry.example/team/*'], rootPassphrase: ROOT_PASS });
    const pub = await ks.importKey(POLICY_CONTROLLER_COSIGN_PUB);
    const backup = await ks.exportBackup();
    const text = JSON.stringify(backup);
    for (const s of SECRETS) assert.ok(!text.includes(s) && !text.includes(Buffer.from(s).toString('base64')));
    assert.deepEqual(backup.files.map((f) => f.path).sort(), [
      `private/${repo.id}.key`,
      `private/${(await ks.list()).find((k) => k.role === 'root')!.id}.key`,
      `public/${pub.id}.pub`,
      `public/${repo.id}.pub`,
      `public/${(await ks.list()).find((k) => k.role === 'root')!.id}.pub`,
      'trust.json',
    ].sort());

    const restored = await store(target);
    await restored.restoreBackup(text);
    assert.deepEqual(await restored.list(), await ks.list());
    assert.equal(await restored.isAuthorized(repo.id, 'registry.example/team/app'), true);
    await restored.unlock(repo.id, REPO_PASS);
    assert.equal((await stat(join(target, 'trust', 'private', `${repo.id}.key`))).mode & 0o777, 0o600);
    assert.equal((await stat(join(target, 'trust', 'private'))).mode & 0o777, 0o700);

    await assert.rejects(restored.restoreBackup(backup), isCode('STORE_NOT_EMPTY'));
    await restored.restoreBackup(backup, { force: true });
    assert.ok((await readdir(target)).some((n) => n.startsWith('trust.replaced-')));

    const fresh = await tempHome();
    try {
      const empty = await store(fresh);
      const evil = { ...backup, files: [...backup.files, { path: '../../evil', content: 'AAAA' }] };
      await assert.rejects(empty.restoreBackup(evil), isCode('BACKUP_INVALID'));
      const missing = { ...backup, files: backup.files.filter((f) => !f.path.startsWith('private/')) };
      await assert.rejects(empty.restoreBackup(missing), isCode('BACKUP_INVALID'));
      const swapped = {
        ...backup,
        files: backup.files.map((f) => (f.path === `public/${repo.id}.pub` ? { ...f, content: Buffer.from(POLICY_CONTROLLER_COSIGN_PUB).toString('base64') } : f)),
      };
      await assert.rejects(empty.restoreBackup(swapped), isCode('BACKUP_INVALID'));
      await assert.rejects(empty.restoreBackup('{"format":"zip"}'), isCode('BACKUP_INVALID'));
      await assert.rejects(stat(join(fresh, 'trust', 'trust.json')), { code: 'ENOENT' });
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  } finally {
    await rm(home, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  }
});
