/** The Dockerfile linter's public surface. */
export { lintDockerfile, type DockerfileFinding, type LintDockerfileOptions, type LintDockerfileResult } from './lint.js';
export { MAX_DOCKERFILE_BYTES } from './document.js';
export { DOCKERFILE_CHECKS } from './all.js';
export type { DockerfileCheck } from './check.js';
export { IGNORE_MARKER } from './ignore.js';
