import { Badge, Button, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, call } from '../api';
import { Empty, Failure, Loading, SecretShownOnce, When } from '../components/common';
import { OtherProblems, problemsOf } from '../components/forms';

/** API keys (admin keys only): create (the key is shown this once), list, revoke. */
export function ApiKeysView() {
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => call(api.GET('/api/v1/api-keys')),
  });
  const [name, setName] = useState('');
  const [role, setRole] = useState<'admin' | 'operator' | 'publisher'>('operator');
  const create = useMutation({
    mutationFn: () => call(api.POST('/api/v1/api-keys', { body: { name, role } })),
    onSuccess: () => {
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const problem = problemsOf(create.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <form onSubmit={submit} aria-label="New API key">
        <Group align="flex-end">
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={problem('name')}
            required
          />
          <Select
            label="Role"
            data={['operator', 'admin', 'publisher']}
            value={role}
            onChange={(v) => setRole(v === 'admin' || v === 'publisher' ? v : 'operator')}
            allowDeselect={false}
            w={140}
          />
          <Button type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Group>
      </form>
      <OtherProblems error={create.error} shown={['name']} />
      {create.data ? (
        <SecretShownOnce
          title="Copy the new key now: it is shown this once"
          value={create.data.key}
          testId="new-api-key"
        />
      ) : null}
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <Failure error={keys.error} onRetry={() => void keys.refetch()} />
      ) : keys.data.length === 0 ? (
        <Empty title="No keys" />
      ) : (
        <Table striped aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Prefix</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data.map((key) => (
              <Table.Tr key={key.id}>
                <Table.Td>{key.name}</Table.Td>
                <Table.Td>
                  <Badge>{key.role}</Badge>
                </Table.Td>
                <Table.Td ff="monospace">{key.prefix}…</Table.Td>
                <Table.Td>
                  <When at={key.createdAt} />
                </Table.Td>
                <Table.Td>
                  <When at={key.lastUsedAt} />
                </Table.Td>
                <Table.Td>
                  {key.revokedAt ? (
                    <Badge color="gray">revoked</Badge>
                  ) : (
                    <Button
                      size="compact-xs"
                      color="red"
                      variant="light"
                      onClick={() => {
                        if (window.confirm(`Revoke “${key.name}”? It stops working at once.`))
                          revoke.mutate(key.id);
                      }}
                    >
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {revoke.isError ? <Failure error={revoke.error} /> : null}
    </Stack>
  );
}
