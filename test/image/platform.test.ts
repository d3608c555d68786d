import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Descriptor } from '../../src/core/oci.js';
import { ImageError } from '../../src/image/errors.js';
import { formatPlatform, parsePlatform, platformMatches, selectPlatform } from '../../src/image/platform.js';

const entry = (arch: string, variant?: string): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${arch.padEnd(4, '0').repeat(16).slice(0, 60)}${(variant ?? 'none').padEnd(4, '0').slice(0, 4)}`.replace(/[^a-f0-9:]/g, 'a') as Descriptor['digest'],
  size: 100,
  platform: { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) },
});

test('platform flags parse and normalise', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(formatPlatform(parsePlatform('linux/arm/v6')), 'linux/arm/v6');
  assert.throws(() => parsePlatform('linux'), (e: unknown) => e instanceof ImageError && e.code === 'REFERENCE_INVALID');
});

test('arm64 matches with or without v8; arm variants are distinct', () => {
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  const list = [entry('amd64'), entry('arm', 'v6'), entry('arm', 'v7'), entry('arm64', 'v8')];
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' }), list[2]);
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm64' }), list[3]);
  assert.throws(
    () => selectPlatform(list, { os: 'linux', architecture: 's390x' }),
    (e: unknown) => e instanceof ImageError && e.code === 'PLATFORM_NOT_FOUND' && /linux\/amd64/.test(e.message),
  );
});
