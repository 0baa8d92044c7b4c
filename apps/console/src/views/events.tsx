import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
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
import { ExecutionLogView } from '../components/execution-log';
import { Filters, type FilterField } from '../components/filters';

/** Inbound events: the filtered, paged list and one event's detail with its actions. */
type EventState = Schemas['InboundEventSummaryResponse']['state'];
const STATES: EventState[] = ['received', 'processing', 'done', 'error', 'dead_letter', 'rejected'];

export function EventsView() {
  const [params, update] = useUrlState();
  const endpoints = useQuery({
    queryKey: ['inbound-endpoints'],
    queryFn: () => call(api.GET('/api/v1/inbound-endpoints')),
  });
  const query = {
    limit: PAGE_SIZE,
    cursor: params.get('cursor') ?? undefined,
    state: (params.get('state') as EventState | null) ?? undefined,
    endpoint: params.get('endpoint') ?? undefined,
    from: params.get('from') ?? undefined,
    to: params.get('to') ?? undefined,
    q: params.get('q') ?? undefined,
  };
  const events = useQuery({
    queryKey: ['inbound-events', query],
    queryFn: () => call(api.GET('/api/v1/inbound-events', { params: { query } })),
  });
  const fields: FilterField[] = [
    { name: 'state', label: 'State', kind: 'select', options: STATES.map(option) },
    {
      name: 'endpoint',
      label: 'Endpoint',
      kind: 'select',
      options: (endpoints.data ?? []).map((e) => ({ value: e.id, label: e.path })),
    },
    { name: 'from', label: 'Received from', kind: 'datetime' },
    { name: 'to', label: 'Received before', kind: 'datetime' },
    { name: 'q', label: 'Id or identity', kind: 'text', placeholder: 'event id or delivery id' },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Inbound events</Title>
        <ReprocessByFilter query={query} />
      </Group>
      <Filters fields={fields} params={params} onChange={update} />
      <PagedList
        list={events}
        cursor={query.cursor}
        onPage={(cursor) => update({ cursor })}
        empty={
          <Empty title="No events match">
            Events appear here once a provider posts to an inbound endpoint&apos;s webhook URL.
            Create an endpoint under{' '}
            <Anchor component={Link} to="/inbound-endpoints">
              Inbound endpoints
            </Anchor>
            , or widen the filters.
          </Empty>
        }
      >
        {(items) => (
          <>
            <Table striped highlightOnHover aria-label="Inbound events">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Received</Table.Th>
                  <Table.Th>Endpoint</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Rule</Table.Th>
                  <Table.Th>Identity</Table.Th>
                  <Table.Th>Event</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((event) => (
                  <Table.Tr key={event.id}>
                    <Table.Td>
                      <When at={event.receivedAt} />
                    </Table.Td>
                    <Table.Td>{event.endpointPath}</Table.Td>
                    <Table.Td>
                      <StateBadge state={event.state} />
                    </Table.Td>
                    <Table.Td>{event.matchedRule ?? event.rejectReason ?? '—'}</Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace">
                        {event.deliveryIdentity ?? '—'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={`/events/${event.id}`} ff="monospace" size="sm">
                        {shortId(event.id)}
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

function option(value: string) {
  return { value, label: value.replace('_', ' ') };
}

/**
 * Bulk reprocess by the current filter, after a confirmation that says how many: the API's
 * dry run counts them when the dialog opens.
 */
function ReprocessByFilter({
  query,
}: {
  query: { state?: EventState; endpoint?: string; from?: string; to?: string; q?: string };
}) {
  const state = query.state === 'dead_letter' || query.state === 'error' ? query.state : undefined;
  if (!state) return null;
  const body = { state, endpoint: query.endpoint, from: query.from, to: query.to, q: query.q };
  return (
    <BulkActionDialog
      openLabel="Reprocess matching events"
      title="Reprocess events"
      description={
        <>
          Every {state.replace('_', ' ')} event matching the current filter
          {body.endpoint ? ' for this endpoint' : ''}
          {body.from || body.to ? ' in the chosen time range' : ''} is reset and processed again.
        </>
      }
      countKey={['reprocess-count', body]}
      count={async () => {
        const r = await call(
          api.POST('/api/v1/inbound-events/reprocess', { body: { ...body, dryRun: true } }),
        );
        return 'matched' in r ? r.matched : null;
      }}
      run={async () => {
        const r = await call(api.POST('/api/v1/inbound-events/reprocess', { body }));
        return 'reprocessed' in r ? r.reprocessed : undefined;
      }}
      invalidate={['inbound-events']}
      countingLabel="Counting matching events…"
      countTestId="reprocess-count"
      confirmText={(matched) => (
        <>
          This will reprocess {matched} {matched === 1 ? 'event' : 'events'}.
        </>
      )}
      doneText={(n) => <>{n} event(s) queued.</>}
      confirmLabel="Reprocess"
    />
  );
}

/** One admin route per action (`resetInboundEvent`, …): the same answer for each. */
const EVENT_ACTION_PATHS = {
  reset: '/api/v1/inbound-events/{id}/reset',
  process: '/api/v1/inbound-events/{id}/process',
  'dead-letter': '/api/v1/inbound-events/{id}/dead-letter',
} as const;
type EventAction = keyof typeof EVENT_ACTION_PATHS;

export function EventDetailView() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const event = useQuery({
    queryKey: ['inbound-event', id],
    queryFn: () => call(api.GET('/api/v1/inbound-events/{id}', { params: { path: { id } } })),
  });
  const act = useMutation({
    mutationFn: (action: EventAction) =>
      call(api.POST(EVENT_ACTION_PATHS[action], { params: { path: { id } } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(['inbound-event', id], updated);
      void queryClient.invalidateQueries({ queryKey: ['inbound-events'] });
    },
  });
  if (event.isPending) return <Loading />;
  if (event.isError) return <Failure error={event.error} onRetry={() => void event.refetch()} />;
  const e = event.data;
  return (
    <Stack>
      <Anchor component={Link} to="/events" size="sm">
        ← Inbound events
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>
          Event{' '}
          <Text span ff="monospace" inherit>
            {shortId(e.id)}
          </Text>
        </Title>
        <Group gap="xs">
          <StateBadge state={e.state} />
          {(['reset', 'process', 'dead-letter'] as const).map((action) => (
            <Button
              key={action}
              size="xs"
              variant={action === 'dead-letter' ? 'outline' : 'light'}
              color={action === 'dead-letter' ? 'red' : undefined}
              loading={act.isPending && act.variables === action}
              onClick={() => act.mutate(action)}
            >
              {action === 'dead-letter'
                ? 'Dead-letter'
                : action === 'reset'
                  ? 'Reset'
                  : 'Process now'}
            </Button>
          ))}
        </Group>
      </Group>
      {act.isError ? <Failure error={act.error} /> : null}
      {act.isSuccess ? (
        <Alert color="green" role="status">
          Done: the event is now {act.data.state.replace('_', ' ')}.
        </Alert>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Endpoint
          </Text>
          <Text>{e.endpointPath}</Text>
          <Text size="xs" c="dimmed" mt="xs">
            Received
          </Text>
          <When at={e.receivedAt} />
          <Text size="xs" c="dimmed" mt="xs">
            Processed
          </Text>
          <When at={e.processedAt} />
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Matched rule
          </Text>
          <Text data-testid="matched-rule">{e.matchedRule ?? '—'}</Text>
          <Text size="xs" c="dimmed" mt="xs">
            Attempts
          </Text>
          <Text>{e.attempts}</Text>
          <Text size="xs" c="dimmed" mt="xs">
            Duplicates
          </Text>
          <Text>{e.duplicateCount}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            Delivery identity
          </Text>
          <Text ff="monospace" size="sm">
            {e.deliveryIdentity ?? '—'}
          </Text>
          <Text size="xs" c="dimmed" mt="xs">
            Replay identity
          </Text>
          <Text ff="monospace" size="sm">
            {e.replayIdentity ?? '—'}
          </Text>
          <Text size="xs" c="dimmed" mt="xs">
            Semantic
          </Text>
          <Text size="sm">{Object.keys(e.semantic).length ? JSON.stringify(e.semantic) : '—'}</Text>
        </Card>
      </SimpleGrid>
      {e.rejectReason ? (
        <Alert color="red" title={e.rejectCode ? `Rejected: ${e.rejectCode}` : 'Rejected'}>
          {e.rejectReason}
        </Alert>
      ) : null}
      {e.error ? (
        <Alert color="orange" title="Processing error">
          {e.error.message}
        </Alert>
      ) : null}
      <Tabs defaultValue="log" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="log">Execution log</Tabs.Tab>
          <Tabs.Tab value="payload">Payload</Tabs.Tab>
          <Tabs.Tab value="headers">Headers</Tabs.Tab>
          <Tabs.Tab value="raw">Raw body</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="log" pt="sm">
          <ExecutionLogView log={e.executionLog} />
        </Tabs.Panel>
        <Tabs.Panel value="payload" pt="sm">
          <Json value={e.payload} label="Parsed payload" />
        </Tabs.Panel>
        <Tabs.Panel value="headers" pt="sm">
          <Json value={e.headers} label="Request headers" />
        </Tabs.Panel>
        <Tabs.Panel value="raw" pt="sm">
          <Text size="xs" c="dimmed" mb="xs">
            {e.rawBody.bytes ?? 0} bytes, {e.contentType ?? 'no content type'}
          </Text>
          <Json value={decodeBase64(e.rawBody.base64)} label="Body as received" />
        </Tabs.Panel>
      </Tabs>
      <ForwardedDeliveries eventId={e.id} />
    </Stack>
  );
}

/** The deliveries this event's rule forwarded or published (the API's `sourceEventId` filter). */
function ForwardedDeliveries({ eventId }: { eventId: string }) {
  const query = { sourceEventId: eventId, limit: PAGE_SIZE };
  const deliveries = useQuery({
    queryKey: ['deliveries', query],
    queryFn: () => call(api.GET('/api/v1/deliveries', { params: { query } })),
  });
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Deliveries forwarded
      </Title>
      {deliveries.isPending ? (
        <Loading />
      ) : deliveries.isError ? (
        <Failure error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : deliveries.data.items.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="no-forwarded-deliveries">
          None: no rule forwarded or published this event (a forward appears here once the event is
          processed).
        </Text>
      ) : (
        <>
          <Table striped aria-label="Deliveries forwarded">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Created</Table.Th>
                <Table.Th>Endpoint</Table.Th>
                <Table.Th>Event type</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Delivery</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {deliveries.data.items.map((delivery) => (
                <Table.Tr key={delivery.id}>
                  <Table.Td>
                    <When at={delivery.createdAt} />
                  </Table.Td>
                  <Table.Td>{delivery.endpointCode}</Table.Td>
                  <Table.Td>{delivery.eventType ?? '—'}</Table.Td>
                  <Table.Td>
                    <StateBadge state={delivery.state} />
                  </Table.Td>
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
          {deliveries.data.nextCursor ? (
            <Anchor component={Link} to={`/deliveries?sourceEventId=${eventId}`} size="sm">
              All deliveries of this event
            </Anchor>
          ) : null}
        </>
      )}
    </Stack>
  );
}

function decodeBase64(value: string | undefined): string {
  if (!value) return '';
  const bytes = Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
