/** This machine's Debian Python packages against importlib.metadata from the real python3 (the peer tier of python.test.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonCataloger } from '../../../src/catalog/lang/python.js';
import { runCommand } from '../../support/peers.js';
import { viewFromDir } from './support.js';

const ctx = {};

describe('python: Debian’s /usr/lib/python3/dist-packages on this machine', () => {
  it('equals what importlib.metadata (Debian’s /usr/bin/python3) reports for that directory', async () => {
    const dir = '/usr/lib/python3/dist-packages';
    const py = await runCommand('/usr/bin/python3', [
      '-c',
      `import importlib.metadata as m, json; print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions(path=[${JSON.stringify(dir)}])]))`,
    ]);
    assert.equal(py.code, 0, py.stderr);
    const expected = (JSON.parse(py.stdout) as Array<[string, string]>).map(([n, v]) => `${n}@${v}`).sort();
    assert.ok(expected.length >= 10, `importlib found ${expected.length}`);
    const result = await pythonCataloger.catalog(viewFromDir(dir, (p) => pythonCataloger.wants(p), { prefix: 'usr/lib/python3/dist-packages' }), ctx);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.packages.map((p) => `${p.name}@${p.version}`).sort(), expected);
    // Every metadata file is owned by a Debian package (dpkg -S), so these are real installs.
    const owner = await runCommand('dpkg', ['-S', ...result.packages.map((p) => `/${p.path.replace(/\/(?:METADATA|PKG-INFO)$/, '')}`)]);
    assert.equal(owner.code, 0, owner.stderr);
    assert.equal(owner.stdout.trim().split('\n').length, result.packages.length);
  });
});
