import { Anchor, Badge, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import {
  Empty,
  Failure,
  Json,
  Loading,
  PAGE_SIZE,
  PagedList,
  useUrlState,
  When,
  shortId,
} from '../components/common';

type RecordModel = Schemas['RecordModelResponse'];

/**
 * Records per model, newest first, a page at a time. The models come from the API
 * (`GET /record-models`: those holding records and those a rule writes), each with the
 * fields its rules assign, which become the table's columns; the whole document stays
 * beside them, as fields a callback wrote may be others.
 */
export function RecordsView() {
  const [params, update] = useUrlState();
  const model = params.get('model') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  const models = useQuery({
    queryKey: ['record-models'],
    queryFn: () => call(api.GET('/api/v1/record-models')),
  });
  const records = useQuery({
    queryKey: ['records', model, cursor],
    enabled: model !== '',
    queryFn: () =>
      call(
        api.GET('/api/v1/records/{model}', {
          params: { path: { model }, query: { limit: PAGE_SIZE, cursor } },
        }),
      ),
  });
  const known = models.data?.find((m) => m.model === model);
  const options = (models.data ?? []).map((m) => ({
    value: m.model,
    label: m.hasRecords ? m.model : `${m.model} (no record yet)`,
  }));
  // A deep link may name a model the list does not hold (yet): it stays pickable.
  if (model !== '' && models.data && !known) options.push({ value: model, label: model });
  return (
    <Stack>
      <Title order={2}>Records</Title>
      {models.isPending ? (
        <Loading label="Loading models…" />
      ) : models.isError ? (
        <Failure error={models.error} onRetry={() => void models.refetch()} />
      ) : (
        <Group align="flex-end">
          <Select
            label="Model"
            placeholder={options.length > 0 ? 'Pick a model' : 'No model yet'}
            data={options}
            value={model || null}
            onChange={(value) => update({ model: value, cursor: null })}
            searchable
            nothingFoundMessage="No such model"
            w={320}
          />
          {known ? <ModelFacts model={known} /> : null}
        </Group>
      )}
      {model === '' ? (
        models.data && models.data.length === 0 ? (
          <Empty title="No record model yet">
            Records are what rules (the `targetModel` of a record action) and callbacks write. Add a
            rule with a record action to a handler; its model appears here.
          </Empty>
        ) : (
          <Empty title="Pick a model">Pick a model above to list its records.</Empty>
        )
      ) : (
        <PagedList
          list={records}
          cursor={cursor}
          onPage={(next) => update({ cursor: next })}
          empty={
            <Empty title={`No record in “${model}”`}>
              {known && known.handlers.length > 0
                ? 'Its rules have not written one yet: send an event they match.'
                : 'Check the model name against the handler’s rules.'}
            </Empty>
          }
        >
          {(items) => <RecordsTable model={model} fields={known?.fields ?? []} items={items} />}
        </PagedList>
      )}
    </Stack>
  );
}

function ModelFacts({ model }: { model: RecordModel }) {
  return (
    <Stack gap={4} pb={4}>
      <Group gap="xs">
        <Text size="sm" c="dimmed">
          Written by
        </Text>
        {model.handlers.length === 0 ? (
          <Text size="sm">no rule (a callback, or a rule since removed)</Text>
        ) : (
          model.handlers.map((code) => (
            <Badge key={code} variant="light">
              {code}
            </Badge>
          ))
        )}
      </Group>
      {model.fields.length > 0 ? (
        <Text size="sm" c="dimmed" data-testid="model-fields">
          Fields: {model.fields.join(', ')}
        </Text>
      ) : null}
    </Stack>
  );
}

/** A data field's value by its dotted path, as a rule assigns it. */
function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const shown = (value: unknown): string =>
  value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);

function RecordsTable({
  model,
  fields,
  items,
}: {
  model: string;
  fields: string[];
  items: Array<Schemas['RecordResponse']>;
}) {
  return (
    <Table striped aria-label={`Records of ${model}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Updated</Table.Th>
          {fields.map((field) => (
            <Table.Th key={field}>{field}</Table.Th>
          ))}
          <Table.Th>Data</Table.Th>
          <Table.Th>Written by event</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((record) => {
          const event = record.updatedByEvent ?? record.createdByEvent;
          return (
            <Table.Tr key={record.id}>
              <Table.Td>
                <When at={record.updatedAt} />
              </Table.Td>
              {fields.map((field) => (
                <Table.Td key={field}>
                  <Text size="sm" ff="monospace">
                    {shown(valueAt(record.data, field))}
                  </Text>
                </Table.Td>
              ))}
              <Table.Td>
                <Json value={record.data} label={`Record ${record.id}`} />
              </Table.Td>
              <Table.Td>
                {event ? (
                  <Anchor component={Link} to={`/events/${event}`} ff="monospace" size="sm">
                    {shortId(event)}
                  </Anchor>
                ) : (
                  <Text size="sm">—</Text>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
