// `node bench/undici-vs-axios.mjs [requests] [concurrency]`: why the dispatcher sends with
// undici. Sends the same JSON POSTs to a loopback sink (a child process, so the sink's CPU
// is not the client's) with undici over a keep-alive Agent, as the dispatcher's HttpSender
// does, and with axios both as the bench baseline uses it (defaults; Node's global agent
// keeps connections alive since Node 19) and over an explicit keep-alive `http.Agent`, to
// show the connections are not the difference. Prints requests per second and the client
// process's CPU time per request, the steadier figure on a busy machine: the dispatcher's
// throughput is bounded by its own CPU. Loopback only.
import { fork } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import axios from 'axios';
import { Agent, request } from 'undici';

if (process.argv[2] === '--sink') {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  await main();
}

async function main() {
  const total = Number(process.argv[2] ?? 20_000);
  const concurrency = Number(process.argv[3] ?? 64);
  const sink = fork(new URL(import.meta.url).pathname, ['--sink']);
  const port = await new Promise((resolve) => sink.once('message', resolve));
  const url = `http://127.0.0.1:${port}/hook`;
  const body = JSON.stringify({
    type: 'order.paid',
    data: { id: 'ord_123', amount: 4200, lines: Array.from({ length: 10 }, (_, i) => ({ i })) },
    padding: 'x'.repeat(600),
  });
  const headers = { 'content-type': 'application/json' };

  const undiciAgent = new Agent({ connections: concurrency });
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const clients = {
    'undici request, keep-alive Agent (dispatcher)': async () => {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: undiciAgent,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.text();
      return res.statusCode;
    },
    'axios.post, defaults (bench baseline)': async () =>
      (await axios.post(url, body, { headers, timeout: 10_000, validateStatus: () => true }))
        .status,
    'axios.post, keep-alive http.Agent': async () =>
      (
        await axios.post(url, body, {
          headers,
          timeout: 10_000,
          validateStatus: () => true,
          httpAgent: keepAlive,
        })
      ).status,
  };

  const run = async (send, count) => {
    let next = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          const status = await send();
          if (status !== 200) throw new Error(`sink answered ${status}`);
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - started) / 1000;
    return { rps: count / seconds, cpuUs: (used.user + used.system) / count };
  };

  console.log(
    `node ${process.version}, undici ${(await import('undici/package.json', { with: { type: 'json' } })).default.version}, ` +
      `axios ${axios.VERSION}; ${total} POSTs of ${body.length} bytes, concurrency ${concurrency}, loopback sink`,
  );
  // Two rounds, interleaved, so neither client always runs on a colder or hotter machine.
  const results = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  for (let round = 0; round < 2; round += 1) {
    for (const [name, send] of Object.entries(clients)) {
      await run(send, Math.min(2000, total)); // warm-up: JIT and connections
      results[name].push(await run(send, total));
    }
  }
  for (const [name, runs] of Object.entries(results)) {
    const best = runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    console.log(
      `${name.padEnd(48)} ${best.rps.toFixed(0).padStart(7)} req/s  ${best.cpuUs.toFixed(0).padStart(4)} µs CPU/req  ` +
        `(runs: ${runs.map((r) => `${r.rps.toFixed(0)} req/s ${r.cpuUs.toFixed(0)} µs`).join(', ')})`,
    );
  }
  await undiciAgent.close();
  keepAlive.destroy();
  sink.kill();
}
