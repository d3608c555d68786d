import { parseImageRef } from '../../core/index.js';
import { UsageError } from '../flags.js';
import type { OutputStreams } from '../output.js';
import { copy, type CopyCommandOptions } from './copy.js';

export type PullCommandOptions = Omit<CopyCommandOptions, 'srcTlsVerify' | 'destTlsVerify' | 'srcCertDir' | 'destCertDir' | 'srcCreds' | 'destCreds'>;

/** `oci:./<last path component>:<tag>` (tag `latest` for a digest-only reference). */
export function defaultPullDestination(image: string): string {
  const ref = parseImageRef(image.replace(/^docker:\/\//, ''));
  const name = ref.repository.split('/').pop()!;
  return `oci:./${name}:${ref.tag ?? 'latest'}`;
}

/** `portcullis pull IMAGE [DEST]`: a copy from a registry into a local OCI layout, content trust applied. */
export async function pull(image: string, dest: string | undefined, options: PullCommandOptions, io: OutputStreams): Promise<number> {
  if (/^(oci|oci-archive|docker-archive):/.test(image)) throw new UsageError('pull reads from a registry: give HOST/REPO[:TAG] or docker://HOST/REPO[:TAG]');
  const source = image.startsWith('docker://') ? image : `docker://${image}`;
  return copy(source, dest ?? defaultPullDestination(image), options, io);
}
