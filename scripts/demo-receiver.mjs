#!/usr/bin/env node
// `npm run demo:receiver`: a tiny webhook receiver for trying outbound delivery. It prints
// every request it gets (method, path, Hookgate's headers, body) and answers 200, or the
// status in RECEIVER_STATUS to see retries. Listens on RECEIVER_HOST:RECEIVER_PORT
// (127.0.0.1:4000 by default; docker compose's `demo` profile runs it on 0.0.0.0).
import { createServer } from 'node:http';

const host = process.env.RECEIVER_HOST ?? '127.0.0.1';
const port = Number(process.env.RECEIVER_PORT ?? 4000);
const status = Number(process.env.RECEIVER_STATUS ?? 200);

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const shown = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([name]) =>
          name.startsWith('webhook-') ||
          name.startsWith('x-') ||
          name === 'content-type' ||
          name === 'authorization',
      ),
    );
    const body = Buffer.concat(chunks).toString('utf8');
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url}\n` +
        `  headers: ${JSON.stringify(shown)}\n  body: ${body}`,
    );
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received: true }));
  });
});

server.listen(port, host, () => {
  console.log(`demo receiver on http://${host}:${port}/ (answers ${status})`);
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => server.close(() => process.exit(0)));
