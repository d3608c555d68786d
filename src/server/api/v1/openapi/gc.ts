/** `/api/v1/gc` in the OpenAPI document: as ../gc.ts answers (its report is gc/collector.ts's GcReport). */
import { TIMESTAMP, headerRef, json, refusal, schemaRef } from './components.js';
import type { ApiResource } from './types.js';

const COUNT = { type: 'integer', minimum: 0 } as const;
const DIGEST = { type: 'string', pattern: '^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$' } as const;

export const gcApi: ApiResource = {
  tag: {
    name: 'gc',
    description:
      'Garbage collection. With authentication, for registry administrators only (with --accounts a user with the admin flag; not a project admin, not a robot; every --htpasswd user is one). Without authentication, anyone who can reach the port.',
  },
  availability: 'always',
  schemas: {
    GcReport: {
      type: 'object',
      additionalProperties: false,
      required: [
        'dryRun', 'startedAt', 'durationMs', 'repositories', 'skippedRepositories', 'tagsDeleted', 'manifestsDeleted', 'linksRemoved',
        'blobsDeleted', 'bytesFreed', 'orphansDeleted', 'claimsFinished', 'deleted', 'truncated',
      ],
      properties: {
        dryRun: { type: 'boolean', description: 'Nothing was deleted: the counts and lists say what would go.' },
        startedAt: TIMESTAMP,
        durationMs: { type: 'number', minimum: 0 },
        repositories: { ...COUNT, description: 'Repositories looked at.' },
        skippedRepositories: { type: 'array', items: { type: 'string' }, description: 'Repositories that changed under every attempt: left for the next run.' },
        tagsDeleted: COUNT,
        manifestsDeleted: COUNT,
        linksRemoved: { ...COUNT, description: 'Links from a repository to blobs none of its manifests use.' },
        blobsDeleted: COUNT,
        bytesFreed: COUNT,
        orphansDeleted: { ...COUNT, description: 'Stored blobs the metadata did not know.' },
        claimsFinished: { ...COUNT, description: 'Claims a collector that stopped had left, finished by this run.' },
        deleted: {
          type: 'object',
          additionalProperties: false,
          required: ['tags', 'manifests', 'blobs'],
          description: 'What went (or would go), up to 1,000 entries of each kind.',
          properties: {
            tags: {
              type: 'array',
              items: { type: 'object', additionalProperties: false, required: ['repository', 'tag', 'digest'], properties: { repository: { type: 'string' }, tag: { type: 'string' }, digest: DIGEST } },
            },
            manifests: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['repository', 'digest', 'reason'],
                properties: { repository: { type: 'string' }, digest: DIGEST, reason: { enum: ['untagged', 'accessory of a collected manifest', 'orphaned accessory'] } },
              },
            },
            blobs: {
              type: 'array',
              items: { type: 'object', additionalProperties: false, required: ['digest'], properties: { digest: DIGEST, size: COUNT, orphan: { const: true } } },
            },
          },
        },
        truncated: { type: 'boolean', description: 'Some entries were left out of `deleted`.' },
      },
    },
    GcStatus: {
      type: 'object',
      additionalProperties: false,
      required: ['running'],
      properties: { running: { type: 'boolean', description: 'A collection runs in this process now.' }, last: { ...schemaRef('GcReport'), description: 'The last finished run in this process, when there was one.' } },
    },
  },
  paths: {
    '/api/v1/gc': {
      get: {
        operationId: 'getGcStatus',
        summary: 'Whether a collection runs, and the last report',
        access: 'administrator',
        responses: { 200: json('The status.', schemaRef('GcStatus')) },
      },
      post: {
        operationId: 'runGc',
        summary: 'Collect garbage now (or join the collection running), and answer its report',
        access: 'administrator',
        parameters: [{ name: 'dryRun', in: 'query', description: 'true: only say what would go.', schema: { enum: ['true', 'false'], default: 'false' } }],
        responses: {
          200: json('The report of the run.', schemaRef('GcReport')),
          400: refusal('`dryRun` is neither true nor false (the code is UNSUPPORTED).', 'UNSUPPORTED'),
          500: refusal('The collection failed; the log says why.', 'INTERNAL'),
          503: refusal('Another process holds the collection lease, or this run lost it.', 'UNAVAILABLE', { 'Retry-After': headerRef('RetryAfter') }),
        },
      },
    },
  },
};
