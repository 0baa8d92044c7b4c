#!/usr/bin/env node
// `npm run demo`: against running apps, creates a handler and an inbound endpoint, sends a
// webhook and prints the event as it moves to `done`. Uses only loopback addresses.
const admin = process.env.ADMIN_URL ?? 'http://127.0.0.1:3001';
const inbound = process.env.INBOUND_URL ?? 'http://127.0.0.1:3000';
const key = process.env.ADMIN_API_KEY;
if (!key) {
  console.error(
    'Set ADMIN_API_KEY: the key the apps were started with, or the one the first start printed.',
  );
  process.exit(1);
}

async function api(path, body) {
  const res = await fetch(`${admin}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const suffix = Date.now().toString(36);
const handler = await api('/handlers', {
  code: `demo-${suffix}`,
  name: 'Demo handler',
  direction: 'inbound',
  executionMode: 'rules',
  rules: [
    {
      sequence: 10,
      name: 'paid orders',
      conditions: [{ path: 'status', operator: '=', value: 'paid' }],
      action: 'upsert_record',
      targetModel: 'orders',
      lookups: [{ field: 'number', source: { kind: 'payload', path: 'order' } }],
      assignments: [
        { field: 'number', source: { kind: 'payload', path: 'order' } },
        { field: 'status', source: { kind: 'payload', path: 'status' } },
      ],
    },
  ],
});
console.log('handler  ', handler.status, handler.body?.id ?? handler.body);
const endpoint = await api('/inbound-endpoints', {
  name: 'Demo endpoint',
  path: `demo/${suffix}`,
  handler: `demo-${suffix}`,
  signature: { mode: 'none' },
});
console.log('endpoint ', endpoint.status, endpoint.body?.url ?? endpoint.body);
if (endpoint.status !== 201) process.exit(1);

const sent = await fetch(`${inbound}${endpoint.body.url}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ order: 42, status: 'paid' }),
});
const accepted = await sent.json();
console.log('webhook  ', sent.status, accepted);

let last;
for (let i = 0; i < 50; i++) {
  const event = await api(`/inbound-events/${accepted.id}`);
  if (event.body.state !== last) {
    last = event.body.state;
    console.log(
      'event    ',
      last,
      event.body.matchedRule ? `(rule: ${event.body.matchedRule})` : '',
    );
  }
  if (['done', 'error', 'dead_letter'].includes(last)) {
    console.log(JSON.stringify(event.body.executionLog, null, 2));
    process.exit(last === 'done' ? 0 : 1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.error('the event did not finish in 10 s: is the inbound gateway running?');
process.exit(1);
