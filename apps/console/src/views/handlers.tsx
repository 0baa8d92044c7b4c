import {
  Anchor,
  Badge,
  Button,
  Card,
  Drawer,
  Grid,
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
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import { Empty, Failure, Json, Loading, useUrlState } from '../components/common';
import { ExecutionLogView } from '../components/execution-log';
import { OtherProblems, parseJson, problemsOf } from '../components/forms';
import { WithCapabilities, type Capabilities } from '../capabilities';
import { RulesEditor, rulesDto, type Rule } from '../components/rule-form';

/**
 * Handlers and their ordered rules: a JSON rule editor whose API validation messages
 * appear beside it, and the simulator (the API's dry run) on the same page.
 */
export function HandlersView() {
  const canConfigure = useCanConfigure();
  const [params, update] = useUrlState();
  const handlers = useQuery({
    queryKey: ['handlers'],
    queryFn: () => call(api.GET('/api/v1/handlers')),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Handlers &amp; rules</Title>
        {canConfigure ? <Button onClick={() => update({ create: '1' })}>New handler</Button> : null}
      </Group>
      {handlers.isPending ? (
        <Loading />
      ) : handlers.isError ? (
        <Failure error={handlers.error} onRetry={() => void handlers.refetch()} />
      ) : handlers.data.length === 0 ? (
        <Empty title="No handler yet">
          A handler decides what happens to an event: its rules are tried in order and the first
          that matches acts (write a record, forward, dead-letter…).
        </Empty>
      ) : (
        <Table striped aria-label="Handlers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Code</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Direction</Table.Th>
              <Table.Th>Mode</Table.Th>
              <Table.Th>Rules</Table.Th>
              <Table.Th>Active</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {handlers.data.map((handler) => (
              <Table.Tr key={handler.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/handlers/${handler.id}`}>
                    {handler.code}
                  </Anchor>
                </Table.Td>
                <Table.Td>{handler.name}</Table.Td>
                <Table.Td>{handler.direction}</Table.Td>
                <Table.Td>{handler.executionMode}</Table.Td>
                <Table.Td>{handler.rules.length}</Table.Td>
                <Table.Td>
                  <Badge color={handler.active ? 'green' : 'gray'}>
                    {handler.active ? 'active' : 'inactive'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canConfigure ? (
        <Drawer
          opened={params.get('create') === '1'}
          onClose={() => update({ create: null })}
          title="New handler"
          position="right"
          size="lg"
        >
          <WithCapabilities>
            {(capabilities) => <CreateHandler capabilities={capabilities} />}
          </WithCapabilities>
        </Drawer>
      ) : null}
    </Stack>
  );
}

/** A direction's example rules (core's), as the editor holds them. */
const exampleOf = (capabilities: Capabilities, direction: 'inbound' | 'outbound'): Rule[] =>
  capabilities.rules[direction].example as unknown as Rule[];

function CreateHandler({ capabilities }: { capabilities: Capabilities }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [direction, setDirection] = useState<'inbound' | 'outbound'>('inbound');
  const [rules, setRules] = useState<Rule[]>(() => exampleOf(capabilities, 'inbound'));
  // The example follows the direction until the operator edits the rules.
  function changeDirection(next: 'inbound' | 'outbound') {
    if (rules === exampleOf(capabilities, direction)) setRules(exampleOf(capabilities, next));
    setDirection(next);
  }
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/handlers', {
          body: {
            code,
            name,
            direction,
            executionMode: 'rules',
            rules: rulesDto(rules),
          },
        }),
      ),
    onSuccess: (handler) => {
      void queryClient.invalidateQueries({ queryKey: ['handlers'] });
      void navigate(`/handlers/${handler.id}`);
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
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          error={problem('code')}
          required
        />
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={problem('name')}
          required
        />
        <Select
          label="Direction"
          data={['inbound', 'outbound']}
          value={direction}
          onChange={(value) => changeDirection(value === 'outbound' ? 'outbound' : 'inbound')}
          allowDeselect={false}
        />
        <Text size="sm" fw={500}>
          Rules, tried in sequence order
        </Text>
        <RulesEditor
          rules={rules}
          onChange={setRules}
          direction={direction}
          error={create.error}
          jsonLabel="Rules (tried in sequence order)"
        />
        <OtherProblems error={create.error} shown={['code', 'name', 'rules', 'rules.*']} />
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            Create handler
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function HandlerDetailView() {
  const { id = '' } = useParams();
  const handler = useQuery({
    queryKey: ['handler', id],
    queryFn: () => call(api.GET('/api/v1/handlers/{id}', { params: { path: { id } } })),
  });
  if (handler.isPending) return <Loading />;
  if (handler.isError)
    return <Failure error={handler.error} onRetry={() => void handler.refetch()} />;
  return (
    <Stack>
      <Anchor component={Link} to="/handlers" size="sm">
        ← Handlers &amp; rules
      </Anchor>
      <Title order={2}>
        {handler.data.name}{' '}
        <Text span c="dimmed" inherit>
          ({handler.data.code})
        </Text>
      </Title>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <RuleEditor handler={handler.data} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <Simulator handler={handler.data} />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function RuleEditor({ handler }: { handler: Schemas['HandlerResponse'] }) {
  const canConfigure = useCanConfigure();
  const queryClient = useQueryClient();
  const [rules, setRules] = useState<Rule[]>(() => handler.rules as unknown as Rule[]);
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/api/v1/handlers/{id}', {
          params: { path: { id: handler.id } },
          body: {
            name: handler.name,
            executionMode: handler.executionMode,
            callback: handler.callback ?? undefined,
            active: handler.active,
            maxRetries: handler.maxRetries,
            rules: rulesDto(rules),
          },
        }),
      ),
    onSuccess: (updated) => {
      queryClient.setQueryData(['handler', handler.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['handlers'] });
    },
  });
  return (
    <Card withBorder>
      <Stack>
        <Text fw={600}>Rules</Text>
        <RulesEditor
          rules={rules}
          onChange={setRules}
          direction={handler.direction}
          error={save.error}
          readOnly={!canConfigure}
          jsonLabel="Rules"
        />
        {save.isSuccess ? (
          <Text c="green" size="sm" role="status">
            Saved.
          </Text>
        ) : null}
        {canConfigure ? (
          <Group justify="flex-end">
            <Button onClick={() => save.mutate()} loading={save.isPending}>
              Save rules
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Read only: changing rules needs an admin key.
          </Text>
        )}
      </Stack>
    </Card>
  );
}

/** What a stored event adds to a simulation beyond its payload and headers. */
interface StoredEventFacts {
  id: string;
  query: Record<string, unknown>;
  semantic: Record<string, unknown>;
  event: NonNullable<Schemas['SimulateHandlerDto']['event']>;
}

function Simulator({ handler }: { handler: Schemas['HandlerResponse'] }) {
  const inbound = handler.direction === 'inbound';
  const [params, update] = useUrlState();
  // The stored event picked as input lives in the URL (`?event=`), so the link reopens it.
  const storedId = inbound ? (params.get('event') ?? '') : '';
  const [eventInput, setEventInput] = useState(storedId);
  const [payload, setPayload] = useState(
    '{\n  "action": "opened",\n  "issue": { "number": 1, "title": "Hello" }\n}',
  );
  const [headers, setHeaders] = useState('{}');
  const [facts, setFacts] = useState<StoredEventFacts | null>(null);
  const stored = useQuery({
    queryKey: ['simulator-event', storedId],
    queryFn: () =>
      call(api.GET('/api/v1/inbound-events/{id}', { params: { path: { id: storedId } } })),
    enabled: storedId !== '',
    staleTime: Infinity,
  });
  // A newly loaded event replaces the inputs once (adjusting state while rendering, as
  // React advises over an effect); later edits to the fields are the operator's.
  if (stored.data && stored.data.id !== facts?.id) {
    const e = stored.data;
    setFacts({
      id: e.id,
      query: e.query,
      semantic: e.semantic,
      event: {
        id: e.id,
        receivedAt: e.receivedAt,
        endpointPath: e.endpointPath,
        deliveryIdentity: e.deliveryIdentity ?? undefined,
        replayIdentity: e.replayIdentity ?? undefined,
        attempts: Math.max(1, e.attempts),
      },
    });
    setPayload(JSON.stringify(e.payload, null, 2));
    setHeaders(JSON.stringify(e.headers, null, 2));
  }
  const parsedPayload = parseJson(payload);
  const parsedHeaders = parseJson(headers);
  const simulate = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/handlers/{id}/simulate', {
          params: { path: { id: handler.id } },
          body: {
            payload: parsedPayload.value as Record<string, never>,
            // Headers, query, semantic values and event facts describe inbound events only.
            ...(inbound
              ? {
                  headers: parsedHeaders.value as Record<string, never>,
                  ...(facts && facts.id === storedId
                    ? {
                        query: facts.query as Record<string, never>,
                        semantic: facts.semantic as Record<string, never>,
                        event: facts.event,
                      }
                    : {}),
                }
              : {}),
          },
        }),
      ),
  });
  function loadStored(event: FormEvent) {
    event.preventDefault();
    // Ids are lowercase as the API answers them, so the loaded event matches the URL's.
    update({ event: eventInput.trim().toLowerCase() || null });
  }
  return (
    <Card withBorder>
      <Stack>
        <Text fw={600}>Simulator</Text>
        <Text size="sm" c="dimmed">
          Runs the stored rules on a payload and says what they would do. Nothing is written.
        </Text>
        {inbound ? (
          <form onSubmit={loadStored} aria-label="Pick a stored event">
            <Group align="flex-end" gap="sm">
              <TextInput
                label="Stored event id"
                placeholder="an inbound event id"
                value={eventInput}
                onChange={(e) => setEventInput(e.currentTarget.value)}
                error={stored.isError ? stored.error.message : undefined}
                style={{ flex: 1 }}
              />
              <Button type="submit" variant="light" loading={stored.isFetching}>
                Load event
              </Button>
              {storedId ? (
                <Button
                  variant="default"
                  onClick={() => {
                    setEventInput('');
                    setFacts(null);
                    update({ event: null });
                  }}
                >
                  Forget
                </Button>
              ) : null}
            </Group>
          </form>
        ) : null}
        {facts && facts.id === storedId ? (
          <Text size="sm" role="status" data-testid="simulator-stored-event">
            Input from event{' '}
            <Anchor component={Link} to={`/events/${facts.id}`} ff="monospace" size="sm">
              {facts.id}
            </Anchor>
            : its payload and headers below, with its query, semantic values and identities.
          </Text>
        ) : null}
        <JsonInput
          label="Payload"
          value={payload}
          onChange={setPayload}
          autosize
          minRows={6}
          error={parsedPayload.error}
        />
        {inbound ? (
          <JsonInput
            label="Headers"
            value={headers}
            onChange={setHeaders}
            autosize
            minRows={2}
            error={parsedHeaders.error}
          />
        ) : null}
        <Group justify="flex-end">
          <Button
            onClick={() => simulate.mutate()}
            loading={simulate.isPending}
            disabled={Boolean(parsedPayload.error || (inbound && parsedHeaders.error))}
          >
            Simulate
          </Button>
        </Group>
        {simulate.isError ? <OtherProblems error={simulate.error} shown={[]} /> : null}
        {simulate.data ? (
          <Stack data-testid="simulation">
            <Group gap="xs">
              <Text size="sm">Would match:</Text>
              <Badge color={simulate.data.matchedRule ? 'green' : 'gray'}>
                {simulate.data.matchedRule ?? 'no rule'}
              </Badge>
              <Text size="sm">Action:</Text>
              <Badge>{simulate.data.action}</Badge>
            </Group>
            <Text size="xs" c="dimmed">
              What it would do
            </Text>
            <Json value={simulate.data.effects} label="Effects" />
            <ExecutionLogView log={simulate.data.executionLog} />
          </Stack>
        ) : null}
      </Stack>
    </Card>
  );
}
