/**
 * image/secret-in-layer: secrets found in any layer's files by the per-layer
 * pass, including files a later layer deleted or replaced (the layer that
 * added them is still part of the image). Never shows the secret.
 */
import type { ImageCheck, ImageLintContext } from './check.js';
import { layerName } from './check.js';

function check(ctx: ImageLintContext): void {
  for (const s of ctx.facts.layerScan.secrets) {
    const kinds = s.kinds.join(', ');
    let fate: string;
    if (!s.removedIn) fate = 'and still in the final filesystem';
    else if (s.removedIn.how === 'deleted') fate = `and deleted in ${layerName(s.removedIn.layer)}: a deleted file is still in the image`;
    else fate = `and replaced in ${layerName(s.removedIn.layer)}: the old copy is still in the image`;
    ctx.report({
      ruleId: 'image/secret-in-layer',
      path: s.path,
      layer: s.layer,
      message: `${kinds} in ${s.path} (not shown), added in ${layerName(s.layer)} ${fate}`,
    });
  }
}

export const secretsCheck: ImageCheck = { name: 'secrets', rules: ['image/secret-in-layer'], check };
