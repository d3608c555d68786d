/**
 * Loading the Dockerfile fixtures (from the source tree, also when the tests
 * run compiled from dist/). Credentials in fixtures are written as
 * placeholders and assembled here, so the repository itself holds no string
 * a secret scanner would flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';

export const FIXTURES = join(REPO_ROOT, 'test', 'hygiene', 'dockerfile', 'fixtures');

export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '@@GITHUB_TOKEN@@': ['ghp', '_', '0123456789abcdefghijklmnopqrstuvwxyz'].join(''),
  '@@AWS_KEY_ID@@': ['AK', 'IA', 'Z3MSJV4WWNZKXQ7M'].join(''),
  '@@PRIVATE_KEY_HEADER@@': ['-----BEGIN', 'OPENSSH', 'PRIVATE', 'KEY-----'].join(' '),
};

export function fixture(name: string): string {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [k, v] of Object.entries(PLACEHOLDERS)) text = text.split(k).join(v);
  return text;
}

/**
 * The clock the fixtures are linted at: dockerfile/base-eol judges base images
 * by date, so without a fixed clock a fixture's findings would change the day
 * its base image reaches end of life (golang:1.22 did on 2025-02-11).
 */
export const FIXTURE_CLOCK = new Date('2025-01-15T00:00:00Z');
