/**
 * The decide-then-delete races (race-scenes.ts) on a folder and SQLite, each on a fresh registry.
 */
import { describe, test } from 'node:test';
import { makeRegistry } from '../api/helpers.js';
import * as scenes from './race-scenes.js';

describe('races: a push between deciding a deletion and applying it is not lost', () => {
  for (const [name, scene] of [
    ['DELETE of an image while a client tags its signature manifest `keep`: the manifest stays with its tag', scenes.tagAddedToSignatureDuringDelete],
    ['DELETE of an image while every walk meets a change: 503 after five, and nothing deleted', scenes.repositoryChangingUnderEveryDelete],
    ['a collection while the image of a signature and an SBOM kept in another repository is pushed again: they stay', scenes.subjectPushedElsewhereDuringCollection],
  ] as const) {
    test(name, async (t) => {
      const r = await makeRegistry();
      t.after(() => r.close());
      await scene(r.services);
    });
  }
});
