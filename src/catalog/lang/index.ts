/**
 * The language cataloguers, in the order `all.ts` lists them. (all.ts is the
 * one registry; this list only saves it eight imports.)
 */
import type { Cataloger } from '../cataloger.js';
import { cargoCataloger } from './cargo.js';
import { composerCataloger } from './composer.js';
import { dotnetCataloger } from './dotnet.js';
import { gemCataloger } from './gem.js';
import { goBinaryCataloger } from './go-binary.js';
import { javaCataloger } from './java.js';
import { npmCataloger } from './npm.js';
import { pythonCataloger } from './python.js';

export const LANG_CATALOGERS: readonly Cataloger[] = [
  npmCataloger,
  pythonCataloger,
  goBinaryCataloger,
  javaCataloger,
  gemCataloger,
  composerCataloger,
  cargoCataloger,
  dotnetCataloger,
];
