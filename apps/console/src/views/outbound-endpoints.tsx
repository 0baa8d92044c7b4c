import {
  Alert,
  Anchor,
  Button,
  Drawer,
  Group,
  JsonInput,
  Select,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import {
  Empty,
  Failure,
  Loading,
  PAGE_SIZE,
  PagedList,
  StateBadge,
  useUrlState,
  shortId,
} from '../components/common';
import { OtherProblems } from '../components/forms';
import { OutboundEndpointForm } from './outbound-endpoint-form';

/** Outbound endpoints: the paged list, create and edit, activate / archive, and a test send. */
type EndpointState = Schemas['OutboundEndpointResponse']['state'];

export function OutboundEndpointsView() {
  const canConfigure = useCanConfigure();
  const [params, update] = useUrlState();
  const query = {
    limit: PAGE_SIZE,
    cursor: params.get('cursor') ?? undefined,
    state: (params.get('state') as EndpointState | null) ?? undefined,
  };
  const endpoints = useQuery({
    queryKey: ['outbound-endpoints', query],
    queryFn: () => call(api.GET('/api/v1/outbound-endpoints', { params: { query } })),
  });
  const selected = endpoints.data?.items.find((e) => e.id === params.get('test'));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Outbound endpoints</Title>
        {canConfigure ? (
          <Button onClick={() => update({ create: '1' })}>New outbound endpoint</Button>
        ) : null}
      </Group>
      <Group>
        <Select
          label="State"
          data={['draft', 'active', 'archived']}
          value={query.state ?? null}
          onChange={(value) => update({ state: value })}
          clearable
          placeholder="any"
          w={180}
        />
      </Group>
      <PagedList
        list={endpoints}
        cursor={query.cursor}
        onPage={(cursor) => update({ cursor })}
        empty={
          <Empty title="No outbound endpoint here">
            An outbound endpoint is a receiver Hookgate delivers to, with retries, signing and rate
            limits. {canConfigure ? 'Create one with “New outbound endpoint”.' : ''}
          </Empty>
        }
      >
        {(items) => (
          <>
            <Table striped aria-label="Outbound endpoints">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Code</Table.Th>
                  <Table.Th>Target</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Health</Table.Th>
                  <Table.Th>Deliveries</Table.Th>
                  {canConfigure ? <Table.Th>Actions</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((endpoint) => (
                  <Table.Tr key={endpoint.id}>
                    <Table.Td>
                      <Text fw={500}>{endpoint.code}</Text>
                      <Text size="xs" c="dimmed">
                        {endpoint.name}
                      </Text>
                    </Table.Td>
                    <Table.Td ff="monospace">
                      <Text size="sm">
                        {endpoint.method} {endpoint.targetHost}
                        {endpoint.targetPath}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={endpoint.state} />
                    </Table.Td>
                    <Table.Td>
                      {endpoint.disabledAt
                        ? `disabled: ${endpoint.disabledReason ?? ''}`
                        : endpoint.consecutiveFailures > 0
                          ? `${endpoint.consecutiveFailures} failures in a row`
                          : 'healthy'}
                    </Table.Td>
                    <Table.Td>
                      <Anchor
                        component={Link}
                        to={`/deliveries?endpoint=${encodeURIComponent(endpoint.code)}`}
                        size="sm"
                      >
                        View
                      </Anchor>
                    </Table.Td>
                    {canConfigure ? (
                      <Table.Td>
                        <EndpointActions
                          endpoint={endpoint}
                          onEdit={() => update({ edit: endpoint.id })}
                          onTest={() => update({ test: endpoint.id })}
                        />
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </PagedList>
      {canConfigure ? (
        <>
          <Drawer
            opened={params.get('create') === '1'}
            onClose={() => update({ create: null })}
            title="New outbound endpoint"
            position="right"
            size="lg"
          >
            <OutboundEndpointForm onDone={() => update({ create: null })} />
          </Drawer>
          {params.get('edit') ? (
            <Drawer
              opened
              onClose={() => update({ edit: null })}
              title="Edit outbound endpoint"
              position="right"
              size="lg"
            >
              <EditOutboundEndpoint
                id={params.get('edit')!}
                onDone={() => update({ edit: null })}
              />
            </Drawer>
          ) : null}
          <Drawer
            opened={Boolean(selected)}
            onClose={() => update({ test: null })}
            title={`Test send to ${selected?.code ?? ''}`}
            position="right"
            size="md"
          >
            {selected ? <TestSend endpoint={selected} /> : null}
          </Drawer>
        </>
      ) : null}
    </Stack>
  );
}

function EndpointActions({
  endpoint,
  onEdit,
  onTest,
}: {
  endpoint: Schemas['OutboundEndpointResponse'];
  onEdit: () => void;
  onTest: () => void;
}) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (action: 'activate' | 'archive') =>
      call(
        action === 'activate'
          ? api.POST('/api/v1/outbound-endpoints/{id}/activate', {
              params: { path: { id: endpoint.id } },
            })
          : api.POST('/api/v1/outbound-endpoints/{id}/archive', {
              params: { path: { id: endpoint.id } },
            }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['outbound-endpoints'] }),
  });
  return (
    <Group gap={4}>
      <Button
        size="compact-xs"
        variant="light"
        onClick={onEdit}
        aria-label={`Edit ${endpoint.code}`}
      >
        Edit
      </Button>
      {endpoint.state !== 'active' ? (
        <Button
          size="compact-xs"
          variant="light"
          onClick={() => change.mutate('activate')}
          loading={change.isPending}
        >
          Activate
        </Button>
      ) : null}
      {endpoint.state !== 'archived' ? (
        <Button
          size="compact-xs"
          variant="subtle"
          color="red"
          onClick={() => change.mutate('archive')}
          loading={change.isPending}
        >
          Archive
        </Button>
      ) : null}
      <Button size="compact-xs" variant="light" onClick={onTest}>
        Test send
      </Button>
      {change.isError ? (
        <Text c="red" size="xs">
          {change.error.message}
        </Text>
      ) : null}
    </Group>
  );
}

/** The endpoint as stored now (a deep link may name one that is not on this page). */
function EditOutboundEndpoint({ id, onDone }: { id: string; onDone: () => void }) {
  const endpoint = useQuery({
    queryKey: ['outbound-endpoints', 'one', id],
    queryFn: () => call(api.GET('/api/v1/outbound-endpoints/{id}', { params: { path: { id } } })),
  });
  if (endpoint.isPending) return <Loading />;
  if (endpoint.isError) {
    return <Failure error={endpoint.error} onRetry={() => void endpoint.refetch()} />;
  }
  return (
    <OutboundEndpointForm key={endpoint.data.updatedAt} endpoint={endpoint.data} onDone={onDone} />
  );
}

function TestSend({ endpoint }: { endpoint: Schemas['OutboundEndpointResponse'] }) {
  const [payload, setPayload] = useState('{\n  "hello": "world"\n}');
  const [context, setContext] = useState('{}');
  const send = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/outbound-endpoints/{id}/test', {
          params: { path: { id: endpoint.id } },
          body: {
            payload: JSON.parse(payload) as Record<string, never>,
            context: JSON.parse(context) as Record<string, never>,
          },
        }),
      ),
  });
  return (
    <Stack>
      <JsonInput
        label="Payload"
        value={payload}
        onChange={setPayload}
        autosize
        minRows={5}
        validationError="Invalid JSON"
      />
      <JsonInput
        label="Context (values for {tokens} in the path)"
        value={context}
        onChange={setContext}
        autosize
        minRows={2}
        validationError="Invalid JSON"
      />
      <Group justify="flex-end">
        <Button onClick={() => send.mutate()} loading={send.isPending}>
          Send test
        </Button>
      </Group>
      {send.isError ? <OtherProblems error={send.error} shown={[]} /> : null}
      {send.data ? (
        <Alert color="blue" title="Test delivery queued" role="status">
          <Anchor component={Link} to={`/deliveries/${send.data.id}`}>
            Open delivery {shortId(send.data.id)}
          </Anchor>{' '}
          to see its attempt.
        </Alert>
      ) : null}
    </Stack>
  );
}
