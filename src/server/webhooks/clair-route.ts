/**
 * Clair's notification callback, `GET /notifier/api/v1/notification/<id>`
 * (clair.ts says why it answers without credentials: the id is the
 * capability). An unknown or pruned id is 404 with Clair-like JSON; a bad
 * `page_size` or `next` is 400. `DELETE` answers 200 and changes nothing:
 * Clair lets a consumer delete a notification it has read, and here
 * delivered notifications go when the delivery log is pruned.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RegistryPlugin } from '../app.js';
import { factsOf } from '../request-facts.js';
import { CLAIR_CALLBACK_PATH, clairPage } from './clair.js';
import type { WebhookService } from './service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function clairCallbackPlugin(webhooks: WebhookService): RegistryPlugin {
  return async (app: FastifyInstance) => {
    app.get(`${CLAIR_CALLBACK_PATH}/:id`, async (request, reply) => {
      factsOf(request.raw).route = 'clair';
      const id = (request.params as { id?: string }).id ?? '';
      const stored = UUID.test(id) ? await webhooks.store.clairNotifications(id) : undefined;
      if (!stored) return problem(reply, 404, 'no such notification');
      const query = request.query as Record<string, unknown>;
      const page = clairPage(stored.notifications, {
        ...(typeof query.page_size === 'string' ? { pageSize: query.page_size } : {}),
        ...(typeof query.next === 'string' ? { next: query.next } : {}),
      });
      if ('problem' in page) return problem(reply, 400, page.problem);
      return reply.code(200).header('cache-control', 'no-store').send(page);
    });
    app.delete(`${CLAIR_CALLBACK_PATH}/:id`, async (request, reply) => {
      factsOf(request.raw).route = 'clair';
      const id = (request.params as { id?: string }).id ?? '';
      if (!UUID.test(id) || !(await webhooks.store.clairNotifications(id))) return problem(reply, 404, 'no such notification');
      return reply.code(200).send();
    });
  };
}

function problem(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send({ code: status === 404 ? 'not-found' : 'bad-request', message });
}
