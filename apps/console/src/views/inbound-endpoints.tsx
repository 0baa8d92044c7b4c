import { Badge, Button, CopyButton, Drawer, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import { Empty, Failure, Loading, useUrlState } from '../components/common';
import { InboundEndpointForm } from './inbound-endpoint-form';

/** Inbound endpoints: the list with each webhook URL, and create / edit (inbound-endpoint-form). */
export function InboundEndpointsView() {
  const canConfigure = useCanConfigure();
  const [params, update] = useUrlState();
  const endpoints = useQuery({
    queryKey: ['inbound-endpoints'],
    queryFn: () => call(api.GET('/api/v1/inbound-endpoints')),
  });
  const handlers = useQuery({
    queryKey: ['handlers'],
    queryFn: () => call(api.GET('/api/v1/handlers')),
  });
  const editing = endpoints.data?.find((endpoint) => endpoint.id === params.get('edit'));
  const inboundHandlers = (handlers.data ?? []).filter((h) => h.direction === 'inbound');
  const handlerCode = (id: string) =>
    handlers.data?.find((h) => h.id === id)?.code ?? id.slice(0, 8);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Inbound endpoints</Title>
        {canConfigure ? (
          <Button onClick={() => update({ create: '1' })}>New inbound endpoint</Button>
        ) : null}
      </Group>
      {endpoints.isPending ? (
        <Loading />
      ) : endpoints.isError ? (
        <Failure error={endpoints.error} onRetry={() => void endpoints.refetch()} />
      ) : endpoints.data.length === 0 ? (
        <Empty title="No inbound endpoint yet">
          An endpoint receives a provider&apos;s webhooks at /webhooks/&lt;path&gt;, verifies them
          and hands them to a handler.{' '}
          {canConfigure
            ? 'Create one with “New inbound endpoint”.'
            : 'An admin key can create one.'}
        </Empty>
      ) : (
        <Table striped aria-label="Inbound endpoints">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Webhook URL</Table.Th>
              <Table.Th>Signature</Table.Th>
              <Table.Th>Handler</Table.Th>
              <Table.Th>Active</Table.Th>
              {canConfigure ? <Table.Th>Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {endpoints.data.map((endpoint) => (
              <Table.Tr key={endpoint.id}>
                <Table.Td>{endpoint.name}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text ff="monospace" size="sm">
                      {endpoint.url}
                    </Text>
                    <CopyButton value={endpoint.url}>
                      {({ copied, copy }) => (
                        <Button size="compact-xs" variant="subtle" onClick={copy}>
                          {copied ? 'Copied' : 'Copy'}
                        </Button>
                      )}
                    </CopyButton>
                  </Group>
                </Table.Td>
                <Table.Td>
                  {String(endpoint.signature.preset ?? endpoint.signature.mode ?? '—')}
                  {endpoint.signature.secretSet ? ' · secret set' : ''}
                </Table.Td>
                <Table.Td>{handlerCode(endpoint.handlerId)}</Table.Td>
                <Table.Td>
                  <Badge color={endpoint.active ? 'green' : 'gray'}>
                    {endpoint.active ? 'active' : 'inactive'}
                  </Badge>
                </Table.Td>
                {canConfigure ? (
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="light"
                      onClick={() => update({ edit: endpoint.id })}
                      aria-label={`Edit ${endpoint.name}`}
                    >
                      Edit
                    </Button>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canConfigure ? (
        <Drawer
          opened={params.get('create') === '1'}
          onClose={() => update({ create: null })}
          title="New inbound endpoint"
          position="right"
          size="lg"
        >
          <InboundEndpointForm handlers={inboundHandlers} onDone={() => update({ create: null })} />
        </Drawer>
      ) : null}
      {canConfigure && editing ? (
        <Drawer
          opened
          onClose={() => update({ edit: null })}
          title={`Edit ${editing.name}`}
          position="right"
          size="lg"
        >
          <InboundEndpointForm
            endpoint={editing}
            handlers={inboundHandlers}
            onDone={() => update({ edit: null })}
          />
        </Drawer>
      ) : null}
    </Stack>
  );
}
