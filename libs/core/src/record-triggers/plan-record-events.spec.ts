import { planRecordChangeEvents, changedTopLevelFields } from './plan-record-events';
import type { RecordChange, RecordTrigger } from './record-trigger.types';
import { recordTriggerProblems } from './validate-record-trigger';

const trigger = (overrides: Partial<RecordTrigger> = {}): RecordTrigger => ({
  id: 't1',
  code: 'issue-changes',
  model: 'issues',
  operations: ['created', 'updated', 'deleted'],
  changedFields: [],
  conditions: [],
  eventType: null,
  active: true,
  ...overrides,
});

const updated = (before: object, after: object): RecordChange => ({
  model: 'issues',
  recordId: 'r1',
  operation: 'updated',
  before: before as Record<string, unknown>,
  after: after as Record<string, unknown>,
});

describe('planRecordChangeEvents', () => {
  it('publishes record.<model>.<operation> with before, after and a per-change key', () => {
    const events = planRecordChangeEvents(
      [trigger()],
      updated({ n: 1, state: 'open' }, { n: 1, state: 'closed' }),
      'c1',
    );
    expect(events).toEqual([
      {
        triggerId: 't1',
        eventType: 'record.issues.updated',
        idempotencyKey: 'record-change:c1:t1',
        payload: {
          changeId: 'c1',
          trigger: 'issue-changes',
          model: 'issues',
          recordId: 'r1',
          operation: 'updated',
          changedFields: ['state'],
          before: { n: 1, state: 'open' },
          after: { n: 1, state: 'closed' },
        },
      },
    ]);
  });

  it('fires only for its model, its operations, and when active', () => {
    const change = updated({ a: 1 }, { a: 2 });
    expect(planRecordChangeEvents([trigger({ model: 'other' })], change, 'c')).toHaveLength(0);
    expect(
      planRecordChangeEvents([trigger({ operations: ['created'] })], change, 'c'),
    ).toHaveLength(0);
    expect(planRecordChangeEvents([trigger({ active: false })], change, 'c')).toHaveLength(0);
    expect(planRecordChangeEvents([trigger(), trigger({ id: 't2' })], change, 'c')).toHaveLength(2);
  });

  it('filters updates by changed data paths, strictly typed', () => {
    const onState = trigger({ changedFields: ['state', 'labels.0'] });
    expect(
      planRecordChangeEvents([onState], updated({ state: 'a', t: 1 }, { state: 'a', t: 2 }), 'c'),
    ).toHaveLength(0);
    expect(
      planRecordChangeEvents([onState], updated({ state: 'a' }, { state: 'b' }), 'c'),
    ).toHaveLength(1);
    expect(
      planRecordChangeEvents([onState], updated({ state: 42 }, { state: '42' }), 'c'),
    ).toHaveLength(1);
    expect(planRecordChangeEvents([onState], updated({}, { state: null }), 'c')).toHaveLength(1);
    expect(
      planRecordChangeEvents([onState], updated({ labels: ['x'] }, { labels: ['y'] }), 'c'),
    ).toHaveLength(1);
    // The filter concerns updates only: a creation still fires.
    const created: RecordChange = {
      model: 'issues',
      recordId: 'r',
      operation: 'created',
      before: null,
      after: { t: 1 },
    };
    expect(planRecordChangeEvents([onState], created, 'c')).toHaveLength(1);
  });

  it('evaluates conditions on after, on before for deleted, and the change as event', () => {
    const closedOnly = trigger({
      conditions: [{ source: 'payload', path: 'state', operator: '=', value: 'closed' }],
    });
    expect(
      planRecordChangeEvents([closedOnly], updated({ state: 'closed' }, { state: 'open' }), 'c'),
    ).toHaveLength(0);
    expect(
      planRecordChangeEvents([closedOnly], updated({ state: 'open' }, { state: 'closed' }), 'c'),
    ).toHaveLength(1);
    const deleted: RecordChange = {
      model: 'issues',
      recordId: 'r',
      operation: 'deleted',
      before: { state: 'closed' },
      after: null,
    };
    expect(planRecordChangeEvents([closedOnly], deleted, 'c')[0].payload.changedFields).toEqual([
      'state',
    ]);
    const reopened = trigger({
      conditions: [{ source: 'event', path: 'before.state', operator: '=', value: 'closed' }],
    });
    expect(
      planRecordChangeEvents([reopened], updated({ state: 'closed' }, { state: 'open' }), 'c'),
    ).toHaveLength(1);
    expect(
      planRecordChangeEvents([reopened], updated({ state: 'open' }, { state: 'x' }), 'c'),
    ).toHaveLength(0);
  });

  it('uses the trigger event type when set', () => {
    const events = planRecordChangeEvents(
      [trigger({ eventType: 'crm.issue' })],
      updated({}, { a: 1 }),
      'c',
    );
    expect(events.map((e) => e.eventType)).toEqual(['crm.issue']);
  });

  it('lists changed top-level fields, sorted', () => {
    expect(changedTopLevelFields({ b: 1, a: { x: 1 } }, { a: { x: 1 }, b: 2, c: 3 })).toEqual([
      'b',
      'c',
    ]);
    expect(changedTopLevelFields(null, { z: 1, y: 2 })).toEqual(['y', 'z']);
  });
});

describe('recordTriggerProblems', () => {
  it('accepts a well-formed trigger', () => {
    expect(
      recordTriggerProblems({
        operations: ['created', 'updated'],
        changedFields: ['state', 'customer.email'],
        conditions: [{ source: 'event', path: 'operation', operator: 'in', value: ['created'] }],
        eventType: 'crm.issue.changed',
      }),
    ).toEqual([]);
  });

  it('names each bad field', () => {
    const fields = recordTriggerProblems({
      operations: ['created', 'written', 'created'],
      changedFields: ['', '__proto__.x'],
      conditions: [
        { source: 'headers', path: 'x', operator: '=', value: 1 },
        { path: 'a', operator: '~' },
        { path: 'a', operator: 'in', value: 'x' },
      ],
      eventType: 'record.*',
    }).map((p) => p.field);
    expect(fields).toEqual([
      'operations.1',
      'operations',
      'changedFields.0',
      'changedFields.1',
      'changedFields',
      'conditions.0.source',
      'conditions.1.operator',
      'conditions.2.value',
      'eventType',
    ]);
    expect(recordTriggerProblems({ operations: [] }).map((p) => p.field)).toEqual(['operations']);
  });
});
