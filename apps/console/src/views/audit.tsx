import { Accordion, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import {
  Empty,
  Failure,
  Json,
  Loading,
  PAGE_SIZE,
  Pager,
  useUrlState,
  When,
} from '../components/common';
import { Filters, type FilterField } from '../components/filters';

/** The audit log: who changed what, with the entity before and after (secrets redacted). */
type Entity = NonNullable<NonNullable<Parameters<typeof listAudit>[0]>['entity']>;
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

function listAudit(query: {
  limit?: number;
  cursor?: string;
  entity?: Schemas['AuditEntryResponse']['entityType'] extends string
    ? | 'handler'
      | 'inbound-endpoint'
      | 'outbound-endpoint'
      | 'inbound-event'
      | 'delivery'
      | 'api-key'
      | 'tenant'
      | 'connector'
    : never;
  action?: string;
  from?: string;
  to?: string;
}) {
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
      {entries.isPending ? (
        <Loading />
      ) : entries.isError ? (
        <Failure error={entries.error} onRetry={() => void entries.refetch()} />
      ) : entries.data.items.length === 0 ? (
        <Empty title="Nothing recorded here">
          Every configuration change and operator action is recorded here.
        </Empty>
      ) : (
        <>
          <Accordion variant="contained" aria-label="Audit entries">
            {entries.data.items.map((entry) => (
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
                  <SimpleGrid cols={{ base: 1, md: 2 }}>
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
          <Pager
            nextCursor={entries.data.nextCursor}
            isFirst={!query.cursor}
            onPage={(cursor) => update({ cursor })}
          />
        </>
      )}
    </Stack>
  );
}
