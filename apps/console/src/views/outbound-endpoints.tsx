import {
  Alert,
  Anchor,
  Button,
  Drawer,
  Group,
  JsonInput,
  Modal,
  NumberInput,
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
  SecretShownOnce,
  StateBadge,
  useUrlState,
  shortId,
  When,
} from '../components/common';
import { numberOrUndefined, OtherProblems, problemsOf } from '../components/forms';
import { OutboundEndpointForm } from './outbound-endpoint-form';

/**
 * Outbound endpoints: the paged list, create and edit, activate / archive, a test send, and
 * the rotation of a signing secret.
 */
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
                      <PreviousSecret endpoint={endpoint} />
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
      {signingOf(endpoint).type !== 'none' ? <RotateSigningSecret endpoint={endpoint} /> : null}
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

type Endpoint = Schemas['OutboundEndpointResponse'];

/** The API types `signing` loosely (its shape depends on the scheme); what the list reads. */
const signingOf = (endpoint: Endpoint): { type?: string; previousSecretExpiresAt?: string } =>
  endpoint.signing as { type?: string; previousSecretExpiresAt?: string };

/** During a rotation window: until when the old signing secret signs beside the new one. */
function PreviousSecret({ endpoint }: { endpoint: Endpoint }) {
  const expiresAt = signingOf(endpoint).previousSecretExpiresAt;
  if (!expiresAt || Date.parse(expiresAt) <= Date.now()) return null;
  return (
    <Text size="xs" c="dimmed" data-testid="previous-secret-expiry">
      Previous signing secret signs too until <When at={expiresAt} />
    </Text>
  );
}

/** The API's default overlap (`DEFAULT_OVERLAP_SECONDS`): one day. */
const DEFAULT_OVERLAP_SECONDS = 86_400;

/**
 * Rotation of the signing secret behind a confirmation that says what happens: the API
 * generates the new secret, which is shown here this once; the old one keeps signing beside
 * it for the overlap. Closing the dialog forgets the secret.
 */
function RotateSigningSecret({ endpoint }: { endpoint: Endpoint }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [overlap, setOverlap] = useState<number | string>(DEFAULT_OVERLAP_SECONDS);
  const rotate = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/outbound-endpoints/{id}/rotate-secret', {
          params: { path: { id: endpoint.id } },
          body: { overlapSeconds: numberOrUndefined(overlap) },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['outbound-endpoints'] }),
  });
  function close() {
    rotate.reset();
    setOpen(false);
  }
  const plainHmac =
    signingOf(endpoint).type === 'hmac' &&
    (endpoint.signing as { timestamped?: boolean }).timestamped !== true;
  return (
    <>
      <Button
        size="compact-xs"
        variant="light"
        onClick={() => {
          rotate.reset();
          setOverlap(DEFAULT_OVERLAP_SECONDS);
          setOpen(true);
        }}
        aria-label={`Rotate signing secret of ${endpoint.code}`}
      >
        Rotate secret
      </Button>
      <Modal opened={open} onClose={close} title="Rotate signing secret">
        <Stack>
          <Text>
            A new secret for <strong>{endpoint.code}</strong> signs its requests at once. The old
            one keeps signing beside it for the overlap, so receivers can move to the new secret in
            the meantime; 0 drops it at once.
          </Text>
          <NumberInput
            label="Overlap (seconds)"
            description={
              plainHmac
                ? 'Plain HMAC signing holds one signature: only 0 is accepted.'
                : 'Default: one day (86400).'
            }
            value={overlap}
            onChange={setOverlap}
            min={0}
            error={problemsOf(rotate.error)('overlapSeconds')}
            disabled={rotate.isSuccess}
          />
          {rotate.isError ? (
            <OtherProblems error={rotate.error} shown={['overlapSeconds']} />
          ) : null}
          {rotate.data ? (
            <>
              <SecretShownOnce
                title="Copy the new signing secret now: it is shown this once"
                value={rotate.data.secret}
                testId="new-signing-secret"
              />
              <Text size="sm" data-testid="rotated-previous-expiry">
                {rotate.data.previousSecretExpiresAt ? (
                  <>
                    The previous secret signs too until{' '}
                    <When at={rotate.data.previousSecretExpiresAt} />.
                  </>
                ) : (
                  'The previous secret no longer signs.'
                )}
              </Text>
            </>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Close
            </Button>
            <Button
              onClick={() => rotate.mutate()}
              loading={rotate.isPending}
              disabled={rotate.isSuccess}
            >
              Rotate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
