import { Anchor, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
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
  shortId,
} from '../components/common';

/** Records a model holds (what rules and callbacks wrote), newest first, a page at a time. */
export function RecordsView() {
  const [params, update] = useUrlState();
  const model = params.get('model') ?? '';
  const [draft, setDraft] = useState(model);
  const cursor = params.get('cursor') ?? undefined;
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
  function submit(event: FormEvent) {
    event.preventDefault();
    update({ model: draft.trim() || null });
  }
  return (
    <Stack>
      <Title order={2}>Records</Title>
      <form onSubmit={submit} aria-label="Model">
        <Group align="flex-end">
          <TextInput
            label="Model"
            placeholder="issues"
            value={draft}
            onChange={(event) => setDraft(event.currentTarget.value)}
          />
          <Button type="submit" variant="light">
            Show
          </Button>
        </Group>
      </form>
      {model === '' ? (
        <Empty title="Pick a model">
          Records are what rules (the `targetModel` of a record action) and callbacks write. Type a
          model name to list its records.
        </Empty>
      ) : records.isPending ? (
        <Loading />
      ) : records.isError ? (
        <Failure error={records.error} onRetry={() => void records.refetch()} />
      ) : records.data.items.length === 0 ? (
        <Empty title={`No record in “${model}”`}>
          Check the model name against the handler&apos;s rules.
        </Empty>
      ) : (
        <>
          <Table striped aria-label={`Records of ${model}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Updated</Table.Th>
                <Table.Th>Data</Table.Th>
                <Table.Th>Written by event</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {records.data.items.map((record) => {
                const event = record.updatedByEvent ?? record.createdByEvent;
                return (
                  <Table.Tr key={record.id}>
                    <Table.Td>
                      <When at={record.updatedAt} />
                    </Table.Td>
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
          <Pager
            nextCursor={records.data.nextCursor}
            isFirst={!cursor}
            onPage={(next) => update({ cursor: next })}
          />
        </>
      )}
    </Stack>
  );
}
