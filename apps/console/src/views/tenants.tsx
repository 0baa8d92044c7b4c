import { Button, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, call } from '../api';
import { Empty, Failure, Loading, SecretShownOnce, When } from '../components/common';
import { OtherProblems, problemsOf } from '../components/forms';

/**
 * Tenants, for admin keys of the `default` tenant (the API answers 403 to others): the
 * list, and a new tenant with its first admin key, shown this once.
 */
export function TenantsView() {
  const queryClient = useQueryClient();
  const tenants = useQuery({
    queryKey: ['tenants'],
    queryFn: () => call(api.GET('/api/v1/tenants')),
  });
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => call(api.POST('/api/v1/tenants', { body: { name } })),
    onSuccess: () => {
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['tenants'] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <Stack>
      <Title order={2}>Tenants</Title>
      <form onSubmit={submit} aria-label="New tenant">
        <Group align="flex-end">
          <TextInput
            label="Name"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={problemsOf(create.error)('name')}
            required
          />
          <Button type="submit" loading={create.isPending}>
            Create tenant
          </Button>
        </Group>
      </form>
      <OtherProblems error={create.error} shown={['name']} />
      {create.data ? (
        <SecretShownOnce
          title="The tenant's first admin key: copy it now, it is shown this once"
          value={create.data.adminKey.key}
          testId="new-tenant-key"
        />
      ) : null}
      {tenants.isPending ? (
        <Loading />
      ) : tenants.isError ? (
        <Failure error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : tenants.data.length === 0 ? (
        <Empty title="No tenant" />
      ) : (
        <Table striped aria-label="Tenants">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Retention</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tenants.data.map((tenant) => (
              <Table.Tr key={tenant.id}>
                <Table.Td>{tenant.name}</Table.Td>
                <Table.Td>{tenant.retentionDays} days</Table.Td>
                <Table.Td>
                  <When at={tenant.createdAt} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
