import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Drawer,
  Group,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import { Empty, Failure, Loading, StateBadge, useUrlState, When } from '../components/common';
import { ConnectorForm } from './connector-form';

/**
 * Connectors: the list with creation, and one connector (edit) with the endpoints it owns
 * and a provision run whose report says what changed. Credentials differ by kind
 * (docs/connectors.md); the form is connector-form.tsx.
 */
export function ConnectorsView() {
  const canConfigure = useCanConfigure();
  const navigate = useNavigate();
  const [params, update] = useUrlState();
  const connectors = useQuery({
    queryKey: ['connectors'],
    queryFn: () => call(api.GET('/api/v1/connectors')),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Connectors</Title>
        {canConfigure ? (
          <Button onClick={() => update({ create: '1' })}>New connector</Button>
        ) : null}
      </Group>
      {canConfigure ? (
        <Drawer
          opened={params.get('create') === '1'}
          onClose={() => update({ create: null })}
          title="New connector"
          position="right"
          size="md"
        >
          <ConnectorForm
            onDone={(saved) =>
              saved ? navigate(`/connectors/${saved.id}`) : update({ create: null })
            }
          />
        </Drawer>
      ) : null}
      {connectors.isPending ? (
        <Loading />
      ) : connectors.isError ? (
        <Failure error={connectors.error} onRetry={() => void connectors.refetch()} />
      ) : connectors.data.length === 0 ? (
        <Empty title="No connector yet">
          A connector links Hookgate to one account of a service (Stripe, a partner HTTP API) and
          provisions the endpoints and handlers it needs.{' '}
          {canConfigure
            ? 'Create one with “New connector”, then provision it.'
            : 'An admin key can create one.'}
        </Empty>
      ) : (
        <Table striped aria-label="Connectors">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Code</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Credentials</Table.Th>
              <Table.Th>Active</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {connectors.data.map((connector) => (
              <Table.Tr key={connector.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/connectors/${connector.id}`}>
                    {connector.code}
                  </Anchor>
                </Table.Td>
                <Table.Td>{connector.kind}</Table.Td>
                <Table.Td>{connector.name}</Table.Td>
                <Table.Td>
                  {connector.credentialsSet ? connector.credentialNames.join(', ') : 'none set'}
                </Table.Td>
                <Table.Td>
                  <Badge color={connector.active ? 'green' : 'gray'}>
                    {connector.active ? 'active' : 'inactive'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export function ConnectorDetailView() {
  const { id = '' } = useParams();
  const canConfigure = useCanConfigure();
  const queryClient = useQueryClient();
  const [params, update] = useUrlState();
  const connector = useQuery({
    queryKey: ['connector', id],
    queryFn: () => call(api.GET('/api/v1/connectors/{id}', { params: { path: { id } } })),
  });
  const provision = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/connectors/{id}/provision', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['connector', id] }),
  });
  if (connector.isPending) return <Loading />;
  if (connector.isError) {
    return <Failure error={connector.error} onRetry={() => void connector.refetch()} />;
  }
  const c = connector.data;
  return (
    <Stack>
      <Anchor component={Link} to="/connectors" size="sm">
        ← Connectors
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>
          {c.name}{' '}
          <Text span c="dimmed" inherit>
            ({c.code})
          </Text>
        </Title>
        {canConfigure ? (
          <Group gap="xs">
            <Button variant="default" onClick={() => update({ edit: '1' })}>
              Edit
            </Button>
            <Button onClick={() => provision.mutate()} loading={provision.isPending}>
              Provision
            </Button>
          </Group>
        ) : null}
      </Group>
      {canConfigure && params.get('edit') === '1' ? (
        <Drawer
          opened
          onClose={() => update({ edit: null })}
          title={`Edit ${c.code}`}
          position="right"
          size="md"
        >
          <ConnectorForm key={c.updatedAt} connector={c} onDone={() => update({ edit: null })} />
        </Drawer>
      ) : null}
      <Text size="sm">
        {c.kind} · prefix <code>{c.technicalPrefix}</code> · updated <When at={c.updatedAt} />
      </Text>
      {provision.isError ? <Failure error={provision.error} /> : null}
      {provision.data ? (
        <Alert
          color={provision.data.changed ? 'blue' : 'gray'}
          title={provision.data.changed ? 'Provisioned: changes below' : 'Nothing to change'}
          role="status"
        >
          <Table aria-label="Provision report">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Entity</Table.Th>
                <Table.Th>Code or path</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Fields</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {provision.data.actions.map((action) => (
                <Table.Tr key={`${action.entity}-${action.id}`}>
                  <Table.Td>{action.entity}</Table.Td>
                  <Table.Td ff="monospace">{action.code}</Table.Td>
                  <Table.Td>{action.action}</Table.Td>
                  <Table.Td>{(action.fields ?? []).join(', ') || '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Alert>
      ) : null}
      <Card withBorder>
        <Text fw={600} mb="xs">
          Inbound endpoint
        </Text>
        {c.inboundEndpoint ? (
          <Text ff="monospace" size="sm">
            {c.inboundEndpoint.url} {c.inboundEndpoint.active ? '' : '(inactive)'}
          </Text>
        ) : (
          <Text size="sm">None{canConfigure ? ' yet: provision creates it.' : '.'}</Text>
        )}
      </Card>
      <Card withBorder>
        <Text fw={600} mb="xs">
          Outbound endpoints
        </Text>
        {c.outboundEndpoints.length === 0 ? (
          <Text size="sm">None{canConfigure ? ' yet: provision creates them.' : '.'}</Text>
        ) : (
          <Table aria-label="Outbound endpoints of the connector">
            <Table.Tbody>
              {c.outboundEndpoints.map((endpoint) => (
                <Table.Tr key={endpoint.id}>
                  <Table.Td ff="monospace">{endpoint.code}</Table.Td>
                  <Table.Td>
                    <StateBadge state={endpoint.state} />
                  </Table.Td>
                  <Table.Td>
                    <Anchor
                      component={Link}
                      to={`/deliveries?endpoint=${encodeURIComponent(endpoint.code)}`}
                      size="sm"
                    >
                      Deliveries
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </Stack>
  );
}
