/**
 * The one list of what the OpenAPI document describes (design example 5):
 * a new operation of `/api/v1/` is a file here (or an entry in an existing
 * one) and a line in this list. The route-coverage test
 * (test/server/api/v1/openapi.test.ts) fails while a route exists that the
 * document does not describe, or the other way round; document.ts fails
 * loudly on a path, operation id or schema name given twice.
 */
import { auditApi } from './audit.js';
import { gcApi } from './gc.js';
import { membersApi } from './members.js';
import { projectSettingsApi } from './project-settings.js';
import { projectsApi } from './projects.js';
import { robotsApi } from './robots.js';
import { selfApi } from './self.js';
import { tokenApi } from './token.js';
import type { ApiResource } from './types.js';
import { usersApi } from './users.js';
import { webhooksApi } from './webhooks.js';

export const API_RESOURCES: readonly ApiResource[] = [usersApi, projectsApi, projectSettingsApi, membersApi, robotsApi, webhooksApi, auditApi, gcApi, tokenApi, selfApi];
