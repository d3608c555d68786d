/**
 * The retention planner as a pure function: snapshots built by hand, plans checked digest by digest.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import type { ManifestNode, RepositorySnapshot, TagRecord } from '../../../src/server/metadata/store.js';
import { absentSubjects, planRetention, tagsRemovedByRules } from '../../../src/server/gc/retention.js';

const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const DAY = 86_400_000;
const NOW = new Date('2026-06-30T00:00:00.000Z');
const daysAgo = (n: number): string => new Date(NOW.getTime() - n * DAY).toISOString();
const accessoryTag = (subject: Digest, suffix = ''): string => `${subject.replace(':', '-')}${suffix}`;

function node(seed: string, extra: Partial<ManifestNode> = {}): ManifestNode {
  return { digest: d(seed), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 100, pushedAt: daysAgo(30), children: [], ...extra };
}

function tag(name: string, seed: string, age = 30): TagRecord {
  return { repository: 'app', tag: name, digest: d(seed), updatedAt: daysAgo(age) };
}

function snapshot(manifests: ManifestNode[], tags: TagRecord[]): RepositorySnapshot {
  return { repository: 'app', version: 7, manifests, tags };
}

const sorted = (digests: readonly Digest[]): Digest[] => [...digests].sort();
const policy = { untaggedRetentionMs: 7 * DAY };

describe('retention plans', () => {
  test('tagged manifests stay; untagged ones go once older than the retention period, counted from when they lost their tag', () => {
    const plan = planRetention(
      snapshot(
        [node('tagged'), node('old-untagged', { untaggedAt: daysAgo(8) }), node('young-untagged', { untaggedAt: daysAgo(6) }), node('recent-push', { pushedAt: daysAgo(1), untaggedAt: daysAgo(1) })],
        [tag('v1', 'tagged')],
      ),
      policy,
      NOW,
    );
    assert.equal(plan.version, 7);
    assert.deepEqual(plan.manifests, [d('old-untagged')]);
    assert.deepEqual(plan.reasons, ['untagged']);
    assert.deepEqual(plan.tags, []);
  });

  test('an index keeps its children; an expired index takes its untagged children with it, not a child tagged elsewhere', () => {
    const children = [node('amd64', { untaggedAt: daysAgo(30) }), node('arm64', { untaggedAt: daysAgo(30) })];
    const kept = planRetention(snapshot([...children, node('index', { children: [d('amd64'), d('arm64')] })], [tag('latest', 'index')]), policy, NOW);
    assert.deepEqual(kept.manifests, []);
    const gone = planRetention(
      snapshot([...children, node('index', { children: [d('amd64'), d('arm64')], untaggedAt: daysAgo(10) })], [tag('arm-only', 'arm64')]),
      policy,
      NOW,
    );
    assert.deepEqual(sorted(gone.manifests), sorted([d('index'), d('amd64')]));
  });

  test('accessories follow their subject: signature and attestation tags, the referrers fallback index, subject referrers — and an accessory of an accessory', () => {
    const image = node('image', { untaggedAt: daysAgo(30) });
    const accessories = [
      node('sig'),
      node('att'),
      node('fallback', { mediaType: 'application/vnd.oci.image.index.v1+json', children: [d('bundle')] }),
      node('bundle', { subject: image.digest, untaggedAt: daysAgo(30) }),
      node('sbom', { subject: image.digest, pushedAt: daysAgo(0), untaggedAt: daysAgo(0) }),
      node('sbom-sig', { subject: d('sbom'), untaggedAt: daysAgo(30) }),
    ];
    const tags = [tag(accessoryTag(image.digest, '.sig'), 'sig'), tag(accessoryTag(image.digest, '.att'), 'att'), tag(accessoryTag(image.digest), 'fallback')];
    // Tagged subject: everything stays, however old.
    const kept = planRetention(snapshot([image, ...accessories], [...tags, tag('v1', 'image')]), policy, NOW);
    assert.deepEqual(kept.manifests, []);
    // Untagged and expired subject: the subject and every accessory go, even the SBOM pushed today.
    const gone = planRetention(snapshot([image, ...accessories], tags), policy, NOW);
    assert.deepEqual(sorted(gone.manifests), sorted([image.digest, ...accessories.map((a) => a.digest)]));
    const reasons = new Map(gone.manifests.map((m, i) => [m, gone.reasons[i]]));
    assert.equal(reasons.get(image.digest), 'untagged');
    assert.equal(reasons.get(d('sig')), 'accessory of a collected manifest');
    assert.equal(reasons.get(d('sbom-sig')), 'accessory of a collected manifest');
  });

  test('an accessory never keeps or deletes its subject: a signature without its image stays for the retention period after its push, then goes', () => {
    const missing = d('never-pushed');
    const young = planRetention(snapshot([node('early-sig', { pushedAt: daysAgo(2) })], [tag(accessoryTag(missing, '.sig'), 'early-sig')]), policy, NOW);
    assert.deepEqual(young.manifests, []);
    const old = planRetention(snapshot([node('early-sig', { pushedAt: daysAgo(9) })], [tag(accessoryTag(missing, '.sig'), 'early-sig')]), policy, NOW);
    assert.deepEqual(old.manifests, [d('early-sig')]);
    assert.deepEqual(old.reasons, ['orphaned accessory']);
    // A subject referrer tagged like an image does not make its subject collectable, nor survive it.
    const image = node('img', { untaggedAt: daysAgo(30) });
    const withTaggedReferrer = planRetention(snapshot([image, node('sbom', { subject: image.digest })], [tag('sbom-latest', 'sbom')]), policy, NOW);
    assert.deepEqual(sorted(withTaggedReferrer.manifests), sorted([image.digest, d('sbom')]));
  });

  test('a manifest whose every tag is an accessory tag of another digest that is kept, stays even if its own subject field names a missing one', () => {
    const image = node('img2');
    const plan = planRetention(snapshot([image, node('both', { subject: d('gone') })], [tag('v2', 'img2'), tag(accessoryTag(image.digest, '.sig'), 'both')]), policy, NOW);
    assert.deepEqual(plan.manifests, []);
  });

  test('a tag naming the manifest\'s own digest is no accessory tag: it keeps the manifest, and rules never judge it (its shape is the accessory one)', () => {
    const self = node('self');
    const own = tag(accessoryTag(self.digest), 'self');
    assert.deepEqual(planRetention(snapshot([self], [own]), policy, NOW).manifests, []);
    const ruled = planRetention(snapshot([self], [own, tag('v1', 'self')]), { ...policy, rules: [{ tags: ['*'], keepLast: 0 }] }, NOW);
    assert.deepEqual(ruled.tags, [{ tag: 'v1', digest: self.digest }]);
    assert.deepEqual(ruled.manifests, []);
  });

  test('an accessory whose subject another repository holds stays past the retention period; the planner is told which subjects are elsewhere', () => {
    const elsewhere = d('image-in-another-repository');
    const nowhere = d('image-nowhere');
    const sigs = snapshot([node('sig-a', { pushedAt: daysAgo(90) }), node('ref-b', { pushedAt: daysAgo(90), subject: nowhere })], [tag(accessoryTag(elsewhere, '.sig'), 'sig-a')]);
    assert.deepEqual(sorted(absentSubjects(sigs)), sorted([elsewhere, nowhere]));
    const plan = planRetention(sigs, policy, NOW, new Set([elsewhere]));
    assert.deepEqual(plan.manifests, [d('ref-b')]);
    assert.deepEqual(plan.reasons, ['orphaned accessory']);
    assert.deepEqual(plan.absentEverywhere, [nowhere], 'applied only while no repository holds the subject it deleted for; not the one it kept for');
    // The accessories of a collected image name no absent subject: nothing to check elsewhere.
    const image = node('collected', { untaggedAt: daysAgo(30) });
    const withImage = planRetention(snapshot([image, node('its-sig')], [tag(accessoryTag(image.digest, '.sig'), 'its-sig')]), policy, NOW);
    assert.deepEqual(sorted(withImage.manifests), sorted([image.digest, d('its-sig')]));
    assert.deepEqual(withImage.absentEverywhere, []);
  });

  test('rules: keep the newest N matching tags and those younger than D; other tags go, and their manifests start their untagged time now', () => {
    const manifests = ['v1', 'v2', 'v3', 'v4', 'dev-a', 'dev-b'].map((s) => node(s));
    const tags = [tag('v1', 'v1', 40), tag('v2', 'v2', 30), tag('v3', 'v3', 20), tag('v4', 'v4', 10), tag('dev-a', 'dev-a', 20), tag('dev-b', 'dev-b', 1), tag('latest', 'v4', 10)];
    const plan = planRetention(
      snapshot(manifests, tags),
      { untaggedRetentionMs: 7 * DAY, rules: [{ tags: ['v*'], keepLast: 2 }, { tags: ['dev-*'], keepYoungerThanMs: 7 * DAY }] },
      NOW,
    );
    assert.deepEqual(plan.tags.map((t) => t.tag).sort(), ['dev-a', 'latest', 'v1', 'v2']);
    assert.deepEqual(plan.manifests, [], 'a manifest whose tags go now is untagged from now: kept this run');
    // A manifest keeping one tag is not untagged.
    assert.ok(!plan.tags.some((t) => t.tag === 'v4'));
  });

  test('rules never judge accessory tags; no rules keep every tag', () => {
    const subject = d('s');
    const tags = [tag('x', 's'), tag(accessoryTag(subject, '.sig'), 'sig')];
    assert.deepEqual(tagsRemovedByRules(tags, [{ tags: ['nothing'], keepLast: 5 }], NOW.getTime()).map((t) => t.tag), ['x']);
    assert.deepEqual(tagsRemovedByRules(tags, [], NOW.getTime()), []);
  });

  test('keepLast ties are broken by name, so the choice is stable', () => {
    const tags = [tag('b', 'b', 5), tag('a', 'a', 5), tag('c', 'c', 5)];
    assert.deepEqual(tagsRemovedByRules(tags, [{ tags: ['*'], keepLast: 2 }], NOW.getTime()).map((t) => t.tag), ['a']);
  });

  test('a hostile graph (an index listing itself, subjects in a cycle) is walked once', () => {
    const loop = node('loop', { children: [d('loop'), d('other')] });
    const a = node('ca', { subject: d('cb') });
    const b = node('cb', { subject: d('ca') });
    const plan = planRetention(snapshot([loop, node('other', { untaggedAt: daysAgo(30) }), a, b], [tag('t', 'loop')]), policy, NOW);
    assert.deepEqual(sorted(plan.manifests), sorted([d('ca'), d('cb')]));
  });
});
