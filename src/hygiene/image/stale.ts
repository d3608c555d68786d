/**
 * image/stale: the config's `created` is older than `staleDays`; with an
 * advisory database, how many known vulnerabilities a rebuild would fix
 * (findings whose fixed version the distribution already publishes).
 */
import type { ImageCheck, ImageLintContext } from './check.js';
import { plural } from '../../core/index.js';

function check(ctx: ImageLintContext): void {
  const created = ctx.facts.config?.created;
  if (!created) return;
  const time = Date.parse(created);
  if (Number.isNaN(time)) {
    ctx.warn(`image config created date "${created}" is not a date`);
    return;
  }
  const days = Math.floor((ctx.facts.now.getTime() - time) / 86_400_000);
  if (days <= ctx.staleDays) return;
  const rebuild = ctx.facts.rebuild;
  const fixes = rebuild ? `; rebuild fixes ${rebuild.fixable} of ${plural(rebuild.total, 'known vulnerability', 'known vulnerabilities')}` : '';
  ctx.report({
    ruleId: 'image/stale',
    message: `built ${created.slice(0, 10)}, ${plural(days, 'day')} ago (more than ${ctx.staleDays})${fixes}`,
  });
}

export const staleCheck: ImageCheck = { name: 'stale', rules: ['image/stale'], check };
