/**
 * The accessory data-loss scenes (accessory-scenes.ts) on a folder and SQLite, each on a fresh registry.
 */
import { describe, test } from 'node:test';
import { makeRegistry } from '../api/helpers.js';
import * as scenes from './accessory-scenes.js';

describe('accessories: what a user still needs is not deleted with or for them', () => {
  for (const [name, scene] of [
    ['DELETE of a digest leaves an image with an ordinary tag beside a tag shaped like sha256-<hex>.sig naming it', scenes.accessoryShapedTagBesideOrdinaryOne],
    ['a collection keeps an image whose only tags name its own digest (sha256-<hex>, a mirror tagging by digest)', scenes.ownDigestTag],
    ['signatures and referrers in another repository than their image stay while it is stored, and go once it is not', scenes.subjectInAnotherRepository],
    ['an image and its signature copied into two repositories: deleting one copy leaves the other whole', scenes.copiesInTwoRepositories],
    ['an accessory two images share (one SBOM tagged for both) stays when one of them is deleted', scenes.accessorySharedByTwoSubjects],
  ] as const) {
    test(name, async (t) => {
      const r = await makeRegistry();
      t.after(() => r.close());
      await scene(r);
    });
  }
});
