/**
 * THE list of Dockerfile checks. Add a check here and its rules to
 * ../rules.ts; a rule claimed by two checks fails at load, and a test fails
 * when a catalogue rule has no check or a check names a rule not in it.
 */
import type { DockerfileCheck } from './check.js';
import { addCheck } from './checks/add.js';
import { baseEolCheck } from './checks/base-eol.js';
import { baseImageCheck } from './checks/base-image.js';
import { instructionsCheck } from './checks/instructions.js';
import { packagesCheck } from './checks/packages.js';
import { permissionsCheck } from './checks/permissions.js';
import { pipeToShellCheck } from './checks/pipe-to-shell.js';
import { processesCheck } from './checks/processes.js';
import { runtimeCheck } from './checks/runtime.js';
import { secretsCheck } from './checks/secrets.js';
import { syntaxCheck } from './checks/syntax.js';
import { userCheck } from './checks/user.js';

export const DOCKERFILE_CHECKS: readonly DockerfileCheck[] = register([
  syntaxCheck,
  baseImageCheck,
  baseEolCheck,
  addCheck,
  packagesCheck,
  pipeToShellCheck,
  secretsCheck,
  userCheck,
  processesCheck,
  runtimeCheck,
  instructionsCheck,
  permissionsCheck,
]);

function register(checks: DockerfileCheck[]): readonly DockerfileCheck[] {
  const owner = new Map<string, string>();
  for (const c of checks) {
    for (const r of c.rules) {
      const other = owner.get(r);
      if (other !== undefined) throw new Error(`Dockerfile rule ${r} is claimed by both '${other}' and '${c.name}'`);
      owner.set(r, c.name);
    }
  }
  return Object.freeze([...checks]);
}
