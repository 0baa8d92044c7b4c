// The outbound benchmark's receiver: a separate process on loopback that answers every
// request 200 OK after reading its body, and counts requests (asked over IPC by run.mjs).
import { createServer } from 'node:http';

let requests = 0;
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 65_000;

process.on('message', (message) => {
  if (message?.type === 'count') process.send({ type: 'count', requests });
  if (message?.type === 'reset') {
    requests = 0;
    process.send({ type: 'reset' });
  }
});
// The parent is gone (or stops us): never outlive it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
