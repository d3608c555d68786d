/**
 * `--max-layers N` and `--max-entries N` of scan, sbom and lint: the layer
 * walk's caps (src/layers/limits.ts) for one run, over
 * PORTCULLIS_MAX_LAYERS / PORTCULLIS_MAX_ENTRIES, over the defaults. Why
 * flags beside the variables: a CI job that must scan one unusual image
 * raises the cap for that command only, visibly in its command line. The
 * incomplete reason names both ways of raising a cap.
 */
import { walkLimitsFrom, WALK_LIMIT_ENV, type InventoryOptions, type WalkLimitNames } from '../../engine/inventory.js';
import { UsageError } from '../flags.js';

export interface WalkCapFlags {
  maxLayers?: string;
  maxEntries?: string;
}

/** What the incomplete reason tells the user to set. */
export const WALK_CAP_NAMES: WalkLimitNames = {
  maxLayers: `--max-layers or ${WALK_LIMIT_ENV.maxLayers}`,
  maxEntries: `--max-entries or ${WALK_LIMIT_ENV.maxEntries}`,
};

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(value.trim())) throw new UsageError(`${flag} takes a positive whole number, not "${value.slice(0, 40)}"`);
  return Number(value.trim());
}

/** The caps for this run: the flags, else the environment, else (absent) the walk's defaults. */
export function walkCapsOf(options: WalkCapFlags, env: NodeJS.ProcessEnv): NonNullable<InventoryOptions['limits']> {
  const maxLayers = positive(options.maxLayers, '--max-layers');
  const maxEntries = positive(options.maxEntries, '--max-entries');
  return { ...walkLimitsFrom(env), ...(maxLayers !== undefined ? { maxLayers } : {}), ...(maxEntries !== undefined ? { maxEntries } : {}) };
}
