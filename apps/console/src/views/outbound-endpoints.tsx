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
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import {
  Empty,
  Failure,
  Loading,
  PAGE_SIZE,
  Pager,
  StateBadge,
  useUrlState,
  shortId,
} from '../components/common';
import { OtherProblems, problemsOf } from '../components/forms';

/** Outbound endpoints: the paged list, creation, activate / archive, and a test send. */
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
      {endpoints.isPending ? (
        <Loading />
      ) : endpoints.isError ? (
        <Failure error={endpoints.error} onRetry={() => void endpoints.refetch()} />
      ) : endpoints.data.items.length === 0 ? (
        <Empty title="No outbound endpoint here">
          An outbound endpoint is a receiver Hookgate delivers to, with retries, signing and rate
          limits. {canConfigure ? 'Create one with “New outbound endpoint”.' : ''}
        </Empty>
      ) : (
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
              {endpoints.data.items.map((endpoint) => (
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
                        onTest={() => update({ test: endpoint.id })}
                      />
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager
            nextCursor={endpoints.data.nextCursor}
            isFirst={!query.cursor}
            onPage={(cursor) => update({ cursor })}
          />
        </>
      )}
      {canConfigure ? (
        <>
          <Drawer
            opened={params.get('create') === '1'}
            onClose={() => update({ create: null })}
            title="New outbound endpoint"
            position="right"
            size="md"
          >
            <CreateOutboundEndpoint onDone={() => update({ create: null })} />
          </Drawer>
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
  onTest,
}: {
  endpoint: Schemas['OutboundEndpointResponse'];
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

function CreateOutboundEndpoint({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    code: '',
    name: '',
    targetHost: '',
    targetPath: '',
    method: 'POST',
    state: 'active',
  });
  const set = (key: keyof typeof form) => (value: string | null) =>
    setForm((current) => ({ ...current, [key]: value ?? '' }));
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/outbound-endpoints', {
          body: {
            code: form.code,
            name: form.name,
            targetHost: form.targetHost,
            targetPath: form.targetPath,
            method: form.method as Schemas['CreateOutboundEndpointDto']['method'],
            state: form.state as Schemas['CreateOutboundEndpointDto']['state'],
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['outbound-endpoints'] });
      onDone();
    },
  });
  const problem = problemsOf(create.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput
          label="Code"
          value={form.code}
          onChange={(e) => set('code')(e.currentTarget.value)}
          error={problem('code')}
          required
        />
        <TextInput
          label="Name"
          value={form.name}
          onChange={(e) => set('name')(e.currentTarget.value)}
          error={problem('name')}
          required
        />
        <TextInput
          label="Target host"
          placeholder="https://crm.example.com/api"
          value={form.targetHost}
          onChange={(e) => set('targetHost')(e.currentTarget.value)}
          error={problem('targetHost')}
          required
        />
        <TextInput
          label="Target path"
          placeholder="/orders/{orderId}/events"
          value={form.targetPath}
          onChange={(e) => set('targetPath')(e.currentTarget.value)}
          error={problem('targetPath')}
        />
        <Group grow>
          <Select
            label="Method"
            data={['POST', 'PUT', 'PATCH', 'DELETE']}
            value={form.method}
            onChange={set('method')}
            allowDeselect={false}
          />
          <Select
            label="Initial state"
            data={['draft', 'active']}
            value={form.state}
            onChange={set('state')}
            allowDeselect={false}
          />
        </Group>
        <OtherProblems error={create.error} shown={['code', 'name', 'targetHost', 'targetPath']} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create endpoint
          </Button>
        </Group>
      </Stack>
    </form>
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
