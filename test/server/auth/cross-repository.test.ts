/**
 * A member who may push to `mine/app` and not pull `theirs/app`, after a blob
 * of `theirs/app` whose digest they know (from a build log, a public base
 * layer). Content addressing must not make it theirs: an upload that claims
 * the digest without its bytes, a mount, a manifest naming it, a GET or HEAD
 * through their own repository, a foreign layer (`urls`) naming it. Each is
 * refused, and answered exactly as for a digest that exists nowhere, so no
 * answer says the blob is stored.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { digestOf, imageManifest, OCI_MANIFEST, pushBlob, putManifest } from '../api/helpers.js';
import { accountsRegistry, ADMIN_PASSWORD, api, basic, type AccountsRegistry } from './accounts-registry.js';

const ADMIN = basic('admin', ADMIN_PASSWORD);
const PW = 'mallory-password-1';
const MALLORY = basic('mallory', PW);
let r: AccountsRegistry;
let secret: Digest;
const nowhere = digestOf('stored nowhere at all');

before(async () => {
  r = await accountsRegistry();
  for (const name of ['mine', 'theirs']) assert.equal((await api(r.app, 'POST', '/projects', ADMIN, { name, public: false })).statusCode, 201);
  assert.equal((await api(r.app, 'POST', '/users', ADMIN, { name: 'mallory', password: PW })).statusCode, 201);
  assert.equal((await api(r.app, 'PUT', '/projects/mine/members/mallory', ADMIN, { role: 'push' })).statusCode, 200);
  secret = await pushBlob(r.app, 'theirs/app', 'their private layer', { authorization: ADMIN });
});
after(() => r?.close());

const as = (method: 'GET' | 'HEAD' | 'POST' | 'PUT', url: string, payload?: Buffer) =>
  r.app.inject({ method, url, headers: { authorization: MALLORY, ...(payload ? { 'content-type': 'application/octet-stream' } : {}) }, ...(payload ? { payload } : {}) });
/** The body with the digest written as a placeholder, to compare the answers for two digests. */
const shape = (body: string, digest: Digest) => body.split(digest).join('<digest>');

test('an upload that names the digest without its bytes is DIGEST_INVALID, as for a digest stored nowhere; nothing is linked', async () => {
  for (const body of [Buffer.alloc(0), Buffer.from('guess')]) {
    const claimed = await as('POST', `/v2/mine/app/blobs/uploads/?digest=${secret}`, body);
    const absent = await as('POST', `/v2/mine/app/blobs/uploads/?digest=${nowhere}`, body);
    assert.equal(claimed.statusCode, 400);
    assert.equal(JSON.parse(claimed.body).errors[0].code, 'DIGEST_INVALID');
    assert.equal(shape(claimed.body, secret), shape(absent.body, nowhere));
  }
  const blob = await as('GET', `/v2/mine/app/blobs/${secret}`);
  assert.equal(blob.statusCode, 404);
  assert.equal(shape(blob.body, secret), shape((await as('GET', `/v2/mine/app/blobs/${nowhere}`)).body, nowhere));
  assert.equal((await as('HEAD', `/v2/mine/app/blobs/${secret}`)).statusCode, 404);
  assert.equal((await as('GET', `/v2/theirs/app/blobs/${secret}`)).statusCode, 404, 'and through their repository: hidden as absent');
});

test('a mount from a repository the caller may not pull is a plain upload (202), as for a digest stored nowhere', async () => {
  const mount = await as('POST', `/v2/mine/app/blobs/uploads/?mount=${secret}&from=theirs/app`);
  const absent = await as('POST', `/v2/mine/app/blobs/uploads/?mount=${nowhere}&from=theirs/app`);
  assert.equal(mount.statusCode, 202);
  assert.equal(absent.statusCode, 202);
  assert.deepEqual(Object.keys(mount.headers).sort(), Object.keys(absent.headers).sort());
  assert.equal(mount.headers['docker-content-digest'], undefined);
  assert.equal((await as('GET', `/v2/mine/app/blobs/${secret}`)).statusCode, 404, 'not linked');
});

test('a manifest naming the blob is MANIFEST_BLOB_UNKNOWN, as for one stored nowhere; a foreign layer naming it links nothing', async () => {
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  const config = { digest: await pushBlob(r.app, 'mine/app', configBytes, { authorization: MALLORY }), size: Buffer.byteLength(configBytes) };
  const naming = (digest: Digest) => Buffer.from(JSON.stringify(imageManifest(config, [{ digest, size: 19 }])));
  const claimed = await putManifest(r.app, 'mine/app', 'stolen', naming(secret), OCI_MANIFEST, { authorization: MALLORY });
  const absent = await putManifest(r.app, 'mine/app', 'stolen', naming(nowhere), OCI_MANIFEST, { authorization: MALLORY });
  assert.equal(claimed.statusCode, 400);
  assert.equal(JSON.parse(claimed.body).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  assert.equal(shape(claimed.body, secret), shape(absent.body, nowhere));
  // A foreign (non-distributable) layer need not be in the registry: the manifest is stored, the blob stays out of reach.
  const foreign = imageManifest(config, []);
  foreign.layers = [{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: secret, size: 19, urls: ['https://example.invalid/layer'] }];
  assert.equal((await putManifest(r.app, 'mine/app', 'foreign', Buffer.from(JSON.stringify(foreign)), OCI_MANIFEST, { authorization: MALLORY })).statusCode, 201);
  assert.equal((await as('GET', `/v2/mine/app/blobs/${secret}`)).statusCode, 404);
  const mount = await as('POST', `/v2/mine/other/blobs/uploads/?mount=${secret}&from=mine/app`);
  assert.equal(mount.statusCode, 202, 'nor mountable from the repository whose manifest names it');
});
