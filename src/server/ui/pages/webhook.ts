/**
 * `/ui/p/<project>/webhooks/<id>`: one webhook, for the people who may run
 * its project (ui/manage-pages.ts decides, through the admin API's own
 * check): where it posts and for which events, a form to change that
 * (URL, events, format, description, enabled), a form to rotate its
 * signing secret (the new one is shown once, by the answer), and its whole
 * delivery log, newest first, DELIVERIES_SHOWN a page (`?before=` the last
 * shown delivery's sequence number, as the admin API pages it), each with
 * its state, attempts, the receiver's answer code and the error, and a
 * button to deliver it again.
 *
 * Never shown: the signing secret, and the parts of the URL that may carry
 * one (the URL field starts empty: left empty, the URL is kept). Everything
 * else is attacker-controlled text and enters markup through `h`.
 */
import type { DeliveryRecord, WebhookRecord } from '../../metadata/webhook-store.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import { h, table, time, type PageContent } from '../html.js';
import { projectPath, UI_ROOT } from '../paths.js';
import { webhookAddress } from './project.js';
import { form, formPath, noticeLine, options, webhookPath, type ProjectForms } from './project-forms.js';

/** Deliveries per page of the log. */
export const DELIVERIES_SHOWN = 50;

function crumbs(project: string, id: string): PageContent['crumbs'] {
  return [
    { label: 'Repositories', href: UI_ROOT },
    { label: `Project ${project}`, href: projectPath(project) },
    { label: `Webhook ${id}`, href: webhookPath(project, id) },
  ];
}

function hasQuery(url: string): boolean {
  try {
    return new URL(url).search !== '';
  } catch {
    return false;
  }
}

function editForm(webhook: WebhookRecord, forms: ProjectForms): string {
  const events = WEBHOOK_EVENTS.map(
    (e) => `<label class="check"><input type="checkbox" name="events" value="${h(e)}" id="edit-event-${h(e.replace('.', '-'))}"${webhook.events.includes(e) ? ' checked' : ''}> ${h(e)}</label>`,
  ).join('');
  return form(
    webhook.project,
    'webhooks/edit',
    forms,
    `<input type="hidden" name="webhook" value="${h(webhook.id)}">` +
      `<label for="edit-url">New URL (empty: keep ${h(webhookAddress(webhook.url))}${hasQuery(webhook.url) ? ' and its query' : ''})</label><input id="edit-url" name="url" maxlength="2048" autocomplete="off">` +
      `<span class="label">Events (none: every event of the format)</span><span>${events}</span>` +
      `<label for="edit-format">Format</label><select id="edit-format" name="format">${options(['portcullis', 'clair'], webhook.format)}</select>` +
      `<label for="edit-description">Description</label><input id="edit-description" name="description" maxlength="1024" value="${h(webhook.description ?? '')}">` +
      `<span class="label">State</span><label class="check"><input type="checkbox" name="enabled" value="true" id="edit-enabled"${webhook.enabled ? ' checked' : ''}> enabled (unchecked: nothing is sent)</label>`,
    'Save webhook',
  );
}

function rotateForm(webhook: WebhookRecord, forms: ProjectForms): string {
  return form(webhook.project, 'webhooks/rotate', forms, `<input type="hidden" name="webhook" value="${h(webhook.id)}"><span class="label">Signing secret</span><span>A new one is generated and shown once; the old one stops signing at once.</span>`, 'Rotate signing secret');
}

function deliveryRow(webhook: WebhookRecord, d: DeliveryRecord, forms: ProjectForms): string {
  // One small form a row (no element ids: there are many).
  const again = `<form method="post" action="${h(formPath(webhook.project, 'webhooks/redeliver'))}" class="inline-form"><input type="hidden" name="csrf" value="${h(forms.csrf)}"><input type="hidden" name="delivery" value="${h(`${webhook.id}/${d.id}`)}"><input type="hidden" name="from" value="webhook"><button type="submit" data-redeliver="${h(d.id)}">Deliver again</button></form>`;
  return (
    `<tr data-delivery-id="${h(d.id)}"><td>${time(d.createdAt)}</td><td class="event">${h(d.event)}</td><td class="state" data-state="${h(d.state)}">${h(d.state)}${d.redeliveryOf ? ' <small>(again)</small>' : ''}</td>` +
    `<td class="attempts">${d.attempts}</td><td class="answer">${d.responseStatus !== undefined ? `HTTP ${d.responseStatus}` : '<span class="none">none</span>'}</td>` +
    `<td class="error">${d.error ? h(d.error.slice(0, 300)) : ''}</td><td>${d.state === 'pending' ? `next ${time(d.nextAttemptAt)}` : d.completedAt ? time(d.completedAt) : ''}</td><td>${again}</td></tr>`
  );
}

/** The webhook's page; `deliveries` are up to DELIVERIES_SHOWN + 1 from the log (one more: there is a next page). */
export function webhookPage(webhook: WebhookRecord, deliveries: readonly DeliveryRecord[], forms: ProjectForms, paged: boolean): PageContent {
  const shown = deliveries.slice(0, DELIVERIES_SHOWN);
  const last = shown[shown.length - 1];
  const next = deliveries.length > DELIVERIES_SHOWN && last?.seq !== undefined ? `<p><a href="${h(`${webhookPath(webhook.project, webhook.id)}?before=${last.seq}`)}" id="older-deliveries">Older deliveries</a></p>` : '';
  const first = paged ? `<p><a href="${h(webhookPath(webhook.project, webhook.id))}" id="newest-deliveries">Newest deliveries</a></p>` : '';
  const body = [
    `<h1>Webhook ${h(webhook.id)}</h1>${noticeLine(forms)}`,
    `<dl class="meta" id="webhook"><dt>URL</dt><dd><code id="webhook-url">${h(webhookAddress(webhook.url))}</code></dd><dt>Events</dt><dd id="webhook-events">${h(webhook.events.join(', '))}</dd><dt>Format</dt><dd>${h(webhook.format)}</dd>` +
      `<dt>Enabled</dt><dd id="webhook-enabled" data-enabled="${webhook.enabled}">${webhook.enabled ? 'yes' : 'no'}</dd><dt>Description</dt><dd>${webhook.description ? h(webhook.description) : '<span class="none">none</span>'}</dd><dt>Changed</dt><dd>${time(webhook.updatedAt)}</dd></dl>`,
    `<h2>Change</h2>\n<div class="forms" id="webhook-edit-forms">${editForm(webhook, forms)}${rotateForm(webhook, forms)}</div>`,
    `<h2>Deliveries</h2>\n${first}${table('deliveries', ['Created', 'Event', 'State', 'Attempts', 'Answer', 'Error', 'Next or done', ''], shown.map((d) => deliveryRow(webhook, d, forms)), 'No deliveries.')}${next}`,
  ];
  return { title: `Webhook ${webhook.id}`, crumbs: crumbs(webhook.project, webhook.id), body: body.join('\n') };
}
