import {
  Badge,
  Button,
  CopyButton,
  Drawer,
  Group,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
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
import { OtherProblems, problemsOf } from '../components/forms';

/** Inbound endpoints: the list with each webhook URL, and creation with a preset picker. */
type Preset = NonNullable<Schemas['SignatureDto']['preset']>;
const PRESETS: Array<{ value: Preset | 'custom' | 'none'; label: string }> = [
  { value: 'github', label: 'GitHub' },
  { value: 'stripe', label: 'Stripe' },
  { value: 'shopify', label: 'Shopify' },
  { value: 'slack', label: 'Slack' },
  { value: 'standard-webhooks', label: 'Standard Webhooks / Svix' },
  { value: 'custom', label: 'Custom HMAC' },
  { value: 'none', label: 'No signature' },
];

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
          size="md"
        >
          <CreateInboundEndpoint
            handlers={(handlers.data ?? []).filter((h) => h.direction === 'inbound')}
            onDone={() => update({ create: null })}
          />
        </Drawer>
      ) : null}
      {canConfigure && editing ? (
        <Drawer
          opened
          onClose={() => update({ edit: null })}
          title={`Edit ${editing.name}`}
          position="right"
          size="md"
        >
          <EditInboundEndpoint endpoint={editing} onDone={() => update({ edit: null })} />
        </Drawer>
      ) : null}
    </Stack>
  );
}

function CreateInboundEndpoint({
  handlers,
  onDone,
}: {
  handlers: Array<Schemas['HandlerResponse']>;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    name: '',
    path: '',
    handler: '',
    preset: 'github' as string,
    secret: '',
    header: 'X-Signature',
    prefix: 'sha256=',
    digest: 'sha256',
    encoding: 'hex',
    active: true,
  });
  const set = (key: keyof typeof form) => (value: string | boolean | null) =>
    setForm((current) => ({ ...current, [key]: value ?? '' }));
  const create = useMutation({
    mutationFn: () => {
      const signature: Schemas['SignatureDto'] =
        form.preset === 'none'
          ? { mode: 'none' }
          : form.preset === 'custom'
            ? {
                mode: 'hmac',
                secret: form.secret,
                header: form.header,
                prefix: form.prefix || undefined,
                digest: form.digest as Schemas['SignatureDto']['digest'],
                encoding: form.encoding as Schemas['SignatureDto']['encoding'],
                headerFormat: 'plain',
              }
            : { mode: 'hmac', preset: form.preset as Preset, secret: form.secret };
      return call(
        api.POST('/api/v1/inbound-endpoints', {
          body: {
            name: form.name,
            path: form.path,
            handler: form.handler,
            active: form.active,
            signature,
          },
        }),
      );
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbound-endpoints'] });
      onDone();
    },
  });
  const problem = problemsOf(create.error);
  const shown = ['name', 'path', 'handler', 'signature.secret', 'signature.header', 'signature'];
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput
          label="Name"
          value={form.name}
          onChange={(e) => set('name')(e.currentTarget.value)}
          error={problem('name')}
          required
        />
        <TextInput
          label="Path"
          description="Served at /webhooks/<path>"
          value={form.path}
          onChange={(e) => set('path')(e.currentTarget.value)}
          error={problem('path')}
          required
        />
        <Select
          label="Handler"
          description={
            handlers.length === 0
              ? 'Create an inbound handler first (Handlers & rules).'
              : undefined
          }
          data={handlers.map((h) => ({ value: h.code, label: `${h.name} (${h.code})` }))}
          value={form.handler || null}
          onChange={set('handler')}
          error={problem('handler')}
          required
        />
        <Select
          label="Provider preset"
          data={PRESETS}
          value={form.preset}
          onChange={set('preset')}
          allowDeselect={false}
          error={problem('signature')}
        />
        {form.preset !== 'none' ? (
          <PasswordInput
            label="Signing secret"
            description="Write-only: it is never shown again."
            value={form.secret}
            onChange={(e) => set('secret')(e.currentTarget.value)}
            error={problem('signature.secret')}
            required
          />
        ) : null}
        {form.preset === 'custom' ? (
          <>
            <TextInput
              label="Signature header"
              value={form.header}
              onChange={(e) => set('header')(e.currentTarget.value)}
              error={problem('signature.header')}
            />
            <TextInput
              label="Prefix"
              value={form.prefix}
              onChange={(e) => set('prefix')(e.currentTarget.value)}
            />
            <Group grow>
              <Select
                label="Digest"
                data={['sha1', 'sha256', 'sha512']}
                value={form.digest}
                onChange={set('digest')}
                allowDeselect={false}
              />
              <Select
                label="Encoding"
                data={['hex', 'base64']}
                value={form.encoding}
                onChange={set('encoding')}
                allowDeselect={false}
              />
            </Group>
          </>
        ) : null}
        <Switch
          label="Active"
          checked={form.active}
          onChange={(e) => set('active')(e.currentTarget.checked)}
        />
        <OtherProblems error={create.error} shown={shown} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create endpoint
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * Name, active, and the secrets: write-only, so the fields start empty and an empty field
 * keeps the stored secret. A secondary secret verifies beside the primary (rotation).
 */
function EditInboundEndpoint({
  endpoint,
  onDone,
}: {
  endpoint: Schemas['InboundEndpointResponse'];
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(endpoint.name);
  const [active, setActive] = useState(endpoint.active);
  const [secret, setSecret] = useState('');
  const [secondarySecret, setSecondarySecret] = useState('');
  const hmac = endpoint.signature.mode === 'hmac';
  const save = useMutation({
    mutationFn: () => {
      // The stored scheme as read, minus the read-only `…Set` flags, plus any new secret.
      const stored = Object.fromEntries(
        Object.entries(endpoint.signature).filter(([key]) => !key.endsWith('Set')),
      ) as Schemas['SignatureDto'];
      const signature: Schemas['SignatureDto'] | undefined =
        hmac && (secret || secondarySecret)
          ? {
              ...stored,
              ...(secret ? { secret } : {}),
              ...(secondarySecret ? { secondarySecret } : {}),
            }
          : undefined;
      return call(
        api.PUT('/api/v1/inbound-endpoints/{id}', {
          params: { path: { id: endpoint.id } },
          body: { name, active, ...(signature ? { signature } : {}) },
        }),
      );
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbound-endpoints'] });
      onDone();
    },
  });
  const problem = problemsOf(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={problem('name')}
          required
        />
        <Switch
          label="Active"
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
        />
        {hmac ? (
          <>
            <PasswordInput
              label="New signing secret"
              description={
                endpoint.signature.secretSet
                  ? 'A secret is set. Leave empty to keep it.'
                  : 'No secret is set.'
              }
              value={secret}
              onChange={(e) => setSecret(e.currentTarget.value)}
              error={problem('signature.secret')}
            />
            <PasswordInput
              label="Secondary secret (rotation)"
              description="Both secrets verify until you move the new one to the signing secret."
              value={secondarySecret}
              onChange={(e) => setSecondarySecret(e.currentTarget.value)}
              error={problem('signature.secondarySecret')}
            />
          </>
        ) : null}
        <OtherProblems
          error={save.error}
          shown={['name', 'signature.secret', 'signature.secondarySecret']}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
