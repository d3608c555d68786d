/** Pure parsing: WWW-Authenticate challenges, Link headers, docker:// references, OCI error bodies, auth keys. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeKey, candidateKeys } from '../../../../src/image/auth/keys.js';
import { parseChallenges, pickChallenge } from '../../../../src/image/transports/docker/challenge.js';
import { errorFromResponse, redactUrl } from '../../../../src/image/transports/docker/errors.js';
import { referrersTag } from '../../../../src/image/transports/docker/referrers.js';
import { nextLink } from '../../../../src/image/transports/docker/tags.js';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import { formatReference, TransportRegistry } from '../../../../src/image/transports.js';
import { sha256Digest } from '../../../../src/core/digest.js';

describe('WWW-Authenticate', () => {
  it('parses a Bearer challenge with quoted params', () => {
    const [c] = parseChallenges(['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"']);
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
    });
  });

  it('parses several challenges, escapes, commas inside quotes and bare values', () => {
    const all = parseChallenges(['Basic realm="a \\"quoted\\" realm, with comma", Bearer realm=https://x.example/t, service=svc', 'Negotiate']);
    assert.deepEqual(all.map((c) => c.scheme), ['basic', 'bearer', 'negotiate']);
    assert.equal(all[0]?.params.realm, 'a "quoted" realm, with comma');
    assert.equal(all[1]?.params.realm, 'https://x.example/t');
    assert.equal(all[1]?.params.service, 'svc');
    assert.equal(pickChallenge(all)?.scheme, 'bearer');
    assert.equal(pickChallenge(parseChallenges(['BASIC Realm="r"']))?.params.realm, 'r');
    assert.equal(pickChallenge(parseChallenges(['Negotiate'])), undefined);
  });
});

describe('Link', () => {
  it('finds rel="next" among several links', () => {
    assert.equal(nextLink(['</v2/a/tags/list?n=2&last=b>; rel="next"']), '/v2/a/tags/list?n=2&last=b');
    assert.equal(nextLink(['<https://x/prev>; rel="prev", <https://x/next?a=1,2>; rel="next"']), 'https://x/next?a=1,2');
    assert.equal(nextLink(['<https://x/p>; rel="prev"']), undefined);
    assert.equal(nextLink([]), undefined);
  });
});

describe('docker:// references', () => {
  const registry = new TransportRegistry([new DockerTransport()]);

  it('normalises bare names to docker.io/library/NAME:latest', () => {
    assert.equal(registry.parse('alpine').within, 'docker.io/library/alpine:latest');
    assert.equal(registry.parse('docker://alpine').within, 'docker.io/library/alpine:latest');
    assert.equal(formatReference(registry.parse('user/app:1')), 'docker://docker.io/user/app:1');
  });

  it('keeps host, port, tag and digest', () => {
    const digest = sha256Digest('x');
    const ref = new DockerTransport().parseReference(`127.0.0.1:5000/a/b:v1@${digest}`);
    assert.deepEqual(ref.ref, { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'v1', digest });
    assert.equal(ref.within, `127.0.0.1:5000/a/b:v1@${digest}`);
  });

  it('rejects invalid names with REFERENCE_INVALID', () => {
    assert.throws(() => registry.parse('docker://example.com/Upper'), { code: 'REFERENCE_INVALID' });
    assert.throws(() => registry.parse('docker:alpine'), { code: 'REFERENCE_INVALID' });
  });
});

describe('errors and keys', () => {
  it('maps OCI error bodies to codes, keeping the message', () => {
    const body = Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: {} }] }));
    const error = errorFromResponse('manifest x', 404, body);
    assert.equal(error.code, 'MANIFEST_UNKNOWN');
    assert.deepEqual(error.registryCodes, ['MANIFEST_UNKNOWN']);
    assert.match(error.message, /manifest unknown/);
    assert.equal(errorFromResponse('x', 404, Buffer.from('404 page not found')).code, 'NOT_FOUND');
    assert.equal(errorFromResponse('x', 401, Buffer.from('{"errors":[{"code":"DENIED"}]}')).code, 'UNAUTHORIZED');
    assert.equal(errorFromResponse('x', 503, undefined).code, 'SERVER');
    assert.equal(redactUrl('https://u:p@s3.example/b/k?X-Amz-Signature=secret'), 'https://s3.example/b/k');
  });

  it('normalises auth file keys', () => {
    assert.equal(normalizeKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeKey('registry-1.docker.io'), 'docker.io');
    assert.equal(normalizeKey('http://Host.Example:5000/v2/'), 'host.example:5000');
    assert.equal(normalizeKey('quay.io/team'), 'quay.io/team');
    assert.deepEqual(candidateKeys('quay.io', 'a/b'), ['quay.io/a/b', 'quay.io/a', 'quay.io']);
    assert.equal(referrersTag(sha256Digest('x')), `sha256-${sha256Digest('x').slice(7)}`);
  });
});
