import {
  ActionIcon,
  Button,
  Group,
  JsonInput,
  PasswordInput,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { OtherProblems, parseJson, problemsOf, problemsUnder } from '../components/forms';

/**
 * Create and edit of a connector. The kind decides which credentials and settings it
 * takes (docs/connectors.md); the API says which names it knows when one is wrong, and
 * its messages appear on the field they name. Credentials are write-only: on edit the
 * list starts empty and empty keeps them; any entry replaces them all.
 */
type Connector = Schemas['ConnectorDetailResponse'];

interface CredentialRow {
  name: string;
  value: string;
}

const SHOWN = ['kind', 'code', 'name', 'baseUrl', 'technicalPrefix', 'credentials.*', 'settings.*'];

export function ConnectorForm({
  connector,
  onDone,
}: {
  /** The connector to edit; absent to create one. */
  connector?: Connector;
  /** Called with the connector as saved, or with nothing on Cancel. */
  onDone: (saved?: Connector) => void;
}) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState(connector?.kind ?? '');
  const [code, setCode] = useState(connector?.code ?? '');
  const [name, setName] = useState(connector?.name ?? '');
  const [active, setActive] = useState(connector?.active ?? true);
  const [baseUrl, setBaseUrl] = useState(connector?.baseUrl ?? '');
  const [technicalPrefix, setTechnicalPrefix] = useState(connector?.technicalPrefix ?? '');
  const [settings, setSettings] = useState(JSON.stringify(connector?.settings ?? {}, null, 2));
  const [credentials, setCredentials] = useState<CredentialRow[]>(
    connector ? [] : [{ name: '', value: '' }],
  );
  const [clearCredentials, setClearCredentials] = useState(false);
  const parsedSettings = parseJson(settings);

  const save = useMutation({
    mutationFn: () => {
      const given = credentials.filter((row) => row.name !== '' || row.value !== '');
      const credentialsBody = clearCredentials
        ? null
        : given.length > 0
          ? (Object.fromEntries(given.map((row) => [row.name, row.value])) as Record<string, never>)
          : undefined;
      const common = {
        code,
        name,
        active,
        settings: parsedSettings.value as Record<string, never>,
        ...(credentialsBody !== undefined ? { credentials: credentialsBody } : {}),
      };
      if (connector) {
        return call(
          api.PUT('/api/v1/connectors/{id}', {
            params: { path: { id: connector.id } },
            // The generated types read nullable strings as objects (baseUrl, credentials).
            body: {
              ...common,
              baseUrl: baseUrl === '' ? null : baseUrl,
              ...(technicalPrefix !== connector.technicalPrefix ? { technicalPrefix } : {}),
            } as unknown as Schemas['UpdateConnectorDto'],
          }),
        );
      }
      return call(
        api.POST('/api/v1/connectors', {
          body: {
            kind,
            ...common,
            ...(baseUrl !== '' ? { baseUrl } : {}),
            ...(technicalPrefix !== '' ? { technicalPrefix } : {}),
          } as unknown as Schemas['CreateConnectorDto'],
        }),
      );
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ['connectors'] });
      void queryClient.invalidateQueries({ queryKey: ['connector', saved.id] });
      onDone(saved);
    },
  });
  const problem = problemsOf(save.error);
  const under = problemsUnder(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!parsedSettings.error) save.mutate();
  }
  const changeRow = (index: number, patch: Partial<CredentialRow>) =>
    setCredentials((rows) => rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));

  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput
          label="Kind"
          description={
            connector
              ? 'Fixed after creation.'
              : 'A registered connector kind, e.g. stripe or generic-http (docs/connectors.md).'
          }
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value)}
          error={problem('kind')}
          disabled={Boolean(connector)}
          required
        />
        <TextInput
          label="Code"
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          error={problem('code')}
          required
        />
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={problem('name')}
          required
        />
        <Switch
          label="Active"
          description="Off cancels its outbound deliveries before any HTTP call."
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
        />
        <TextInput
          label="Base URL"
          description="Of its outbound endpoints; empty for the kind's default."
          placeholder="https://api.example.com"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.currentTarget.value)}
          error={problem('baseUrl')}
        />
        <TextInput
          label="Technical prefix"
          description="Prefix of linked endpoint codes; empty for <kind>-<id>."
          value={technicalPrefix}
          onChange={(e) => setTechnicalPrefix(e.currentTarget.value)}
          error={problem('technicalPrefix')}
        />
        <Stack gap="xs">
          <Text size="sm" fw={500} id="credentials-label">
            Credentials (write-only)
          </Text>
          {connector ? (
            <Text size="xs" c="dimmed">
              {connector.credentialsSet
                ? `Set: ${connector.credentialNames.join(', ')}. Leave the list empty to keep them; any entry replaces them all.`
                : 'None set.'}
            </Text>
          ) : null}
          <Stack gap="xs" role="list" aria-labelledby="credentials-label">
            {credentials.map((row, index) => (
              <Group key={index} align="flex-start" wrap="nowrap" role="listitem">
                <TextInput
                  label={`Credential ${index + 1} key`}
                  placeholder="token"
                  value={row.name}
                  onChange={(e) => changeRow(index, { name: e.currentTarget.value })}
                  style={{ flex: 1 }}
                />
                <PasswordInput
                  label={`Credential ${index + 1} value`}
                  value={row.value}
                  onChange={(e) => changeRow(index, { value: e.currentTarget.value })}
                  autoComplete="new-password"
                  style={{ flex: 2 }}
                />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  mt={28}
                  aria-label={`Remove credential ${index + 1}`}
                  onClick={() => setCredentials((rows) => rows.filter((_, i) => i !== index))}
                >
                  ×
                </ActionIcon>
              </Group>
            ))}
          </Stack>
          {under('credentials') ? (
            <Text c="red.8" size="xs" role="alert" style={{ whiteSpace: 'pre-wrap' }}>
              {under('credentials')}
            </Text>
          ) : null}
          <Group>
            <Button
              size="xs"
              variant="light"
              onClick={() => setCredentials((rows) => [...rows, { name: '', value: '' }])}
            >
              Add credential
            </Button>
            {connector?.credentialsSet ? (
              <Switch
                label="Clear all credentials"
                checked={clearCredentials}
                onChange={(e) => setClearCredentials(e.currentTarget.checked)}
              />
            ) : null}
          </Group>
        </Stack>
        <JsonInput
          label="Settings (JSON object the kind may read)"
          value={settings}
          onChange={setSettings}
          autosize
          minRows={2}
          maxRows={12}
          error={parsedSettings.error ?? under('settings')}
          styles={{ error: { whiteSpace: 'pre-wrap' } }}
        />
        <OtherProblems error={save.error} shown={SHOWN} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => onDone()}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={Boolean(parsedSettings.error)}>
            {connector ? 'Save connector' : 'Create connector'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
