import { connect } from 'node:net';
import { createHandler, createInboundEndpoint, post } from '../../../test/support/fixtures';
import { startHarness, type Harness } from '../../../test/support/harness';

/**
 * Slow senders are cut off: a client that has not finished its headers within
 * INBOUND_HEADERS_TIMEOUT_MS, or its whole request within INBOUND_REQUEST_TIMEOUT_MS, gets
 * 408 and a closed connection (Node's defaults would hold it for up to five minutes), and
 * a normal request on another connection is answered meanwhile.
 */
describe('inbound request deadlines', () => {
  let harness: Harness;
  let url: string;

  beforeAll(async () => {
    harness = await startHarness({
      env: { INBOUND_HEADERS_TIMEOUT_MS: '1000', INBOUND_REQUEST_TIMEOUT_MS: '2000' },
    });
    const handler = await createHandler(harness, {});
    ({ url } = await createInboundEndpoint(harness, { handler: handler.code }));
  });

  afterAll(async () => {
    await harness.close();
  });

  function slowClient(first: string, trickle: string): Promise<{ status: string; ms: number }> {
    const { port } = new URL(harness.inboundUrl);
    return new Promise((resolve) => {
      const started = Date.now();
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(first));
      const timer = setInterval(() => socket.write(trickle), 200);
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ status: answer.split('\r\n')[0], ms: Date.now() - started });
      });
    });
  }

  it('closes a connection that never sends a byte', async () => {
    const { port } = new URL(harness.inboundUrl);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
    });
    expect(closedAfter).toBeGreaterThanOrEqual(900);
    expect(closedAfter).toBeLessThan(4000);
  });

  it('answers 408 and closes a connection whose headers never end', async () => {
    const result = await slowClient(
      'POST /webhooks/anything HTTP/1.1\r\nHost: x\r\n',
      'X-A: b\r\n',
    );
    expect(result.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(result.ms).toBeLessThan(4000);
  });

  it('answers 408 and closes a connection whose body trickles past the request deadline', async () => {
    // The endpoint exists, so the gateway is reading the body when the deadline passes.
    const slow = slowClient(
      `POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
      ' ',
    );
    const normal = await post(harness, url, JSON.stringify({ ok: true }));
    expect(normal.status).toBe(202);
    const result = await slow;
    expect(result.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(result.ms).toBeGreaterThanOrEqual(1900);
    expect(result.ms).toBeLessThan(5000);
    // The gateway is still healthy after abandoning the half-read body.
    expect((await post(harness, url, JSON.stringify({ after: true }))).status).toBe(202);
  });
});
