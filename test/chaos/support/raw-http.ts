import { connect } from 'node:net';

/**
 * One HTTP/1.1 request written byte by byte on a fresh socket, so a fuzzer can send what
 * `fetch` refuses to (bad methods, raw bytes in targets, CR/LF in header values, lying
 * Content-Length, broken chunking). Answers the status of the first response line, or 0
 * when the server closed or stayed silent without one.
 */
export async function rawRequest(
  port: number,
  head: Buffer,
  body: Buffer,
  { timeoutMs = 5000 } = {},
): Promise<{ status: number; timedOut: boolean; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 32).toString('latin1'));
      const split = data.indexOf('\r\n\r\n');
      resolve({
        status: match ? Number(match[1]) : 0,
        timedOut,
        body: split === -1 ? '' : data.subarray(split + 4).toString('utf8'),
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      // Skip interim answers (`100 Continue` to `Expect: 100-continue`): the final one counts.
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1 || !/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 13).toString('latin1')))
          break;
        data = data.subarray(end + 4);
      }
      // Done once the head and the body it declares are in (the server may keep the
      // connection open if a fuzzed header asked it to).
      const split = data.indexOf('\r\n\r\n');
      if (split === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.subarray(0, split).toString('latin1'));
      if (!length || data.length - split - 4 >= Number(length[1])) finish();
    });
    socket.on('connect', () => {
      socket.write(head);
      // No half-close: a client that ends its side may lose an answer the server already
      // committed to (the provider's retry then gets a duplicate), which would blur counts.
      if (body.length > 0) socket.write(body);
    });
  });
}
