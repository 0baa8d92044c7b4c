import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { LeaseReconciler, LeasedItemProcessor, QueueName } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';
import { flushQueuePrefix } from '../../../test/support/redis';
import { waitFor } from '../../../test/support/wait';
import { ProcessInboundEvent } from '../src/process/process-inbound-event.use-case';

/**
 * The inbound worker against real Postgres and Redis: rules routing into records, the
 * execution log, forwarding, operator actions, and recovery from a flushed Redis.
 */
const db = () => process.env.DATABASE_URL!;

describe('inbound processing: rules, records, forward, operators, reconciler', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function finished(id: string): Promise<any> {
    return waitFor(
      async () => {
        const event = await harness.admin(`/inbound-events/${id}`);
        return ['done', 'error', 'dead_letter'].includes(event.body.state) ? event.body : undefined;
      },
      { what: `event ${id} to finish` },
    );
  }

  describe('a 3-rule GitHub handler', () => {
    let url: string;
    const outboundCode = unique('crm');

    beforeAll(async () => {
      const tenantId = await defaultTenantId();
      await query(
        db(),
        `INSERT INTO outbound_endpoints (tenant_id, code, name, state, method, body_mode, target_host, target_path)
         VALUES ($1, $2, 'CRM', 'draft', 'POST', 'json', 'http://127.0.0.1:9', '/hooks')`,
        [tenantId, outboundCode],
      );
      const issue = (field: string) => ({ kind: 'payload', path: `issue.${field}` });
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'opened issues',
            conditions: [
              { path: 'action', operator: '=', value: 'opened' },
              { source: 'headers', path: 'X-GitHub-Event', operator: '=', value: 'issues' },
            ],
            action: 'upsert_record',
            targetModel: 'issues',
            lookups: [{ field: 'number', source: issue('number') }],
            assignments: [
              { field: 'number', source: issue('number') },
              { field: 'title', source: issue('title') },
              { field: 'state', source: { kind: 'literal', value: 'open' } },
            ],
          },
          {
            sequence: 20,
            name: 'closed issues',
            conditions: [{ path: 'action', operator: 'in', value: ['closed', 'deleted'] }],
            action: 'upsert_record',
            targetModel: 'issues',
            lookups: [{ field: 'number', source: issue('number') }],
            assignments: [
              { field: 'number', source: issue('number') },
              {
                field: 'state',
                source: { kind: 'payload', path: 'action' },
                transform: 'uppercase',
              },
            ],
          },
          {
            sequence: 30,
            name: 'labeled to crm',
            conditions: [{ path: 'issue.labels.0.name', operator: '=', value: 'customer' }],
            action: 'forward',
            forwardTo: outboundCode,
            assignments: [{ field: 'ticket', source: issue('number') }],
          },
        ],
      });
      url = (await createInboundEndpoint(harness, { handler: handler.code })).url;
    });

    it('upserts one record per issue, in order, and logs every condition', async () => {
      const number = Math.floor(Math.random() * 1e9);
      const opened = await post(
        harness,
        url,
        JSON.stringify({ action: 'opened', issue: { number, title: 'Broken' } }),
        {
          'x-github-event': 'issues',
        },
      );
      const first = await finished(opened.body.id);
      expect(first.state).toBe('done');
      expect(first.matchedRule).toBe('opened issues');
      const rule = first.executionLog.rules[0];
      expect(rule.conditions).toEqual([
        expect.objectContaining({ path: 'action', actual: 'opened', result: true }),
        expect.objectContaining({ source: 'headers', actual: 'issues', result: true }),
      ]);
      expect(first.executionLog.records).toEqual([
        expect.objectContaining({ model: 'issues', operation: 'created' }),
      ]);

      const closed = await post(
        harness,
        url,
        JSON.stringify({ action: 'closed', issue: { number } }),
      );
      const second = await finished(closed.body.id);
      expect(second.matchedRule).toBe('closed issues');
      expect(second.executionLog.rules.map((r: { matched: boolean }) => r.matched)).toEqual([
        false,
        true,
      ]);
      expect(second.executionLog.records).toEqual([
        expect.objectContaining({ operation: 'updated' }),
      ]);

      const records = await harness.admin(`/records/issues?number=${number}`);
      expect(records.status).toBe(200);
      expect(records.body.items).toHaveLength(1);
      expect(records.body.items[0].data).toEqual({ number, title: 'Broken', state: 'CLOSED' });
      expect(records.body.items[0].createdByEvent).toBe(opened.body.id);
      expect(records.body.items[0].updatedByEvent).toBe(closed.body.id);
    });

    it('marks a non-matching event done with "no rule matched"', async () => {
      const res = await post(
        harness,
        url,
        JSON.stringify({ action: 'edited', issue: { number: 5 } }),
      );
      const event = await finished(res.body.id);
      expect(event.state).toBe('done');
      expect(event.matchedRule).toBeNull();
      expect(event.executionLog.note).toBe('no rule matched');
      expect(event.executionLog.rules).toHaveLength(3);
    });

    it('forwards to an outbound endpoint as one delivery row, once per event', async () => {
      const res = await post(
        harness,
        url,
        JSON.stringify({
          action: 'labeled',
          issue: { number: 77, labels: [{ name: 'customer' }] },
        }),
      );
      const event = await finished(res.body.id);
      expect(event.state).toBe('done');
      const deliveries = await query<{ state: string; payload: unknown; source_event_id: string }>(
        db(),
        `SELECT state, payload, source_event_id FROM deliveries WHERE endpoint_code = $1`,
        [outboundCode],
      );
      expect(deliveries).toEqual([
        { state: 'draft', payload: { ticket: 77 }, source_event_id: res.body.id },
      ]);
    });
  });

  describe('operator actions', () => {
    it('resets a dead-lettered event and processes it again; refuses to reset done or rejected events', async () => {
      const handler = await createHandler(harness, {
        rules: [{ sequence: 1, name: 'park it', conditions: [], action: 'dead_letter' }],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const res = await post(harness, endpoint.url, JSON.stringify({ n: 1 }));
      const parked = await finished(res.body.id);
      expect(parked.state).toBe('dead_letter');
      expect(parked.error.message).toContain('park it');

      // The operator fixes the handler, then resets the event.
      const fixed = await harness.admin(`/handlers/${handler.id}`, {
        method: 'PUT',
        body: { name: 'fixed', executionMode: 'rules', rules: [] },
      });
      expect(fixed.status).toBe(200);
      const reset = await harness.admin(`/inbound-events/${res.body.id}/reset`, { method: 'POST' });
      expect(reset.status).toBe(200);
      expect(reset.body.state).toBe('received');
      const again = await waitFor(async () => {
        const e = await harness.admin(`/inbound-events/${res.body.id}`);
        return e.body.state === 'done' ? e.body : undefined;
      });
      expect(again.attempts).toBe(2);

      const resetDone = await harness.admin(`/inbound-events/${res.body.id}/reset`, {
        method: 'POST',
      });
      expect(resetDone.status).toBe(409);
      expect(resetDone.body.details).toEqual({ currentState: 'done' });

      const signed = await createInboundEndpoint(harness, {
        handler: handler.code,
        signature: { mode: 'hmac', preset: 'github', secret: 'some-secret-value' },
      });
      const rejected = await post(harness, signed.url, '{}', { 'x-github-delivery': unique('r') });
      expect(rejected.status).toBe(401);
      const [row] = await query<{ id: string }>(
        db(),
        `SELECT id FROM inbound_events WHERE endpoint_path = $1`,
        [signed.path],
      );
      const resetRejected = await harness.admin(`/inbound-events/${row.id}/reset`, {
        method: 'POST',
      });
      expect(resetRejected.status).toBe(409);
    });

    it('lists events with filters and a cursor', async () => {
      const handler = await createHandler(harness, {});
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await post(harness, endpoint.url, JSON.stringify({ i }))).body.id);
      const firstPage = await harness.admin(`/inbound-events?endpoint=${endpoint.path}&limit=2`);
      expect(firstPage.status).toBe(200);
      expect(firstPage.body.items).toHaveLength(2);
      const rest = await harness.admin(
        `/inbound-events?endpoint=${endpoint.path}&limit=10&cursor=${firstPage.body.nextCursor}`,
      );
      expect(rest.body.items).toHaveLength(3);
      expect(rest.body.nextCursor).toBeNull();
      const seen = [...firstPage.body.items, ...rest.body.items].map((e: { id: string }) => e.id);
      expect(new Set(seen)).toEqual(new Set(ids));
      const bad = await harness.admin(`/inbound-events?state=bogus&limit=0`);
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'limit',
        'state',
      ]);
    });
  });

  describe('batches', () => {
    it('settles the events of a batch on their own outcomes when one of them fails', async () => {
      const model = unique('batch_issues');
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'upsert',
            conditions: [],
            action: 'upsert_record',
            targetModel: model,
            lookups: [{ field: 'n', source: { kind: 'payload', path: 'n' } }],
            assignments: [
              { field: 'n', source: { kind: 'payload', path: 'n' } },
              { field: 'seen', source: { kind: 'literal', value: true } },
            ],
          },
        ],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      // Two records already match n = 7: that event's upsert is ambiguous and fails.
      const tenantId = await defaultTenantId();
      await query(
        db(),
        `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, '{"n":7}'), ($1, $2, '{"n":7}')`,
        [tenantId, model],
      );
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;
      await worker.pause();
      const ids: Record<number, string> = {};
      try {
        // Queued while the worker is paused, so they are claimed together in batches.
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, n) =>
            post(harness, endpoint.url, JSON.stringify({ n })).then((a) => [n, a] as const),
          ),
        );
        for (const [n, answer] of answers) {
          expect(answer.status).toBe(202);
          ids[n] = answer.body.id;
        }
      } finally {
        await worker.resume();
      }
      const states = await waitFor(
        async () => {
          const rows = await query<{ id: string; state: string; attempts: number }>(
            db(),
            `SELECT id, state, attempts FROM inbound_events WHERE endpoint_path = $1`,
            [endpoint.path],
          );
          return rows.length === 40 && rows.every((r) => ['done', 'error'].includes(r.state))
            ? new Map(rows.map((r) => [r.id, r]))
            : undefined;
        },
        { timeoutMs: 30_000, what: '40 events settled' },
      );
      for (let n = 0; n < 40; n++) {
        expect(states.get(ids[n])).toMatchObject({
          state: n === 7 ? 'error' : 'done',
          attempts: 1,
        });
      }
      const records = await query<{ n: number; count: string }>(
        db(),
        `SELECT (data->>'n')::int AS n, count(*) AS count FROM records
          WHERE model = $1 AND data->>'seen' = 'true' GROUP BY 1 ORDER BY 1`,
        [model],
      );
      // One record per event except the failed one, whose write was rolled back.
      expect(records.map((r) => r.n)).toEqual(
        Array.from({ length: 40 }, (_, n) => n).filter((n) => n !== 7),
      );
      expect(records.every((r) => Number(r.count) === 1)).toBe(true);
    });

    it('upserts of one batch that meet on a record make one record, created once', async () => {
      const model = unique('batch_counts');
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'upsert',
            conditions: [],
            action: 'upsert_record',
            targetModel: model,
            lookups: [{ field: 'key.n', source: { kind: 'payload', path: 'n' } }],
            assignments: [
              { field: 'key.n', source: { kind: 'payload', path: 'n' } },
              { field: 'last', source: { kind: 'payload', path: 'v' } },
            ],
          },
        ],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const tenantId = await defaultTenantId();
      // n = 0 already has a record: its events update it; n = 1..9 are created in the batch.
      await query(
        db(),
        `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, '{"key":{"n":0},"old":true}')`,
        [tenantId, model],
      );
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;
      await worker.pause();
      try {
        for (let v = 0; v < 30; v++) {
          const answer = await post(harness, endpoint.url, JSON.stringify({ n: v % 10, v }));
          expect(answer.status).toBe(202);
        }
      } finally {
        await worker.resume();
      }
      const events = await waitFor(
        async () => {
          const rows = await query<{ state: string; execution_log: any; payload: any }>(
            db(),
            `SELECT state, execution_log, payload FROM inbound_events WHERE endpoint_path = $1`,
            [endpoint.path],
          );
          return rows.length === 30 && rows.every((r) => r.state === 'done') ? rows : undefined;
        },
        { timeoutMs: 30_000, what: '30 events done' },
      );
      const records = await query<{ id: string; data: any }>(
        db(),
        `SELECT id, data FROM records WHERE model = $1`,
        [model],
      );
      expect(records).toHaveLength(10);
      const byN = new Map(records.map((r) => [r.data.key.n as number, r]));
      expect([...byN.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(byN.get(0)!.data.old).toBe(true);
      for (const [n, record] of byN) {
        expect(record.data.last % 10).toBe(n);
        const writes = events
          .filter((e) => e.payload.n === n)
          .map((e) => e.execution_log.records[0] as { recordId: string; operation: string });
        expect(writes).toHaveLength(3);
        expect(writes.every((w) => w.recordId === record.id)).toBe(true);
        expect(writes.filter((w) => w.operation === 'created')).toHaveLength(n === 0 ? 0 : 1);
      }
    });

    it('processes an event once when overlapping batches are handed it at the same time', async () => {
      const model = unique('overlap');
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'create',
            conditions: [],
            action: 'create_record',
            targetModel: model,
            assignments: [{ field: 'n', source: { kind: 'payload', path: 'n' } }],
          },
        ],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;
      await worker.pause();
      try {
        const ids: string[] = [];
        for (let n = 0; n < 32; n++) {
          const answer = await post(harness, endpoint.url, JSON.stringify({ n }));
          expect(answer.status).toBe(202);
          ids.push(answer.body.id);
        }
        // Submitted in one turn: four batches of the same 32 events, two in the reverse
        // order, run at once. The row locks let one batch have each event.
        const processEvent = harness.inboundApp.get(ProcessInboundEvent);
        const order = [ids, [...ids].reverse(), ids, [...ids].reverse()].flat();
        const results = await Promise.all(order.map((id) => processEvent.execute(id)));
        expect(results.filter((r) => r === 'done')).toHaveLength(32);
        expect(results.filter((r) => r === null)).toHaveLength(96);
        const perEvent = new Map(ids.map((id) => [id, 0]));
        order.forEach((id, i) => {
          if (results[i] === 'done') perEvent.set(id, perEvent.get(id)! + 1);
        });
        expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
      } finally {
        await worker.resume();
      }
      const rows = await query<{ state: string; attempts: number }>(
        db(),
        `SELECT state, attempts FROM inbound_events WHERE endpoint_path = $1`,
        [endpoint.path],
      );
      expect(rows).toHaveLength(32);
      expect(rows.every((r) => r.state === 'done' && r.attempts === 1)).toBe(true);
      const [records] = await query<{ n: number; distinct_n: number }>(
        db(),
        `SELECT count(*)::int AS n, count(DISTINCT data->>'n')::int AS distinct_n FROM records WHERE model = $1`,
        [model],
      );
      expect(records).toEqual({ n: 32, distinct_n: 32 });
    });
    it('runs a callback event of a batch on its own claim, once, whether the batch commits or rolls back', async () => {
      const model = unique('mixed');
      const repository = unique('acme/repo');
      const tenantId = await defaultTenantId();
      // n = 3 has two records: its update is ambiguous, fails, and rolls its batch back.
      await query(
        db(),
        `INSERT INTO records (tenant_id, model, data)
         SELECT $1, $2, jsonb_build_object('n', n) FROM unnest(ARRAY[0, 1, 2, 3, 3]) AS n`,
        [tenantId, model],
      );
      const rules = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'mark seen',
            conditions: [],
            action: 'update_record',
            targetModel: model,
            lookups: [{ field: 'n', source: { kind: 'payload', path: 'n' } }],
            assignments: [{ field: 'seen', source: { kind: 'literal', value: true } }],
          },
        ],
      });
      const callback = await createHandler(harness, {
        executionMode: 'callback',
        callback: 'github-issues',
      });
      const rulesUrl = (await createInboundEndpoint(harness, { handler: rules.code })).url;
      const callbackUrl = (await createInboundEndpoint(harness, { handler: callback.code })).url;
      const processEvent = harness.inboundApp.get(ProcessInboundEvent);
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;

      async function batch(events: Array<[url: string, body: object]>): Promise<string[]> {
        const ids: string[] = [];
        for (const [url, body] of events) {
          const answer = await post(harness, url, JSON.stringify(body));
          expect(answer.status).toBe(202);
          ids.push(answer.body.id);
        }
        // Submitted in one turn, so they are claimed in one batch.
        const states = await Promise.all(ids.map((id) => processEvent.execute(id)));
        const rows = await query<{ id: string; state: string; attempts: number }>(
          db(),
          `SELECT id, state, attempts FROM inbound_events WHERE id = ANY($1::uuid[])`,
          [ids],
        );
        expect(rows.map((r) => r.attempts)).toEqual(ids.map(() => 1));
        const stored = new Map(rows.map((r) => [r.id, r.state]));
        expect(ids.map((id) => stored.get(id))).toEqual(states);
        return states as string[];
      }
      const issue = (number: number) => ({
        action: 'opened',
        issue: { number, title: `issue ${number}`, state: 'open' },
        repository: { full_name: repository },
      });

      await worker.pause();
      try {
        // Committed: the rules events settle in the batch, the callback runs after it.
        expect(
          await batch([
            [rulesUrl, { n: 0 }],
            [callbackUrl, issue(1)],
            [rulesUrl, { n: 1 }],
            [rulesUrl, { n: 2 }],
          ]),
        ).toEqual(['done', 'done', 'done', 'done']);
        // Rolled back by n = 3: every event then runs on its own, the callback too, once.
        expect(
          await batch([
            [rulesUrl, { n: 3 }],
            [callbackUrl, issue(2)],
            [rulesUrl, { n: 0, again: true }],
          ]),
        ).toEqual(['error', 'done', 'done']);
      } finally {
        await worker.resume();
      }
      const issues = await query<{ number: number }>(
        db(),
        `SELECT (data->>'number')::int AS number FROM records
          WHERE model = 'github_issues' AND data->>'repository' = $1 ORDER BY 1`,
        [repository],
      );
      expect(issues.map((r) => r.number)).toEqual([1, 2]);
      const seen = await query<{ n: number; seen: boolean | null }>(
        db(),
        `SELECT (data->>'n')::int AS n, (data->>'seen')::boolean AS seen FROM records
          WHERE model = $1 ORDER BY 1`,
        [model],
      );
      expect(seen).toEqual([
        { n: 0, seen: true },
        { n: 1, seen: true },
        { n: 2, seen: true },
        { n: 3, seen: null },
        { n: 3, seen: null },
      ]);
    });
  });

  describe('recovery', () => {
    it('processes every received event after Redis lost all their jobs', async () => {
      const handler = await createHandler(harness, {});
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;
      await worker.pause();
      try {
        const accepted: string[] = [];
        for (let batch = 0; batch < 10; batch++) {
          const answers = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              post(harness, endpoint.url, JSON.stringify({ batch, i })),
            ),
          );
          for (const a of answers) {
            expect(a.status).toBe(202);
            accepted.push(a.body.id);
          }
        }
        expect(accepted).toHaveLength(500);
        await flushQueuePrefix();
      } finally {
        await worker.resume();
      }
      const pass = await harness.inboundApp.get(LeaseReconciler).reconcile();
      expect(pass.enqueued).toBeGreaterThanOrEqual(500);
      await waitFor(
        async () => {
          const [row] = await query<{ n: string }>(
            db(),
            `SELECT count(*) AS n FROM inbound_events WHERE endpoint_path = $1 AND state = 'done'`,
            [endpoint.path],
          );
          return Number(row.n) === 500 ? true : undefined;
        },
        { timeoutMs: 60_000, what: '500 events done' },
      );
      const [attempts] = await query<{ max: number }>(
        db(),
        `SELECT max(attempts) AS max FROM inbound_events WHERE endpoint_path = $1`,
        [endpoint.path],
      );
      expect(attempts.max).toBe(1);
    });

    it('re-adds events whose group job was lost while other jobs still cover the backlog', async () => {
      const handler = await createHandler(harness, {});
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const worker = harness.inboundApp.get(LeasedItemProcessor).worker;
      const jobs = new Queue(QueueName.InboundEvents, {
        connection: { url: process.env.REDIS_URL },
        prefix: process.env.QUEUE_PREFIX,
      });
      await worker.pause();
      let accepted: string[];
      try {
        // Stored together, so enqueued as one process-group job; then that job is lost.
        const answers = await Promise.all(
          Array.from({ length: 3 }, (_, i) => post(harness, endpoint.url, JSON.stringify({ i }))),
        );
        accepted = answers.map((a) => a.body.id as string);
        expect(answers.every((a) => a.status === 202)).toBe(true);
        await flushQueuePrefix();
        // One runnable job for an event that does not exist: the queue "covers" the due
        // rows, so the backlog pass leaves them; they have been due for an hour, so they
        // count as lost and the rescue re-adds them.
        await jobs.add('process', { eventId: randomUUID() }, { jobId: `stray-${randomUUID()}` });
        await query(
          db(),
          `UPDATE inbound_events SET due_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`,
          [accepted],
        );
        const pass = await harness.inboundApp.get(LeaseReconciler).reconcile();
        expect(pass.rescued).toBeGreaterThanOrEqual(3);
      } finally {
        await worker.resume();
        await jobs.close();
      }
      for (const id of accepted) expect((await finished(id)).state).toBe('done');
    });
  });
});
