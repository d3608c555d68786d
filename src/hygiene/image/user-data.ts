/**
 * image/user-data: database files and database server directories baked
 * into the image, and VOLUME paths that already hold files.
 */
import { type ImageFile, plural } from '../../core/index.js';
import type { ImageCheck, ImageLintContext } from './check.js';
import { DATABASE_DIRS, DATABASE_FILE, SYSTEM_DATABASE, volumesOf } from './selector.js';

function check(ctx: ImageLintContext): void {
  const owned = ctx.ownedPaths();
  const files = [...ctx.facts.view.files()].filter((f) => f.kind === 'file' || f.kind === 'hardlink');
  const serverDirs = new Map<string, ImageFile[]>();
  for (const f of files) {
    const dir = DATABASE_DIRS.map((d) => d.exec(f.path)?.[0]).find((m) => m !== undefined);
    if (dir) {
      const key = dir.replace(/\/$/, '');
      serverDirs.set(key, [...(serverDirs.get(key) ?? []), f]);
      continue;
    }
    if (!DATABASE_FILE.test(f.path) || SYSTEM_DATABASE.test(f.path)) continue;
    if (owned.has(f.path) || owned.has(ctx.physical(f.path))) continue;
    ctx.report({ ruleId: 'image/user-data', path: f.path, layer: f.layer, message: `database file ${f.path} (${f.size} bytes) is in the image` });
  }
  for (const [dir, list] of serverDirs) {
    const first = list[0] as ImageFile;
    ctx.report({ ruleId: 'image/user-data', path: dir, layer: first.layer, message: `database server data in ${dir}/: ${plural(list.length, 'file')}` });
  }
  for (const volume of volumesOf(ctx.facts.config)) {
    const inside = [...ctx.facts.view.files()].filter((f) => f.path.startsWith(`${volume}/`) && f.kind !== 'directory');
    if (inside.length === 0) continue;
    const first = inside[0] as ImageFile;
    ctx.report({
      ruleId: 'image/user-data',
      path: volume,
      layer: first.layer,
      message: `VOLUME /${volume} already holds ${inside.length} file${inside.length === 1 ? '' : 's'} (e.g. ${first.path}); they are copied into every new volume`,
    });
  }
}

export const userDataCheck: ImageCheck = { name: 'user-data', rules: ['image/user-data'], check };
