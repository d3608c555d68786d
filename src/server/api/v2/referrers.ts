/**
 * `GET /v2/<name>/referrers/<digest>[?artifactType=]`: the manifests whose
 * `subject` is this digest, as an OCI image index of descriptors. Always 200
 * (an empty index when none): clients read a 404 as "this registry has no
 * referrers API" and fall back to the tag schema, which would hide what we
 * do have.
 */
import type { FastifyReply } from 'fastify';
import { type Digest, MediaType } from '../../../core/index.js';
import type { ManifestEntry } from '../../metadata/store.js';
import { sendJson, type V2Context } from './context.js';

/** `visible` false: the caller may not see the repository; answered as for one that holds nothing (an empty index). */
export async function referrers(ctx: V2Context, name: string, subject: Digest, visible = true): Promise<FastifyReply> {
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const records = visible ? await ctx.services.metadata.listReferrers(name, subject, artifactType || undefined) : [];
  if (artifactType) ctx.reply.header('OCI-Filters-Applied', 'artifactType');
  return sendJson(ctx, 200, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: records.map(descriptorOf) }, MediaType.OciIndex);
}

function descriptorOf(record: ManifestEntry): Record<string, unknown> {
  return {
    mediaType: record.mediaType,
    digest: record.digest,
    size: record.size,
    ...(record.artifactType !== undefined ? { artifactType: record.artifactType } : {}),
    ...(record.annotations !== undefined ? { annotations: record.annotations } : {}),
  };
}
