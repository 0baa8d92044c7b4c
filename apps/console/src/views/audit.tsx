import { Accordion, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { paths } from '@app/client';
import { api, call } from '../api';
import { Empty, Json, PAGE_SIZE, PagedList, useUrlState, When } from '../components/common';
import { Filters, type FilterField } from '../components/filters';

/** The audit log: who changed what, with the entity before and after (secrets redacted). */
type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;
type Entity = NonNullable<AuditQuery['entity']>;
const ENTITIES: Entity[] = [
  'handler',
  'inbound-endpoint',
  'outbound-endpoint',
  'inbound-event',
  'delivery',
  'api-key',
  'tenant',
  'connector',
];

function listAudit(query: AuditQuery) {
  return call(api.GET('/api/v1/audit', { params: { query } }));
}

export function AuditView() {
  const [params, update] = useUrlState();
  const query = {
    limit: PAGE_SIZE,
    cursor: params.get('cursor') ?? undefined,
    entity: (params.get('entity') as Entity | null) ?? undefined,
    action: params.get('action') ?? undefined,
    from: params.get('from') ?? undefined,
    to: params.get('to') ?? undefined,
  };
  const entries = useQuery({ queryKey: ['audit', query], queryFn: () => listAudit(query) });
  const fields: FilterField[] = [
    {
      name: 'entity',
      label: 'Entity',
      kind: 'select',
      options: ENTITIES.map((value) => ({ value, label: value })),
    },
    { name: 'action', label: 'Action', kind: 'text', placeholder: 'handler.update' },
    { name: 'from', label: 'From', kind: 'datetime' },
    { name: 'to', label: 'Before', kind: 'datetime' },
  ];
  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Filters fields={fields} params={params} onChange={update} />
      <PagedList
        list={entries}
        cursor={query.cursor}
        onPage={(cursor) => update({ cursor })}
        empty={
          <Empty title="Nothing recorded here">
            Every configuration change and operator action is recorded here.
          </Empty>
        }
      >
        {(items) => (
          <>
            <Accordion variant="contained" aria-label="Audit entries">
              {items.map((entry) => (
                <Accordion.Item key={entry.id} value={entry.id}>
                  <Accordion.Control>
                    <Group gap="md">
                      <When at={entry.createdAt} />
                      <Text fw={500}>{entry.action}</Text>
                      <Text size="sm" c="dimmed">
                        by {entry.actor}
                      </Text>
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <Changes before={entry.before} after={entry.after} />
                    <SimpleGrid cols={{ base: 1, md: 2 }} mt="sm">
                      <Stack gap={4}>
                        <Text size="xs" c="dimmed">
                          Before
                        </Text>
                        <Json value={entry.before} label="Before" />
                      </Stack>
                      <Stack gap={4}>
                        <Text size="xs" c="dimmed">
                          After
                        </Text>
                        <Json value={entry.after} label="After" />
                      </Stack>
                    </SimpleGrid>
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          </>
        )}
      </PagedList>
    </Stack>
  );
}

/** The top-level fields whose value differs between before and after, side by side. */
function Changes({ before, after }: { before: unknown; after: unknown }) {
  const asObject = (value: unknown): Record<string, unknown> =>
    value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const b = asObject(before);
  const a = asObject(after);
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter(
    (field) => JSON.stringify(b[field]) !== JSON.stringify(a[field]),
  );
  if (fields.length === 0) return <Text size="sm">No field changed.</Text>;
  const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));
  return (
    <Table withTableBorder aria-label="Changed fields">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Field</Table.Th>
          <Table.Th>Before</Table.Th>
          <Table.Th>After</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {fields.map((field) => (
          <Table.Tr key={field}>
            <Table.Td ff="monospace">{field}</Table.Td>
            <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
              {show(b[field])}
            </Table.Td>
            <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
              {show(a[field])}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
