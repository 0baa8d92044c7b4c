import {
  Badge,
  Button,
  Checkbox,
  Drawer,
  Group,
  JsonInput,
  Modal,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { useCanConfigure } from '../auth';
import { Empty, Failure, Loading, useUrlState } from '../components/common';
import { OtherProblems, parseJson, problemsOf, problemsUnder } from '../components/forms';

/**
 * Record triggers: a change (created, updated, deleted) to a record of a model publishes an
 * event type to the outbound endpoints subscribed to it. The list (the API answers every
 * trigger of the tenant at once, by code: no paging), and for admin keys create and edit in
 * a drawer (its state in the URL, like the other views) and delete after a confirmation.
 */
type Trigger = Schemas['RecordTriggerResponse'];
type SaveBody = Schemas['SaveRecordTriggerDto'];
type Operation = Trigger['operations'][number];

const OPERATIONS: Operation[] = ['created', 'updated', 'deleted'];

export function RecordTriggersView() {
  const canConfigure = useCanConfigure();
  const [params, update] = useUrlState();
  const [deleting, setDeleting] = useState<Trigger | undefined>();
  const triggers = useQuery({
    queryKey: ['record-triggers'],
    queryFn: () => call(api.GET('/api/v1/record-triggers')),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Record triggers</Title>
        {canConfigure ? (
          <Button onClick={() => update({ create: '1' })}>New record trigger</Button>
        ) : null}
      </Group>
      {triggers.isPending ? (
        <Loading />
      ) : triggers.isError ? (
        <Failure error={triggers.error} onRetry={() => void triggers.refetch()} />
      ) : triggers.data.length === 0 ? (
        <Empty title="No record trigger">
          A record trigger publishes an event when a record of a model is created, updated or
          deleted; outbound endpoints subscribed to its event type receive it.{' '}
          {canConfigure ? 'Create one with “New record trigger”.' : ''}
        </Empty>
      ) : (
        <Table striped aria-label="Record triggers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Code</Table.Th>
              <Table.Th>Model</Table.Th>
              <Table.Th>Operations</Table.Th>
              <Table.Th>Changed fields &amp; conditions</Table.Th>
              <Table.Th>Publishes</Table.Th>
              <Table.Th>Active</Table.Th>
              {canConfigure ? <Table.Th>Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {triggers.data.map((trigger) => (
              <Table.Tr key={trigger.id}>
                <Table.Td>
                  <Text fw={500}>{trigger.code}</Text>
                  <Text size="xs" c="dimmed">
                    {trigger.name}
                  </Text>
                </Table.Td>
                <Table.Td ff="monospace">{trigger.model}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {trigger.operations.map((operation) => (
                      <Badge key={operation} variant="light" radius="sm">
                        {operation}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {trigger.changedFields.length > 0
                      ? `updates of ${trigger.changedFields.join(', ')}`
                      : 'any update'}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {trigger.conditions.length === 0
                      ? 'no condition'
                      : `${trigger.conditions.length} condition(s)`}
                  </Text>
                </Table.Td>
                <Table.Td ff="monospace">
                  {trigger.publishes.map((type) => (
                    <Text key={type} size="sm">
                      {type}
                    </Text>
                  ))}
                </Table.Td>
                <Table.Td>
                  {trigger.active ? (
                    <Badge color="green" radius="sm">
                      active
                    </Badge>
                  ) : (
                    <Badge color="gray" radius="sm">
                      inactive
                    </Badge>
                  )}
                </Table.Td>
                {canConfigure ? (
                  <Table.Td>
                    <Group gap={4}>
                      <Button
                        size="compact-xs"
                        variant="light"
                        onClick={() => update({ edit: trigger.id })}
                        aria-label={`Edit ${trigger.code}`}
                      >
                        Edit
                      </Button>
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setDeleting(trigger)}
                        aria-label={`Delete ${trigger.code}`}
                      >
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canConfigure ? (
        <>
          <Drawer
            opened={params.get('create') === '1'}
            onClose={() => update({ create: null })}
            title="New record trigger"
            position="right"
            size="lg"
          >
            <RecordTriggerForm onDone={() => update({ create: null })} />
          </Drawer>
          {params.get('edit') ? (
            <Drawer
              opened
              onClose={() => update({ edit: null })}
              title="Edit record trigger"
              position="right"
              size="lg"
            >
              <EditRecordTrigger id={params.get('edit')!} onDone={() => update({ edit: null })} />
            </Drawer>
          ) : null}
          <DeleteRecordTrigger trigger={deleting} onClose={() => setDeleting(undefined)} />
        </>
      ) : null}
    </Stack>
  );
}

/** The trigger as stored now (a deep link may name one the list has not loaded). */
function EditRecordTrigger({ id, onDone }: { id: string; onDone: () => void }) {
  const trigger = useQuery({
    queryKey: ['record-triggers', 'one', id],
    queryFn: () => call(api.GET('/api/v1/record-triggers/{id}', { params: { path: { id } } })),
  });
  if (trigger.isPending) return <Loading />;
  if (trigger.isError) {
    return <Failure error={trigger.error} onRetry={() => void trigger.refetch()} />;
  }
  return <RecordTriggerForm key={trigger.data.updatedAt} trigger={trigger.data} onDone={onDone} />;
}

function DeleteRecordTrigger({
  trigger,
  onClose,
}: {
  trigger: Trigger | undefined;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE('/api/v1/record-triggers/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['record-triggers'] });
      close();
    },
  });
  function close() {
    remove.reset();
    onClose();
  }
  return (
    <Modal opened={Boolean(trigger)} onClose={close} title="Delete record trigger">
      <Stack>
        <Text>
          Delete <strong>{trigger?.code}</strong>? Changes to <code>{trigger?.model}</code> records
          publish nothing more; deliveries it already created are kept.
        </Text>
        {remove.isError ? <Failure error={remove.error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={remove.isPending}
            onClick={() => trigger && remove.mutate(trigger.id)}
          >
            Delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

interface FormState {
  code: string;
  name: string;
  model: string;
  operations: Operation[];
  changedFields: string[];
  conditions: string;
  eventType: string;
  active: boolean;
}

function initialState(trigger: Trigger | undefined): FormState {
  return {
    code: trigger?.code ?? '',
    name: trigger?.name ?? '',
    model: trigger?.model ?? '',
    operations: trigger?.operations ?? ['created', 'updated'],
    changedFields: trigger?.changedFields ?? [],
    conditions: JSON.stringify(trigger?.conditions ?? [], null, 2),
    eventType: trigger?.eventType ?? '',
    active: trigger?.active ?? true,
  };
}

/** Fields this form shows a message on; the rest go to the summary below it. */
const SHOWN = [
  'code',
  'name',
  'model',
  'operations.*',
  'changedFields.*',
  'conditions.*',
  'eventType',
  'active',
];

/**
 * Create and edit: every field the API takes (PUT replaces them all). The API checks the
 * values; its messages appear on the field they name (`conditions.0.operator` under the
 * conditions, `eventType` on the event type).
 */
function RecordTriggerForm({ trigger, onDone }: { trigger?: Trigger; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(() => initialState(trigger));
  const set =
    <K extends keyof FormState>(key: K) =>
    (value: FormState[K]) =>
      setForm((current) => ({ ...current, [key]: value }));
  const conditions = parseJson(form.conditions);
  const save = useMutation({
    mutationFn: () => {
      const body: SaveBody = {
        code: form.code,
        name: form.name,
        model: form.model,
        operations: form.operations,
        changedFields: form.changedFields,
        conditions: conditions.value as SaveBody['conditions'],
        // Empty: the default, `record.<model>.<operation>`.
        eventType: form.eventType.trim() === '' ? null : form.eventType.trim(),
        active: form.active,
      };
      return trigger
        ? call(
            api.PUT('/api/v1/record-triggers/{id}', {
              params: { path: { id: trigger.id } },
              body,
            }),
          )
        : call(api.POST('/api/v1/record-triggers', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['record-triggers'] });
      onDone();
    },
  });
  const problem = problemsOf(save.error);
  const under = problemsUnder(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!conditions.error) save.mutate();
  }
  const defaultTypes = form.operations
    .map((operation) => `record.${form.model || '<model>'}.${operation}`)
    .join(', ');
  return (
    <form onSubmit={submit} aria-label={trigger ? 'Edit record trigger' : 'New record trigger'}>
      <Stack>
        <Group grow align="flex-start">
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
        </Group>
        <TextInput
          label="Model"
          description="The records-store model it watches"
          value={form.model}
          onChange={(e) => set('model')(e.currentTarget.value)}
          error={problem('model')}
          required
        />
        <Checkbox.Group
          label="Operations"
          description="The changes that publish"
          value={form.operations}
          onChange={(value) => set('operations')(value as Operation[])}
          error={under('operations')}
        >
          <Group mt="xs">
            {OPERATIONS.map((operation) => (
              <Checkbox key={operation} value={operation} label={operation} />
            ))}
          </Group>
        </Checkbox.Group>
        <TagsInput
          label="Changed fields"
          description="An update publishes only if one of these data paths changed; none: any update (Enter adds one)"
          value={form.changedFields}
          onChange={set('changedFields')}
          error={under('changedFields')}
          styles={{ error: { whiteSpace: 'pre-wrap' } }}
        />
        <JsonInput
          label="Conditions (JSON list)"
          description='All must hold. Each { "source": "payload" | "event", "path", "operator", "value" }'
          value={form.conditions}
          onChange={set('conditions')}
          autosize
          minRows={3}
          maxRows={16}
          error={conditions.error ?? under('conditions')}
          styles={{ error: { whiteSpace: 'pre-wrap' } }}
        />
        <TextInput
          label="Event type"
          description={`Optional; empty publishes ${defaultTypes || 'record.<model>.<operation>'}`}
          value={form.eventType}
          onChange={(e) => set('eventType')(e.currentTarget.value)}
          error={problem('eventType')}
        />
        <Switch
          label="Active"
          checked={form.active}
          onChange={(e) => set('active')(e.currentTarget.checked)}
        />
        <OtherProblems error={save.error} shown={SHOWN} />
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {trigger ? 'Save trigger' : 'Create trigger'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
