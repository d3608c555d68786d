/** `/api/v1/projects` in the OpenAPI document: as projects.ts answers. */
import { BODY_REFUSALS, PAGING, TIMESTAMP, headerRef, json, pathParameter, refusal, responseRef, schemaRef } from './components.js';
import type { ApiResource } from './types.js';

export const PROJECT = pathParameter('project', 'The project\'s name (the first path component of its repositories).');
/** What visibleProject answers for a project the caller may not see: the same as for one that does not exist. */
export const NO_SUCH_PROJECT = refusal('No such project, or one the caller may not see (the same answer).', 'NOT_FOUND');
export const NOT_PROJECT_ADMIN = refusal('The caller may see the project but lacks its admin role (and is no registry administrator).', 'DENIED');

export const projectsApi: ApiResource = {
  tag: { name: 'projects', description: 'Projects: the first path component of repository names, with a public flag.' },
  availability: 'accounts',
  schemas: {
    Project: {
      type: 'object',
      required: ['name', 'public', 'createdAt'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, public: { type: 'boolean', description: 'Anyone, anonymous callers included, may pull.' }, createdAt: TIMESTAMP },
    },
    ProjectList: { type: 'object', required: ['projects'], additionalProperties: false, properties: { projects: { type: 'array', items: schemaRef('Project') } } },
    NewProject: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: 64, pattern: '^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*$', description: 'One repository path component.' },
        public: { type: 'boolean', default: false },
      },
    },
    PublicFlag: { type: 'object', required: ['public'], properties: { public: { type: 'boolean' } } },
  },
  paths: {
    '/api/v1/projects': {
      get: {
        operationId: 'listProjects',
        summary: 'List the projects the caller may see, by name',
        description: 'Registry administrators see all; others the public ones and those they have a role in; a robot its own when it may pull.',
        access: 'signed-in',
        parameters: PAGING,
        responses: { 200: json('A page of projects.', schemaRef('ProjectList'), { Link: headerRef('Link') }), 400: responseRef('InvalidPage') },
      },
      post: {
        operationId: 'createProject',
        summary: 'Create a project',
        description: 'Needs a registry administrator (checked before the body).',
        access: 'signed-in',
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewProject') } } },
        responses: {
          201: json('Created.', schemaRef('Project'), { Location: headerRef('Location') }),
          400: refusal('Not a JSON object, a name that breaks the rules, or `public` not a boolean.', 'INVALID'),
          403: refusal('The caller is no registry administrator.', 'DENIED'),
          409: refusal('The project exists.', 'CONFLICT'),
          ...BODY_REFUSALS,
        },
      },
    },
    '/api/v1/projects/{project}': {
      get: {
        operationId: 'getProject',
        summary: 'Read a project',
        access: 'signed-in',
        parameters: [PROJECT],
        responses: { 200: json('The project.', schemaRef('Project')), 404: NO_SUCH_PROJECT },
      },
      patch: {
        operationId: 'setProjectPublic',
        summary: 'Make a project public or private',
        description: 'Needs the project\'s admin role. Visibility is checked before the body.',
        access: 'signed-in',
        parameters: [PROJECT],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('PublicFlag') } } },
        responses: {
          200: json('The project as it is now.', schemaRef('Project')),
          400: refusal('Not a JSON object, or `public` missing or not a boolean.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
          ...BODY_REFUSALS,
        },
      },
      delete: {
        operationId: 'deleteProject',
        summary: 'Delete an empty project, with its members and robots',
        access: 'signed-in',
        parameters: [PROJECT],
        responses: {
          204: { description: 'Deleted.' },
          403: refusal('The caller may see the project but is no registry administrator (its admin role is not enough).', 'DENIED'),
          404: NO_SUCH_PROJECT,
          409: refusal('Repositories remain in the project: delete them first.', 'CONFLICT'),
        },
      },
    },
  },
};
