#!/usr/bin/env node
// `npm run demo:receiver [-- --port 4000 --secret whsec_…]`: a webhook receiver on loopback
// that prints every request it gets. With the endpoint's Standard Webhooks secret (or
// RECEIVER_SECRET) it verifies `webhook-signature` and answers 401 when it does not match;
// otherwise it answers 204. For trying outbound delivery locally (the apps need
// OUTBOUND_ALLOW_PRIVATE_NETWORKS=true to send to 127.0.0.1).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const port = Number(option('port', process.env.RECEIVER_PORT ?? '4000'));
const host = option('host', process.env.RECEIVER_HOST ?? '127.0.0.1');
const secret = option('secret', process.env.RECEIVER_SECRET);

/** `ok`, `invalid: …`, or null without a secret (Standard Webhooks, as Hookgate signs). */
function verify(headers, body) {
  if (!secret) return null;
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'invalid: webhook-* headers missing';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'invalid: stale timestamp';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
    .digest();
  for (const entry of String(signatures).split(' ')) {
    const [version, value = ''] = entry.split(',');
    const given = Buffer.from(value, 'base64');
    if (version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)) {
      return 'ok';
    }
  }
  return 'invalid: no signature matches the secret';
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const verdict = verify(req.headers, body);
    const lines = [
      `${new Date().toISOString()} ${req.method} ${req.url}`,
      ...Object.entries(req.headers)
        .filter(([name]) => name.startsWith('webhook-') || name.startsWith('x-'))
        .map(([name, value]) => `  ${name}: ${value}`),
      `  signature: ${verdict ?? 'not checked (start with --secret whsec_… to verify)'}`,
      `  body: ${body.toString('utf8')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    res.writeHead(verdict === null || verdict === 'ok' ? 204 : 401).end();
  });
});

server.listen(port, host, () => {
  process.stdout.write(`demo receiver listening on http://${host}:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => server.close(() => process.exit(0)));
