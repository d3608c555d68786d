/**
 * `portcullis serve --demo`: the registry a newcomer can try in one command,
 * offline. It serves from a fresh temporary folder on loopback (port 5000, or
 * any free port when 5000 is taken), pushes the bundled example image
 * (`examples/hello`: Debian's zlib1g and npm lodash 4.17.15) into
 * `demo/hello:latest` with the same copy code as `portcullis copy`, waits for
 * its scan, and says what it found and where to look, or how to get an
 * advisory database when there is none yet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDestination, openSource } from '../../engine/index.js';
import { copyImage } from '../../image/index.js';
import { type RunningRegistry, imagePath } from '../../server/index.js';
import { plural } from '../../core/index.js';

/** The example image shipped with the package (`files` in package.json lists examples/). */
export function bundledExample(): string {
  // dist/src/cli/commands → the package root.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'examples', 'hello');
}

export async function demoRoot(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-demo-'));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** 127.0.0.1:5000 when it is free, else a free port chosen by the system. */
export async function demoAddr(preferred = 5000): Promise<string> {
  const free = await new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => done(true)));
  });
  return `127.0.0.1:${free ? preferred : 0}`;
}

export interface DemoOutcome {
  readonly reference: string;
  readonly lines: readonly string[];
}

/** Pushes the example, waits for its scan, and describes the result for the terminal. */
export async function loadDemo(registry: RunningRegistry): Promise<DemoOutcome> {
  const host = new URL(registry.url).host;
  const reference = `${host}/demo/hello:latest`;
  const source = await openSource(`oci:${bundledExample()}:latest`, {});
  try {
    const destination = await openDestination(`docker://${reference}`, { tlsVerify: false });
    try {
      await copyImage(source, destination, {});
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
  await registry.scanner?.idle();
  const digest = await registry.services.metadata.resolveTag('demo/hello', 'latest');
  const scan = digest ? await registry.services.metadata.getScan(digest) : undefined;
  const lines = [`demo: pushed the example image as ${reference}`];
  if (!registry.scanner) {
    lines.push('demo: scanning is off (--no-scan)');
  } else if (scan?.state === 'done') {
    const counts = Object.entries(scan.counts ?? {}).map(([severity, n]) => `${n} ${severity}`);
    lines.push(`demo: scanned: ${counts.length > 0 ? counts.join(', ') : 'no known vulnerabilities'} (${plural(Object.values(scan.result?.packageCounts ?? {}).reduce((a, b) => a + b, 0), 'package')})`);
  } else if (scan?.state === 'queued') {
    lines.push(
      'demo: no advisory database yet, so the image waits unscanned. Get one with "portcullis db update" (downloads the feeds)',
      '      or, offline, "portcullis db import DIR" (OSV, Alpine secdb, Debian tracker or NVD files); the registry picks it up within a minute.',
    );
  } else {
    lines.push(`demo: scan ${scan?.state ?? 'missing'}${scan?.error ? `: ${scan.error}` : ''}`);
  }
  lines.push(
    `demo: see it at ${registry.url}${digest ? imagePath('demo/hello', digest) : '/ui/'}`,
    `demo: push your own: portcullis copy oci:DIR:TAG docker://${host}/demo/app:1 --dest-tls-verify=false`,
    `      (or skopeo copy --dest-tls-verify=false …, podman push --tls-verify=false …); Ctrl-C stops and deletes the demo data.`,
  );
  return { reference, lines };
}
