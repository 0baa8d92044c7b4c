import {
  ActionIcon,
  Button,
  Fieldset,
  Group,
  JsonInput,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '@app/client';
import { api, call } from '../api';
import { WithCapabilities, type Capabilities } from '../capabilities';
import {
  numberOrUndefined,
  OtherProblems,
  parseJson,
  problemsOf,
  problemsUnder,
} from '../components/forms';

/**
 * Create and edit of an outbound endpoint, every field the API takes: request shape,
 * header and payload rules, event types, signing, auth, retry policy, rate limit and
 * health. The console only collects values; the API checks them, and its messages appear
 * on the field they name (`retryPolicy.maxAttempts`, `headerRules.0.value`, …). Secrets
 * are write-only: their fields start empty, and empty keeps what is stored.
 */
type Endpoint = Schemas['OutboundEndpointResponse'];
type CreateBody = Schemas['CreateOutboundEndpointDto'];
type SigningType = Schemas['SigningDto']['type'];
type AuthType = Schemas['AuthDto']['type'];

interface HeaderRuleRow {
  name: string;
  value: string;
}

interface FormState {
  code: string;
  name: string;
  state: 'draft' | 'active';
  method: string;
  bodyMode: string;
  targetHost: string;
  targetPath: string;
  timeoutMs: number | string;
  handler: string | null;
  headerRules: HeaderRuleRow[];
  payloadRules: string;
  replacePayload: boolean;
  eventTypes: string[];
  signingType: SigningType;
  signingSecret: string;
  signingHeader: string;
  signingDigest: string;
  signingEncoding: string;
  signingSecretEncoding: string;
  signingPrefix: string;
  signingTimestamped: boolean;
  authType: AuthType;
  authUsername: string;
  authPassword: string;
  authToken: string;
  authIn: string;
  authName: string;
  authValue: string;
  maxAttempts: number | string;
  initialDelaySeconds: number | string;
  multiplier: number | string;
  maxDelaySeconds: number | string;
  rateLimitPerSecond: number | string;
  disableAfterFailures: number | string;
  disableAfterSeconds: number | string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number | string => (typeof value === 'number' ? value : '');

function initialState(endpoint: Endpoint | undefined, capabilities: Capabilities): FormState {
  const { request } = capabilities;
  const suggested = capabilities.signature.customDefaults;
  const signing = (endpoint?.signing ?? { type: 'none' }) as Record<string, unknown>;
  const auth = (endpoint?.auth ?? { type: 'none' }) as Record<string, unknown>;
  const retry = (endpoint?.retryPolicy ?? {}) as Record<string, unknown>;
  const health = (endpoint?.health ?? {}) as Record<string, unknown>;
  return {
    code: endpoint?.code ?? '',
    name: endpoint?.name ?? '',
    state: 'active',
    method: endpoint?.method ?? request.methods[0],
    bodyMode: endpoint?.bodyMode ?? request.bodyModes[0],
    targetHost: endpoint?.targetHost ?? '',
    targetPath: endpoint?.targetPath ?? '',
    timeoutMs: endpoint?.timeoutMs ?? '',
    handler: endpoint?.handlerId ?? null,
    headerRules: (endpoint?.headerRules ?? []).map((rule) => ({
      name: rule.name,
      value: rule.value,
    })),
    payloadRules: JSON.stringify(endpoint?.payloadRules ?? [], null, 2),
    replacePayload: endpoint?.replacePayload ?? false,
    eventTypes: endpoint?.eventTypes ?? [],
    signingType: (text(signing.type) || 'none') as SigningType,
    signingSecret: '',
    signingHeader: text(signing.header),
    signingDigest: text(signing.digest) || suggested.digest,
    signingEncoding: text(signing.encoding) || suggested.encoding,
    signingSecretEncoding: text(signing.secretEncoding) || suggested.secretEncoding,
    signingPrefix: text(signing.prefix),
    signingTimestamped: signing.timestamped === true,
    authType: (text(auth.type) || 'none') as AuthType,
    authUsername: text(auth.username),
    authPassword: '',
    authToken: '',
    authIn: text(auth.in) || 'header',
    authName: text(auth.name),
    authValue: '',
    maxAttempts: num(retry.maxAttempts),
    initialDelaySeconds: num(retry.initialDelaySeconds),
    multiplier: num(retry.multiplier),
    maxDelaySeconds: num(retry.maxDelaySeconds),
    rateLimitPerSecond: num(endpoint?.rateLimitPerSecond),
    disableAfterFailures: num(health.disableAfterFailures),
    disableAfterSeconds: num(health.disableAfterSeconds),
  };
}

/** Omits the keys whose value is undefined, so the API keeps or defaults them. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
const orUndefined = (value: string): string | undefined => (value === '' ? undefined : value);

function signingOf(form: FormState): Schemas['SigningDto'] {
  const secret = orUndefined(form.signingSecret);
  switch (form.signingType) {
    case 'none':
      return { type: 'none' };
    case 'standard-webhooks':
      return defined({ type: 'standard-webhooks' as const, secret });
    case 'hmac':
      return defined({
        type: 'hmac' as const,
        secret,
        header: form.signingHeader,
        digest: form.signingDigest as Schemas['SigningDto']['digest'],
        encoding: form.signingEncoding as Schemas['SigningDto']['encoding'],
        secretEncoding: form.signingSecretEncoding as Schemas['SigningDto']['secretEncoding'],
        prefix: orUndefined(form.signingPrefix),
        timestamped: form.signingTimestamped,
      });
  }
}

function authOf(form: FormState): Schemas['AuthDto'] {
  switch (form.authType) {
    case 'none':
      return { type: 'none' };
    case 'basic':
      return defined({
        type: 'basic' as const,
        username: form.authUsername,
        password: orUndefined(form.authPassword),
      });
    case 'bearer':
      return defined({ type: 'bearer' as const, token: orUndefined(form.authToken) });
    case 'api_key':
      return defined({
        type: 'api_key' as const,
        in: form.authIn as 'header' | 'query',
        name: form.authName,
        value: orUndefined(form.authValue),
      });
  }
}

/**
 * The request body. An empty optional number is left out on create (the API's default
 * applies) and sent as `null` on edit where the API takes `null` (no rate limit, no health
 * rule); empty retry fields are always left out (the API defaults or keeps them).
 */
function bodyOf(
  form: FormState,
  payloadRules: unknown,
  editing: boolean,
): Omit<CreateBody, 'state'> {
  const cleared = (value: number | string): number | null | undefined =>
    numberOrUndefined(value) ?? (editing ? null : undefined);
  const body = defined({
    code: form.code,
    name: form.name,
    method: form.method as CreateBody['method'],
    bodyMode: form.bodyMode as CreateBody['bodyMode'],
    targetHost: form.targetHost,
    targetPath: form.targetPath,
    timeoutMs: numberOrUndefined(form.timeoutMs),
    handler: form.handler ?? (editing ? null : undefined),
    headerRules: form.headerRules,
    payloadRules: payloadRules as CreateBody['payloadRules'],
    replacePayload: form.replacePayload,
    eventTypes: form.eventTypes,
    signing: signingOf(form),
    auth: authOf(form),
    retryPolicy: defined({
      maxAttempts: numberOrUndefined(form.maxAttempts),
      initialDelaySeconds: numberOrUndefined(form.initialDelaySeconds),
      multiplier: numberOrUndefined(form.multiplier),
      maxDelaySeconds: numberOrUndefined(form.maxDelaySeconds),
    }),
    rateLimitPerSecond: cleared(form.rateLimitPerSecond),
    health: defined({
      disableAfterFailures: cleared(form.disableAfterFailures),
      disableAfterSeconds: cleared(form.disableAfterSeconds),
    }),
  });
  return body as Omit<CreateBody, 'state'>;
}

/** Fields this form shows a message on; the rest go to the summary below it. */
const SHOWN = [
  'code',
  'name',
  'method',
  'bodyMode',
  'targetHost',
  'targetPath',
  'timeoutMs',
  'handler',
  'headerRules.*',
  'payloadRules.*',
  'eventTypes.*',
  'signing.*',
  'auth.*',
  'retryPolicy.*',
  'rateLimitPerSecond',
  'health.*',
];

interface FormProps {
  /** The endpoint to edit; absent to create one. */
  endpoint?: Endpoint;
  onDone: () => void;
}

export function OutboundEndpointForm(props: FormProps) {
  return (
    <WithCapabilities>
      {(capabilities) => <EndpointForm {...props} capabilities={capabilities} />}
    </WithCapabilities>
  );
}

function EndpointForm({
  endpoint,
  onDone,
  capabilities,
}: FormProps & { capabilities: Capabilities }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(() => initialState(endpoint, capabilities));
  const set =
    <K extends keyof FormState>(key: K) =>
    (value: FormState[K]) =>
      setForm((current) => ({ ...current, [key]: value }));
  const handlers = useQuery({
    queryKey: ['handlers'],
    queryFn: () => call(api.GET('/api/v1/handlers')),
  });
  const payloadRules = parseJson(form.payloadRules);
  const save = useMutation({
    mutationFn: () => {
      const body = bodyOf(form, payloadRules.value, Boolean(endpoint));
      return endpoint
        ? call(
            api.PUT('/api/v1/outbound-endpoints/{id}', {
              params: { path: { id: endpoint.id } },
              // A connector-linked endpoint's code is not editable: send it only if changed.
              body: body.code === endpoint.code ? { ...body, code: undefined } : body,
            }),
          )
        : call(
            api.POST('/api/v1/outbound-endpoints', {
              body: { ...body, state: form.state },
            }),
          );
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['outbound-endpoints'] });
      onDone();
    },
  });
  const problem = problemsOf(save.error);
  const under = problemsUnder(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!payloadRules.error) save.mutate();
  }
  const signing = (endpoint?.signing ?? {}) as Record<string, unknown>;
  const auth = (endpoint?.auth ?? {}) as Record<string, unknown>;
  const secretHint = (stored: Record<string, unknown>, type: string): string =>
    stored.secretSet === true && stored.type === type
      ? 'Write-only. A secret is set: leave empty to keep it.'
      : 'Write-only: it is never shown again.';
  const outboundHandlers = (handlers.data ?? []).filter((h) => h.direction === 'outbound');

  return (
    <form
      onSubmit={submit}
      aria-label={endpoint ? 'Edit outbound endpoint' : 'New outbound endpoint'}
    >
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
        <Fieldset legend="Request">
          <Stack gap="sm">
            <TextInput
              label="Target host"
              placeholder="https://crm.example.com/api"
              value={form.targetHost}
              onChange={(e) => set('targetHost')(e.currentTarget.value)}
              error={problem('targetHost')}
              required={!endpoint?.connectorId}
            />
            <TextInput
              label="Target path"
              description="{tokens} are filled from the delivery's context"
              placeholder="/orders/{orderId}/events"
              value={form.targetPath}
              onChange={(e) => set('targetPath')(e.currentTarget.value)}
              error={problem('targetPath')}
            />
            <Group grow align="flex-start">
              <Select
                label="Method"
                data={capabilities.request.methods}
                value={form.method}
                onChange={(value) => set('method')(value ?? form.method)}
                error={problem('method')}
                allowDeselect={false}
              />
              <Select
                label="Body mode"
                data={capabilities.request.bodyModes}
                value={form.bodyMode}
                onChange={(value) => set('bodyMode')(value ?? form.bodyMode)}
                error={problem('bodyMode')}
                allowDeselect={false}
              />
              {endpoint ? null : (
                <Select
                  label="Initial state"
                  data={['draft', 'active']}
                  value={form.state}
                  onChange={(value) => set('state')((value ?? 'active') as FormState['state'])}
                  allowDeselect={false}
                />
              )}
            </Group>
            <Group grow align="flex-start">
              <NumberInput
                label="Timeout (ms)"
                value={form.timeoutMs}
                onChange={set('timeoutMs')}
                error={problem('timeoutMs')}
                placeholder="10000"
              />
              <Select
                label="Outbound handler"
                description="Optional"
                data={outboundHandlers.map((h) => ({
                  value: h.id,
                  label: `${h.name} (${h.code})`,
                }))}
                value={form.handler}
                onChange={set('handler')}
                error={problem('handler')}
                clearable
              />
            </Group>
          </Stack>
        </Fieldset>

        <Fieldset legend="Header rules">
          <HeaderRules rules={form.headerRules} onChange={set('headerRules')} problem={problem} />
        </Fieldset>

        <Fieldset legend="Payload">
          <Stack gap="sm">
            <JsonInput
              label="Payload rules (JSON list)"
              description='Each { "path", "source", "transform"?, "default"? }'
              value={form.payloadRules}
              onChange={set('payloadRules')}
              autosize
              minRows={3}
              maxRows={16}
              error={payloadRules.error ?? under('payloadRules')}
              styles={{ error: { whiteSpace: 'pre-wrap' } }}
            />
            <Switch
              label="Build the body from payload rules alone"
              checked={form.replacePayload}
              onChange={(e) => set('replacePayload')(e.currentTarget.checked)}
            />
            <TagsInput
              label="Event types"
              description="Subscriptions for fan-out, like order.* (Enter adds one)"
              value={form.eventTypes}
              onChange={set('eventTypes')}
              error={under('eventTypes')}
              styles={{ error: { whiteSpace: 'pre-wrap' } }}
            />
          </Stack>
        </Fieldset>

        <Fieldset legend="Signing">
          <Stack gap="sm">
            <Select
              label="Signing scheme"
              data={[
                { value: 'none', label: 'None' },
                { value: 'standard-webhooks', label: 'Standard Webhooks' },
                { value: 'hmac', label: 'HMAC' },
              ]}
              value={form.signingType}
              onChange={(value) => set('signingType')((value ?? 'none') as SigningType)}
              error={problem('signing.type') ?? problem('signing')}
              allowDeselect={false}
            />
            {form.signingType !== 'none' ? (
              <PasswordInput
                label="Signing secret"
                description={secretHint(signing, form.signingType)}
                value={form.signingSecret}
                onChange={(e) => set('signingSecret')(e.currentTarget.value)}
                error={problem('signing.secret')}
                autoComplete="new-password"
              />
            ) : null}
            {form.signingType === 'hmac' ? (
              <>
                <Group grow align="flex-start">
                  <TextInput
                    label="Signature header"
                    value={form.signingHeader}
                    onChange={(e) => set('signingHeader')(e.currentTarget.value)}
                    error={problem('signing.header')}
                  />
                  <TextInput
                    label="Signature prefix"
                    placeholder="sha256="
                    value={form.signingPrefix}
                    onChange={(e) => set('signingPrefix')(e.currentTarget.value)}
                    error={problem('signing.prefix')}
                  />
                </Group>
                <Group grow align="flex-start">
                  <Select
                    label="Digest"
                    data={capabilities.signature.digests}
                    value={form.signingDigest}
                    onChange={(value) => set('signingDigest')(value ?? form.signingDigest)}
                    error={problem('signing.digest')}
                    allowDeselect={false}
                  />
                  <Select
                    label="Signature encoding"
                    data={capabilities.signature.encodings}
                    value={form.signingEncoding}
                    onChange={(value) => set('signingEncoding')(value ?? form.signingEncoding)}
                    error={problem('signing.encoding')}
                    allowDeselect={false}
                  />
                  <Select
                    label="Secret encoding"
                    data={capabilities.signature.secretEncodings}
                    value={form.signingSecretEncoding}
                    onChange={(value) =>
                      set('signingSecretEncoding')(value ?? form.signingSecretEncoding)
                    }
                    error={problem('signing.secretEncoding')}
                    allowDeselect={false}
                  />
                </Group>
                <Switch
                  label="Timestamped (t=<unix>,v1=<sig>)"
                  checked={form.signingTimestamped}
                  onChange={(e) => set('signingTimestamped')(e.currentTarget.checked)}
                />
              </>
            ) : null}
          </Stack>
        </Fieldset>

        <Fieldset legend="Authentication">
          <Stack gap="sm">
            <Select
              label="Authentication"
              data={[
                { value: 'none', label: 'None' },
                { value: 'basic', label: 'Basic' },
                { value: 'bearer', label: 'Bearer token' },
                { value: 'api_key', label: 'API key' },
              ]}
              value={form.authType}
              onChange={(value) => set('authType')((value ?? 'none') as AuthType)}
              error={problem('auth.type') ?? problem('auth')}
              allowDeselect={false}
            />
            {form.authType === 'basic' ? (
              <Group grow align="flex-start">
                <TextInput
                  label="Username"
                  value={form.authUsername}
                  onChange={(e) => set('authUsername')(e.currentTarget.value)}
                  error={problem('auth.username')}
                />
                <PasswordInput
                  label="Password"
                  description={secretHint(auth, 'basic')}
                  value={form.authPassword}
                  onChange={(e) => set('authPassword')(e.currentTarget.value)}
                  error={problem('auth.password')}
                  autoComplete="new-password"
                />
              </Group>
            ) : null}
            {form.authType === 'bearer' ? (
              <PasswordInput
                label="Token"
                description={secretHint(auth, 'bearer')}
                value={form.authToken}
                onChange={(e) => set('authToken')(e.currentTarget.value)}
                error={problem('auth.token')}
                autoComplete="new-password"
              />
            ) : null}
            {form.authType === 'api_key' ? (
              <>
                <Group grow align="flex-start">
                  <Select
                    label="Sent in"
                    data={['header', 'query']}
                    value={form.authIn}
                    onChange={(value) => set('authIn')(value ?? 'header')}
                    error={problem('auth.in')}
                    allowDeselect={false}
                  />
                  <TextInput
                    label="Header or parameter name"
                    value={form.authName}
                    onChange={(e) => set('authName')(e.currentTarget.value)}
                    error={problem('auth.name')}
                  />
                </Group>
                <PasswordInput
                  label="Key value"
                  description={secretHint(auth, 'api_key')}
                  value={form.authValue}
                  onChange={(e) => set('authValue')(e.currentTarget.value)}
                  error={problem('auth.value')}
                  autoComplete="new-password"
                />
              </>
            ) : null}
          </Stack>
        </Fieldset>

        <Fieldset legend="Retry policy">
          <Text size="xs" c="dimmed" mb="xs">
            Empty fields take the API&apos;s defaults (on edit: keep their value).
          </Text>
          <Group grow align="flex-start">
            <NumberInput
              label="Max attempts"
              value={form.maxAttempts}
              onChange={set('maxAttempts')}
              error={problem('retryPolicy.maxAttempts')}
              allowDecimal={false}
            />
            <NumberInput
              label="Initial delay (s)"
              value={form.initialDelaySeconds}
              onChange={set('initialDelaySeconds')}
              error={problem('retryPolicy.initialDelaySeconds')}
              allowDecimal={false}
            />
          </Group>
          <Group grow align="flex-start">
            <NumberInput
              label="Multiplier"
              value={form.multiplier}
              onChange={set('multiplier')}
              error={problem('retryPolicy.multiplier')}
            />
            <NumberInput
              label="Max delay (s)"
              value={form.maxDelaySeconds}
              onChange={set('maxDelaySeconds')}
              error={problem('retryPolicy.maxDelaySeconds')}
              allowDecimal={false}
            />
          </Group>
        </Fieldset>

        <Fieldset legend="Rate limit and health">
          <NumberInput
            label="Rate limit (deliveries per second)"
            description="Empty: unlimited (or the API's default)"
            value={form.rateLimitPerSecond}
            onChange={set('rateLimitPerSecond')}
            error={problem('rateLimitPerSecond')}
            allowDecimal={false}
          />
          <Group grow align="flex-start">
            <NumberInput
              label="Disable after failures in a row"
              description="Empty: the API's default on create; none on edit"
              value={form.disableAfterFailures}
              onChange={set('disableAfterFailures')}
              error={problem('health.disableAfterFailures')}
              allowDecimal={false}
            />
            <NumberInput
              label="Disable after failing for (s)"
              description="Empty: the API's default on create; none on edit"
              value={form.disableAfterSeconds}
              onChange={set('disableAfterSeconds')}
              error={problem('health.disableAfterSeconds')}
              allowDecimal={false}
            />
          </Group>
        </Fieldset>

        <OtherProblems error={save.error} shown={SHOWN} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={Boolean(payloadRules.error)}>
            {endpoint ? 'Save endpoint' : 'Create endpoint'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Header rules as rows: name and value (with {tokens}), in order; add and remove. */
function HeaderRules({
  rules,
  onChange,
  problem,
}: {
  rules: HeaderRuleRow[];
  onChange: (rules: HeaderRuleRow[]) => void;
  problem: (field: string) => string | undefined;
}) {
  const change = (index: number, patch: Partial<HeaderRuleRow>) =>
    onChange(rules.map((rule, i) => (i === index ? { ...rule, ...patch } : rule)));
  return (
    <Stack gap="xs">
      {rules.length === 0 ? (
        <Text size="sm" c="dimmed">
          No header rule. Add one to set a header on every request.
        </Text>
      ) : null}
      {rules.map((rule, index) => (
        <Stack key={index} gap={2}>
          <Group align="flex-start" wrap="nowrap">
            <TextInput
              label={`Header ${index + 1} name`}
              value={rule.name}
              onChange={(e) => change(index, { name: e.currentTarget.value })}
              error={problem(`headerRules.${index}.name`)}
              style={{ flex: 1 }}
            />
            <TextInput
              label={`Header ${index + 1} value`}
              value={rule.value}
              onChange={(e) => change(index, { value: e.currentTarget.value })}
              error={problem(`headerRules.${index}.value`)}
              style={{ flex: 2 }}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              mt={28}
              aria-label={`Remove header ${index + 1}`}
              onClick={() => onChange(rules.filter((_, i) => i !== index))}
            >
              ×
            </ActionIcon>
          </Group>
          {problem(`headerRules.${index}`) ? (
            <Text c="red.8" size="xs" role="alert">
              {problem(`headerRules.${index}`)}
            </Text>
          ) : null}
        </Stack>
      ))}
      {problem('headerRules') ? (
        <Text c="red.8" size="xs" role="alert">
          {problem('headerRules')}
        </Text>
      ) : null}
      <Group>
        <Button
          size="xs"
          variant="light"
          onClick={() => onChange([...rules, { name: '', value: '' }])}
        >
          Add header rule
        </Button>
      </Group>
    </Stack>
  );
}
