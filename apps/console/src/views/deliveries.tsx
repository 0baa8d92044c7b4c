import {
  Accordion,
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { BulkActionDialog } from '../components/bulk-action-dialog';
import {
  Empty,
  Failure,
  Json,
  Loading,
  PAGE_SIZE,
  PagedList,
  StateBadge,
  useUrlState,
  When,
  shortId,
} from '../components/common';
import { Filters, type FilterField } from '../components/filters';

/** Deliveries: the filtered, paged list and one delivery with every attempt and its actions. */
type DeliveryState = Schemas['DeliverySummaryResponse']['state'];
const STATES: DeliveryState[] = [
  'draft',
  'queued',
  'processing',
  'done',
  'error',
  'dead_letter',
  'canceled',
];

export function DeliveriesView() {
  const [params, update] = useUrlState();
  const query = {
    limit: PAGE_SIZE,
    cursor: params.get('cursor') ?? undefined,
    state: (params.get('state') as DeliveryState | null) ?? undefined,
    endpoint: params.get('endpoint') ?? undefined,
    eventType: params.get('eventType') ?? undefined,
    idempotencyKey: params.get('idempotencyKey') ?? undefined,
    sourceEventId: params.get('sourceEventId') ?? undefined,
    from: params.get('from') ?? undefined,
    to: params.get('to') ?? undefined,
  };
  const deliveries = useQuery({
    queryKey: ['deliveries', query],
    queryFn: () => call(api.GET('/api/v1/deliveries', { params: { query } })),
  });
  const fields: FilterField[] = [
    {
      name: 'state',
      label: 'State',
      kind: 'select',
      options: STATES.map((value) => ({ value, label: value.replace('_', ' ') })),
    },
    { name: 'endpoint', label: 'Endpoint', kind: 'text', placeholder: 'code or id' },
    { name: 'eventType', label: 'Event type', kind: 'text', placeholder: 'order.paid' },
    {
      name: 'idempotencyKey',
      label: 'Idempotency key',
      kind: 'text',
      placeholder: 'exact key',
    },
    { name: 'sourceEventId', label: 'Source event', kind: 'text', placeholder: 'inbound event id' },
    { name: 'from', label: 'Created from', kind: 'datetime' },
    { name: 'to', label: 'Created before', kind: 'datetime' },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Deliveries</Title>
        <ReplayByFilter query={query} />
      </Group>
      <Filters fields={fields} params={params} onChange={update} />
      <PagedList
        list={deliveries}
        cursor={query.cursor}
        onPage={(cursor) => update({ cursor })}
        empty={
          <Empty title="No deliveries match">
            Deliveries appear when a service publishes to an outbound endpoint, a rule forwards an
            event, or you send a test from{' '}
            <Anchor component={Link} to="/outbound-endpoints">
              Outbound endpoints
            </Anchor>
            .
          </Empty>
        }
      >
        {(items) => (
          <>
            <Table striped highlightOnHover aria-label="Deliveries">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Endpoint</Table.Th>
                  <Table.Th>Event type</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Last answer</Table.Th>
                  <Table.Th>Delivery</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((delivery) => (
                  <Table.Tr key={delivery.id}>
                    <Table.Td>
                      <When at={delivery.createdAt} />
                    </Table.Td>
                    <Table.Td>
                      {delivery.endpointCode}
                      {delivery.isTest ? ' (test)' : ''}
                    </Table.Td>
                    <Table.Td>{delivery.eventType ?? '—'}</Table.Td>
                    <Table.Td>
                      <StateBadge state={delivery.state} />
                    </Table.Td>
                    <Table.Td>{delivery.attemptCount}</Table.Td>
                    <Table.Td>{delivery.responseStatus ?? delivery.lastError ?? '—'}</Table.Td>
                    <Table.Td>
                      <Anchor
                        component={Link}
                        to={`/deliveries/${delivery.id}`}
                        ff="monospace"
                        size="sm"
                      >
                        {shortId(delivery.id)}
                      </Anchor>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </PagedList>
    </Stack>
  );
}

/** One admin route per action (`resetDelivery`, …): the same answer for each. */
const DELIVERY_ACTION_PATHS = {
  reset: '/api/v1/deliveries/{id}/reset',
  queue: '/api/v1/deliveries/{id}/queue',
  'dead-letter': '/api/v1/deliveries/{id}/dead-letter',
  cancel: '/api/v1/deliveries/{id}/cancel',
} as const;
type DeliveryAction = keyof typeof DELIVERY_ACTION_PATHS;
const ACTION_LABELS: Record<DeliveryAction, string> = {
  reset: 'Reset',
  queue: 'Queue now',
  'dead-letter': 'Dead-letter',
  cancel: 'Cancel',
};

export function DeliveryDetailView() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const delivery = useQuery({
    queryKey: ['delivery', id],
    queryFn: () => call(api.GET('/api/v1/deliveries/{id}', { params: { path: { id } } })),
  });
  const act = useMutation({
    mutationFn: (action: DeliveryAction) =>
      call(api.POST(DELIVERY_ACTION_PATHS[action], { params: { path: { id } } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(['delivery', id], updated);
      void queryClient.invalidateQueries({ queryKey: ['deliveries'] });
    },
  });
  if (delivery.isPending) return <Loading />;
  if (delivery.isError)
    return <Failure error={delivery.error} onRetry={() => void delivery.refetch()} />;
  const d = delivery.data;
  return (
    <Stack>
      <Anchor component={Link} to="/deliveries" size="sm">
        ← Deliveries
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>
          Delivery{' '}
          <Text span ff="monospace" inherit>
            {shortId(d.id)}
          </Text>
        </Title>
        <Group gap="xs">
          <StateBadge state={d.state} />
          {(Object.keys(ACTION_LABELS) as DeliveryAction[]).map((action) => (
            <Button
              key={action}
              size="xs"
              variant={action === 'dead-letter' || action === 'cancel' ? 'outline' : 'light'}
              color={action === 'dead-letter' || action === 'cancel' ? 'red' : undefined}
              loading={act.isPending && act.variables === action}
              onClick={() => act.mutate(action)}
            >
              {ACTION_LABELS[action]}
            </Button>
          ))}
          <Button size="xs" variant="default" onClick={() => void delivery.refetch()}>
            Refresh
          </Button>
        </Group>
      </Group>
      {act.isError ? <Failure error={act.error} /> : null}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Endpoint
          </Text>
          <Text>{d.endpointCode}</Text>
          <Text size="xs" c="dimmed" mt="xs">
            Event type
          </Text>
          <Text>{d.eventType ?? '—'}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Created
          </Text>
          <When at={d.createdAt} />
          <Text size="xs" c="dimmed" mt="xs">
            Next attempt
          </Text>
          <When at={d.nextAttemptAt} />
          <Text size="xs" c="dimmed" mt="xs">
            Completed
          </Text>
          <When at={d.completedAt} />
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Idempotency key
          </Text>
          <Text ff="monospace" size="sm">
            {d.idempotencyKey ?? '—'}
          </Text>
          <Text size="xs" c="dimmed" mt="xs">
            Source event
          </Text>
          {d.sourceEventId ? (
            <Anchor component={Link} to={`/events/${d.sourceEventId}`} ff="monospace" size="sm">
              {shortId(d.sourceEventId)}
            </Anchor>
          ) : (
            <Text>—</Text>
          )}
        </Card>
      </SimpleGrid>
      {d.lastError ? (
        <Alert color="orange" title="Last error">
          {d.lastError}
        </Alert>
      ) : null}
      <Title order={3} size="h4">
        Attempts ({d.attempts.length})
      </Title>
      {d.attempts.length === 0 ? (
        <Empty title="No attempt yet">The dispatcher sends it when it is due.</Empty>
      ) : (
        <Accordion variant="separated" data-testid="attempts">
          {d.attempts.map((attempt) => (
            <Accordion.Item key={attempt.attemptNumber} value={String(attempt.attemptNumber)}>
              <Accordion.Control>
                <Group gap="md">
                  <Text fw={600}>#{attempt.attemptNumber}</Text>
                  <StateBadge state={attempt.outcome} />
                  <Text size="sm">HTTP {attempt.responseStatus ?? '—'}</Text>
                  <Text size="sm">{attempt.durationMs ?? '—'} ms</Text>
                  {attempt.errorClass ? (
                    <Text size="sm" c="red">
                      {attempt.errorClass}
                    </Text>
                  ) : null}
                  <When at={attempt.startedAt} />
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Stack gap="xs">
                  {attempt.error ? (
                    <Text c="red" size="sm">
                      {attempt.error}
                    </Text>
                  ) : null}
                  <Text size="xs" c="dimmed">
                    Request as sent
                  </Text>
                  <Json value={attempt.request} label="Request" />
                  <Text size="xs" c="dimmed">
                    Response body
                  </Text>
                  <Json value={attempt.responseBody} label="Response body" />
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
      <Title order={3} size="h4">
        Payload
      </Title>
      <Json value={d.payload} label="Payload" />
    </Stack>
  );
}

/**
 * Replay by the current filter (error, dead-lettered or canceled), after a confirmation that
 * says how many: the API's dry run counts them when the dialog opens.
 */
function ReplayByFilter({
  query,
}: {
  query: {
    state?: DeliveryState;
    endpoint?: string;
    eventType?: string;
    idempotencyKey?: string;
    sourceEventId?: string;
    from?: string;
    to?: string;
  };
}) {
  const state =
    query.state === 'error' || query.state === 'dead_letter' || query.state === 'canceled'
      ? query.state
      : undefined;
  if (!state) return null;
  const filter = {
    state,
    endpoint: query.endpoint,
    eventType: query.eventType,
    idempotencyKey: query.idempotencyKey,
    sourceEventId: query.sourceEventId,
    from: query.from,
    to: query.to,
  };
  return (
    <BulkActionDialog
      openLabel="Replay matching deliveries"
      title="Replay deliveries"
      description={
        <>
          Every {state.replace('_', ' ')} delivery matching the current filter is reset and queued
          again (deliveries of archived endpoints stay as they are).
        </>
      }
      countKey={['replay-count', filter]}
      count={async () => {
        const r = await call(
          api.POST('/api/v1/deliveries/replay', { body: { ...filter, dryRun: true } }),
        );
        return 'matched' in r ? r.matched : null;
      }}
      run={async () => {
        const r = await call(api.POST('/api/v1/deliveries/replay', { body: filter }));
        return 'replayed' in r ? r.replayed : undefined;
      }}
      invalidate={['deliveries']}
      countingLabel="Counting matching deliveries…"
      countTestId="replay-count"
      confirmText={(matched) => (
        <>
          This will replay {matched} {matched === 1 ? 'delivery' : 'deliveries'}.
        </>
      )}
      doneText={(n) => <>{n} delivery(ies) queued again.</>}
      confirmLabel="Replay"
    />
  );
}
