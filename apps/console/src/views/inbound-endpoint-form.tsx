import {
  ActionIcon,
  Alert,
  Button,
  Fieldset,
  Group,
  JsonInput,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
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
 * Create and edit of an inbound endpoint: a provider preset or a custom HMAC with its
 * signed parts in order, write-only secrets (with a secondary for rotation), freshness,
 * identity, semantic bindings and handshakes. The console only collects values: the API
 * resolves preset defaults and says what cannot run (the `signature` problem names the
 * setting, e.g. `timestamp.header`). Secrets and handshake tokens start empty; empty keeps
 * what is stored.
 */
type Endpoint = Schemas['InboundEndpointResponse'];
type SignatureBody = Schemas['SignatureDto'];
/** A preset's name (from the server's capabilities), or the console's two other choices. */
type PresetChoice = string;
const CUSTOM = 'custom';
const NONE = 'none';

/** The preset choices: the server's presets, then a custom HMAC or no signature. */
const presetChoices = (capabilities: Capabilities) => [
  ...capabilities.signature.presets.map((preset) => ({ value: preset.name, label: preset.label })),
  { value: CUSTOM, label: 'Custom HMAC' },
  { value: NONE, label: 'No signature' },
];

/** One signed part as edited: `kind` plus the inputs that kind uses. */
interface PartRow {
  kind: string;
  value: string;
  name: string;
  param: string;
}
type PartField = 'value' | 'name' | 'param';
/** What a part field's input is called (`Part 2 text`); a kind lists the fields it takes. */
const PART_INPUTS: Record<PartField, string> = {
  value: 'text',
  name: 'header',
  param: 'parameter',
};

const fieldsOf = (capabilities: Capabilities, kind: string): PartField[] =>
  (capabilities.signature.partKinds.find((k) => k.value === kind)?.fields ?? []).filter(
    (field): field is PartField => Object.hasOwn(PART_INPUTS, field),
  );

/** The API's shape for a part: only the keys its kind takes. */
function partOf(row: PartRow, capabilities: Capabilities): Record<string, string> {
  return {
    kind: row.kind,
    ...Object.fromEntries(fieldsOf(capabilities, row.kind).map((field) => [field, row[field]])),
  };
}

/** The settings an identity policy takes (`header`, `path`), from the capabilities. */
const policyFields = (choices: Array<{ value: string; fields: string[] }>, policy: string) =>
  choices.find((choice) => choice.value === policy)?.fields ?? [];

type Freshness = 'default' | 'on' | 'off';
/** An identity select's "leave it to the preset" choice (sent as nothing). */
const PRESET_DEFAULT = 'preset';

interface FormState {
  name: string;
  path: string;
  handler: string;
  active: boolean;
  maxBodyBytes: number | string;
  rejectedPerMinute: number | string;
  preset: PresetChoice;
  secret: string;
  secondarySecret: string;
  header: string;
  prefix: string;
  digest: string;
  encoding: string;
  secretEncoding: string;
  headerFormat: string;
  headerKey: string;
  parts: PartRow[];
  freshness: Freshness;
  timestampHeader: string;
  timestampFormat: string;
  maxAgeSeconds: number | string;
  maxFutureSkewSeconds: number | string;
  deliveryPolicy: string;
  deliveryHeader: string;
  replayPolicy: string;
  replayPath: string;
  replayHeader: string;
  semanticBindings: string;
  /** Per handshake of the capabilities: switched on, and a typed token (if it takes one). */
  handshakes: Record<string, { on: boolean; token: string }>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number | string => (typeof value === 'number' ? value : '');
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};

function initialState(
  endpoint: Endpoint | undefined,
  handler: string,
  capabilities: Capabilities,
): FormState {
  const firstPreset = capabilities.signature.presets[0]?.name;
  const custom = capabilities.signature.customDefaults;
  const signature = record(
    endpoint?.signature ?? (firstPreset ? { mode: 'hmac', preset: firstPreset } : { mode: 'hmac' }),
  );
  const timestamp = endpoint?.timestamp ? record(endpoint.timestamp) : null;
  const identity = record(endpoint?.identity);
  const delivery = record(identity.delivery);
  const replay = record(identity.replay);
  const handshakes = record(endpoint?.handshakes);
  const preset: PresetChoice =
    signature.mode === 'none'
      ? NONE
      : typeof signature.preset === 'string'
        ? signature.preset
        : CUSTOM;
  const storedParts: unknown[] = Array.isArray(signature.parts) ? signature.parts : custom.parts;
  return {
    name: endpoint?.name ?? '',
    path: endpoint?.path ?? '',
    handler,
    active: endpoint?.active ?? true,
    maxBodyBytes: num(endpoint?.maxBodyBytes),
    rejectedPerMinute: num(endpoint?.rejectedPerMinute),
    preset,
    secret: '',
    secondarySecret: '',
    header: text(signature.header) || (endpoint ? '' : custom.header),
    prefix: text(signature.prefix) || (endpoint ? '' : custom.prefix),
    digest: text(signature.digest) || custom.digest,
    encoding: text(signature.encoding) || custom.encoding,
    secretEncoding: text(signature.secretEncoding) || custom.secretEncoding,
    headerFormat: text(signature.headerFormat) || custom.headerFormat,
    headerKey: text(signature.headerKey),
    parts: storedParts.map((part) => {
      const p = record(part);
      return { kind: text(p.kind), value: text(p.value), name: text(p.name), param: text(p.param) };
    }),
    freshness: timestamp === null ? 'default' : timestamp.enabled ? 'on' : 'off',
    timestampHeader: text(timestamp?.header),
    timestampFormat: text(timestamp?.format) || capabilities.freshness.defaults.format,
    maxAgeSeconds: num(timestamp?.maxAgeSeconds),
    maxFutureSkewSeconds: num(timestamp?.maxFutureSkewSeconds),
    deliveryPolicy: text(delivery.policy) || PRESET_DEFAULT,
    deliveryHeader: text(delivery.header),
    replayPolicy: text(replay.policy) || PRESET_DEFAULT,
    replayPath: text(replay.path),
    replayHeader: text(replay.header),
    semanticBindings: JSON.stringify(endpoint?.semanticBindings ?? [], null, 2),
    handshakes: Object.fromEntries(
      capabilities.handshakes.map((h) => [
        h.name,
        { on: h.token ? Boolean(handshakes[h.name]) : handshakes[h.name] === true, token: '' },
      ]),
    ),
  };
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== ''),
  ) as T;
}

function signatureOf(
  form: FormState,
  endpoint: Endpoint | undefined,
  capabilities: Capabilities,
): SignatureBody {
  const secrets = defined({ secret: form.secret, secondarySecret: form.secondarySecret });
  if (form.preset === NONE) return { mode: 'none' };
  if (form.preset === CUSTOM) {
    return {
      mode: 'hmac',
      ...secrets,
      header: form.header,
      prefix: form.prefix,
      digest: form.digest as SignatureBody['digest'],
      encoding: form.encoding as SignatureBody['encoding'],
      secretEncoding: form.secretEncoding as SignatureBody['secretEncoding'],
      headerFormat: form.headerFormat as SignatureBody['headerFormat'],
      ...defined({ headerKey: form.headerKey }),
      // The generated type says string[]; the API takes SignedPart objects (docs/inbound.md).
      parts: form.parts.map((part) =>
        partOf(part, capabilities),
      ) as unknown as SignatureBody['parts'],
    };
  }
  // A preset: the stored overrides stay when the preset stays (minus the read-only flags).
  const stored = record(endpoint?.signature);
  const kept =
    stored.preset === form.preset
      ? Object.fromEntries(Object.entries(stored).filter(([key]) => !key.endsWith('Set')))
      : {};
  return { ...kept, mode: 'hmac', preset: form.preset, ...secrets } as unknown as SignatureBody;
}

/**
 * A handshake with a write-only token, as the API takes it: switched off, `null` clears a
 * stored one; on, a typed token replaces it and an empty one keeps it (or is sent as typed
 * when none is stored, for the API to judge).
 */
function handshake<T>(
  on: boolean,
  wasOn: boolean,
  token: string,
  shape: (token: string) => T,
): T | null | undefined {
  if (!on) return wasOn ? null : undefined;
  if (token || !wasOn) return shape(token);
  return undefined;
}

function bodyOf(
  form: FormState,
  endpoint: Endpoint | undefined,
  bindings: unknown,
  capabilities: Capabilities,
) {
  const storedTimestamp = record(endpoint?.timestamp);
  const timestamp =
    form.freshness === 'default'
      ? undefined
      : form.freshness === 'off'
        ? { ...storedTimestamp, enabled: false }
        : {
            ...storedTimestamp,
            enabled: true,
            ...defined({
              header: form.timestampHeader,
              format: form.timestampFormat,
              maxAgeSeconds: numberOrUndefined(form.maxAgeSeconds),
              maxFutureSkewSeconds: numberOrUndefined(form.maxFutureSkewSeconds),
            }),
          };
  // Empty: the preset's (or the API's) default for that identity.
  const identity = defined({
    delivery:
      form.deliveryPolicy !== PRESET_DEFAULT
        ? defined({ policy: form.deliveryPolicy, header: form.deliveryHeader })
        : undefined,
    replay:
      form.replayPolicy !== PRESET_DEFAULT
        ? defined({ policy: form.replayPolicy, path: form.replayPath, header: form.replayHeader })
        : undefined,
  });
  const previous = record(endpoint?.handshakes);
  const handshakes = defined(
    Object.fromEntries(
      capabilities.handshakes.map((h) => {
        const { on, token } = form.handshakes[h.name] ?? { on: false, token: '' };
        const tokenField = h.token?.field;
        return [
          h.name,
          tokenField
            ? handshake(on, Boolean(previous[h.name]), token, (typed) => ({ [tokenField]: typed }))
            : on,
        ];
      }),
    ),
  );
  return {
    name: form.name,
    path: form.path,
    handler: form.handler,
    active: form.active,
    ...defined({
      maxBodyBytes: numberOrUndefined(form.maxBodyBytes),
      rejectedPerMinute: numberOrUndefined(form.rejectedPerMinute),
    }),
    signature: signatureOf(form, endpoint, capabilities),
    ...(timestamp ? { timestamp } : {}),
    identity,
    semanticBindings: bindings,
    handshakes,
  } as unknown as Schemas['CreateInboundEndpointDto'];
}

/**
 * The API fields this form shows beside an input, given what is on screen (a custom HMAC
 * setting only with the custom preset, a timestamp setting only with the check on, …); any
 * other problem is listed under the form, so none is lost.
 */
function shownFields(form: FormState, capabilities: Capabilities): string[] {
  const custom = form.preset === CUSTOM;
  return [
    'name',
    'path',
    'handler',
    'maxBodyBytes',
    'rejectedPerMinute',
    'signature',
    'signature.preset',
    'signature.mode',
    ...(form.preset !== NONE ? ['signature.secret', 'signature.secondarySecret'] : []),
    ...(custom
      ? [
          'signature.header',
          'signature.prefix',
          'signature.digest',
          'signature.encoding',
          'signature.secretEncoding',
          'signature.headerFormat',
          'signature.parts.*',
          ...policyFields(capabilities.signature.headerFormats, form.headerFormat).map(
            (field) => `signature.${field}`,
          ),
        ]
      : []),
    'timestamp',
    ...(form.freshness === 'on'
      ? [
          'timestamp.header',
          'timestamp.headerParam.*',
          'timestamp.format',
          'timestamp.maxAgeSeconds',
          'timestamp.maxFutureSkewSeconds',
        ]
      : []),
    'identity',
    'identity.delivery',
    'identity.delivery.policy',
    ...policyFields(capabilities.identity.delivery, form.deliveryPolicy).map(
      (field) => `identity.delivery.${field}`,
    ),
    'identity.replay',
    'identity.replay.policy',
    ...policyFields(capabilities.identity.replay, form.replayPolicy).map(
      (field) => `identity.replay.${field}`,
    ),
    'semanticBindings.*',
    'handshakes.*',
  ];
}

/** What the chosen preset brings: its timestamp check and the handshakes its provider sends. */
function presetNote(
  preset: Capabilities['signature']['presets'][number],
  capabilities: Capabilities,
): string {
  const notes = [
    preset.freshness.enabled
      ? `Checks a signed timestamp (at most ${preset.freshness.maxAgeSeconds} s old)`
      : 'No signed timestamp',
  ];
  const handshakes = preset.handshakes.map(
    (name) => capabilities.handshakes.find((h) => h.name === name)?.label ?? name,
  );
  if (handshakes.length > 0) {
    notes.push(`the provider also sends a handshake: see ${handshakes.join(', ')} below`);
  }
  return `${notes.join('; ')}.`;
}

interface FormProps {
  /** The endpoint to edit; absent to create one. */
  endpoint?: Endpoint;
  handlers: Array<Schemas['HandlerResponse']>;
  onDone: () => void;
}

export function InboundEndpointForm(props: FormProps) {
  return (
    <WithCapabilities>
      {(capabilities) => <EndpointForm {...props} capabilities={capabilities} />}
    </WithCapabilities>
  );
}

function EndpointForm({
  endpoint,
  handlers,
  onDone,
  capabilities,
}: FormProps & { capabilities: Capabilities }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(() =>
    initialState(endpoint, endpoint?.handlerId ?? '', capabilities),
  );
  const set =
    <K extends keyof FormState>(key: K) =>
    (value: FormState[K]) =>
      setForm((current) => ({ ...current, [key]: value }));
  const bindings = parseJson(form.semanticBindings);
  const save = useMutation({
    mutationFn: () => {
      const body = bodyOf(form, endpoint, bindings.value, capabilities);
      return endpoint
        ? call(
            api.PUT('/api/v1/inbound-endpoints/{id}', {
              params: { path: { id: endpoint.id } },
              body,
            }),
          )
        : call(api.POST('/api/v1/inbound-endpoints', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbound-endpoints'] });
      onDone();
    },
  });
  const problem = problemsOf(save.error);
  const under = problemsUnder(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!bindings.error) save.mutate();
  }
  const signature = record(endpoint?.signature);
  const handshakes = record(endpoint?.handshakes);
  const kept = (what: 'secret' | 'token', isSet: boolean): string =>
    isSet
      ? `A ${what} is set. Leave empty to keep it.`
      : `Write-only: a ${what} is never shown again.`;
  const setParts = (parts: PartRow[]) => set('parts')(parts);
  const setHandshake = (name: string, patch: Partial<{ on: boolean; token: string }>) =>
    setForm((current) => ({
      ...current,
      handshakes: {
        ...current.handshakes,
        [name]: { ...(current.handshakes[name] ?? { on: false, token: '' }), ...patch },
      },
    }));
  const preset = capabilities.signature.presets.find((p) => p.name === form.preset);
  const deliveryFields = policyFields(capabilities.identity.delivery, form.deliveryPolicy);
  const replayFields = policyFields(capabilities.identity.replay, form.replayPolicy);

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
          data={handlers.map((h) => ({ value: h.id, label: `${h.name} (${h.code})` }))}
          value={form.handler || null}
          onChange={(value) => set('handler')(value ?? '')}
          error={problem('handler')}
          required
        />
        <Switch
          label="Active"
          checked={form.active}
          onChange={(e) => set('active')(e.currentTarget.checked)}
        />

        <Fieldset legend="Signature">
          <Stack gap="sm">
            {problem('signature') ? (
              <Alert color="red" role="alert" p="xs">
                {problem('signature')}
              </Alert>
            ) : null}
            <Select
              label="Provider preset"
              description={preset ? presetNote(preset, capabilities) : undefined}
              data={presetChoices(capabilities)}
              value={form.preset}
              onChange={(value) => set('preset')(value ?? NONE)}
              allowDeselect={false}
              error={problem('signature.preset') ?? problem('signature.mode')}
            />
            {form.preset !== NONE ? (
              <>
                <PasswordInput
                  label="Signing secret"
                  description={kept('secret', signature.secretSet === true)}
                  value={form.secret}
                  onChange={(e) => set('secret')(e.currentTarget.value)}
                  error={problem('signature.secret')}
                  required={!endpoint}
                  autoComplete="new-password"
                />
                <PasswordInput
                  label="Secondary secret (rotation)"
                  description="Both secrets verify until you move the new one to the signing secret."
                  value={form.secondarySecret}
                  onChange={(e) => set('secondarySecret')(e.currentTarget.value)}
                  error={problem('signature.secondarySecret')}
                  autoComplete="new-password"
                />
              </>
            ) : null}
            {form.preset === CUSTOM ? (
              <CustomHmac
                form={form}
                set={set}
                setParts={setParts}
                problem={problem}
                capabilities={capabilities}
              />
            ) : null}
          </Stack>
        </Fieldset>

        <Fieldset legend="Freshness">
          <Stack gap="sm">
            <Select
              label="Timestamp check"
              data={[
                { value: 'default', label: "The preset's (none without a preset)" },
                { value: 'on', label: 'On' },
                { value: 'off', label: 'Off' },
              ]}
              value={form.freshness}
              onChange={(value) => set('freshness')((value ?? 'default') as Freshness)}
              allowDeselect={false}
              error={problem('timestamp')}
            />
            {form.freshness === 'on' ? (
              <>
                <Group grow align="flex-start">
                  <TextInput
                    label="Timestamp header"
                    placeholder="X-Timestamp"
                    value={form.timestampHeader}
                    onChange={(e) => set('timestampHeader')(e.currentTarget.value)}
                    error={problem('timestamp.header') ?? under('timestamp.headerParam')}
                  />
                  <Select
                    label="Timestamp format"
                    data={capabilities.freshness.timestampFormats}
                    value={form.timestampFormat}
                    onChange={(value) => set('timestampFormat')(value ?? form.timestampFormat)}
                    allowDeselect={false}
                    error={problem('timestamp.format')}
                  />
                </Group>
                <Group grow align="flex-start">
                  <NumberInput
                    label="Max age (s)"
                    placeholder={String(capabilities.freshness.defaults.maxAgeSeconds)}
                    value={form.maxAgeSeconds}
                    onChange={set('maxAgeSeconds')}
                    error={problem('timestamp.maxAgeSeconds')}
                  />
                  <NumberInput
                    label="Max future skew (s)"
                    placeholder={String(capabilities.freshness.defaults.maxFutureSkewSeconds)}
                    value={form.maxFutureSkewSeconds}
                    onChange={set('maxFutureSkewSeconds')}
                    error={problem('timestamp.maxFutureSkewSeconds')}
                  />
                </Group>
              </>
            ) : null}
          </Stack>
        </Fieldset>

        <Fieldset legend="Identity">
          <Stack gap="sm">
            <Group grow align="flex-start">
              <Select
                label="Delivery identity"
                description="How a redelivery of the same request is recognised"
                data={[
                  { value: PRESET_DEFAULT, label: "The preset's (else body hash)" },
                  ...capabilities.identity.delivery.map(({ value, label }) => ({ value, label })),
                ]}
                value={form.deliveryPolicy}
                onChange={(value) => set('deliveryPolicy')(value ?? PRESET_DEFAULT)}
                allowDeselect={false}
                error={
                  problem('identity.delivery.policy') ??
                  problem('identity.delivery') ??
                  problem('identity')
                }
              />
              {deliveryFields.includes('header') ? (
                <TextInput
                  label="Delivery header"
                  placeholder="X-Request-Id"
                  value={form.deliveryHeader}
                  onChange={(e) => set('deliveryHeader')(e.currentTarget.value)}
                  error={problem('identity.delivery.header')}
                />
              ) : null}
            </Group>
            <Group grow align="flex-start">
              <Select
                label="Replay identity"
                description="How the same business event sent twice is recognised"
                data={[
                  { value: PRESET_DEFAULT, label: "The preset's (else none)" },
                  ...capabilities.identity.replay.map(({ value, label }) => ({ value, label })),
                ]}
                value={form.replayPolicy}
                onChange={(value) => set('replayPolicy')(value ?? PRESET_DEFAULT)}
                allowDeselect={false}
                error={problem('identity.replay.policy') ?? problem('identity.replay')}
              />
              {replayFields.includes('path') ? (
                <TextInput
                  label="Replay payload path"
                  placeholder="data.id"
                  value={form.replayPath}
                  onChange={(e) => set('replayPath')(e.currentTarget.value)}
                  error={problem('identity.replay.path')}
                />
              ) : null}
              {replayFields.includes('header') ? (
                <TextInput
                  label="Replay header"
                  placeholder="Idempotency-Key"
                  value={form.replayHeader}
                  onChange={(e) => set('replayHeader')(e.currentTarget.value)}
                />
              ) : null}
            </Group>
          </Stack>
        </Fieldset>

        <Fieldset legend="Semantic bindings">
          <JsonInput
            label="Bindings (JSON list)"
            description='Each { "name", "source" }, e.g. { "name": "customer", "source": { "kind": "payload", "path": "data.customer" } }'
            value={form.semanticBindings}
            onChange={set('semanticBindings')}
            autosize
            minRows={2}
            maxRows={12}
            error={bindings.error ?? under('semanticBindings')}
            styles={{ error: { whiteSpace: 'pre-wrap' } }}
          />
        </Fieldset>

        <Fieldset legend="Handshakes">
          <Stack gap="sm">
            {capabilities.handshakes.map((h) => {
              const state = form.handshakes[h.name] ?? { on: false, token: '' };
              const tokenField = h.token?.field;
              return (
                <Stack key={h.name} gap="sm">
                  <Switch
                    label={h.label}
                    checked={state.on}
                    onChange={(e) => setHandshake(h.name, { on: e.currentTarget.checked })}
                  />
                  {state.on && h.token && tokenField ? (
                    <PasswordInput
                      label={h.token.label}
                      description={kept(
                        'token',
                        Boolean(record(handshakes[h.name])[`${tokenField}Set`]),
                      )}
                      value={state.token}
                      onChange={(e) => setHandshake(h.name, { token: e.currentTarget.value })}
                      error={
                        problem(`handshakes.${h.name}.${tokenField}`) ??
                        problem(`handshakes.${h.name}`)
                      }
                      autoComplete="new-password"
                    />
                  ) : null}
                </Stack>
              );
            })}
          </Stack>
        </Fieldset>

        <Fieldset legend="Limits">
          <Group grow align="flex-start">
            <NumberInput
              label="Max body bytes"
              placeholder="1048576"
              value={form.maxBodyBytes}
              onChange={set('maxBodyBytes')}
              error={problem('maxBodyBytes')}
              allowDecimal={false}
            />
            <NumberInput
              label="Rejected events stored per minute"
              placeholder="60"
              value={form.rejectedPerMinute}
              onChange={set('rejectedPerMinute')}
              error={problem('rejectedPerMinute')}
              allowDecimal={false}
            />
          </Group>
        </Fieldset>

        <OtherProblems error={save.error} shown={shownFields(form, capabilities)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={Boolean(bindings.error)}>
            {endpoint ? 'Save' : 'Create endpoint'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The custom HMAC scheme, and what is signed: parts joined in the order listed. */
function CustomHmac({
  form,
  set,
  setParts,
  problem,
  capabilities,
}: {
  form: FormState;
  set: <K extends keyof FormState>(key: K) => (value: FormState[K]) => void;
  setParts: (parts: PartRow[]) => void;
  problem: (field: string) => string | undefined;
  capabilities: Capabilities;
}) {
  const { signature } = capabilities;
  const parts = form.parts;
  const change = (index: number, patch: Partial<PartRow>) =>
    setParts(parts.map((part, i) => (i === index ? { ...part, ...patch } : part)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...parts];
    const [part] = next.splice(index, 1);
    next.splice(index + by, 0, part);
    setParts(next);
  };
  return (
    <Stack gap="sm">
      <Group grow align="flex-start">
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
          error={problem('signature.prefix')}
        />
      </Group>
      <Group grow align="flex-start">
        <Select
          label="Digest"
          data={signature.digests}
          value={form.digest}
          onChange={(value) => set('digest')(value ?? form.digest)}
          allowDeselect={false}
          error={problem('signature.digest')}
        />
        <Select
          label="Encoding"
          data={signature.encodings}
          value={form.encoding}
          onChange={(value) => set('encoding')(value ?? form.encoding)}
          allowDeselect={false}
          error={problem('signature.encoding')}
        />
        <Select
          label="Secret encoding"
          data={signature.secretEncodings}
          value={form.secretEncoding}
          onChange={(value) => set('secretEncoding')(value ?? form.secretEncoding)}
          allowDeselect={false}
          error={problem('signature.secretEncoding')}
        />
      </Group>
      <Group grow align="flex-start">
        <Select
          label="Header format"
          data={signature.headerFormats.map(({ value, label }) => ({ value, label }))}
          value={form.headerFormat}
          onChange={(value) => set('headerFormat')(value ?? form.headerFormat)}
          allowDeselect={false}
          error={problem('signature.headerFormat')}
        />
        {policyFields(signature.headerFormats, form.headerFormat).includes('headerKey') ? (
          <TextInput
            label="Header key"
            placeholder="v1"
            value={form.headerKey}
            onChange={(e) => set('headerKey')(e.currentTarget.value)}
            error={problem('signature.headerKey')}
          />
        ) : null}
      </Group>
      <Text size="sm" fw={500} id="signed-parts-label">
        Signed parts, in order (joined with nothing between them)
      </Text>
      <Stack gap="xs" role="list" aria-labelledby="signed-parts-label">
        {parts.map((part, index) => (
          <Group key={index} align="flex-end" wrap="nowrap" role="listitem">
            <Select
              label={`Part ${index + 1}`}
              data={signature.partKinds.map(({ value, label }) => ({ value, label }))}
              value={part.kind}
              onChange={(value) => change(index, { kind: value ?? part.kind })}
              allowDeselect={false}
              error={problem(`signature.parts.${index}.kind`)}
              w={170}
            />
            {fieldsOf(capabilities, part.kind).map((field) => (
              <TextInput
                key={field}
                label={`Part ${index + 1} ${PART_INPUTS[field]}`}
                value={part[field]}
                onChange={(e) => change(index, { [field]: e.currentTarget.value })}
                error={problem(`signature.parts.${index}.${field}`)}
                style={{ flex: 1 }}
              />
            ))}
            {fieldsOf(capabilities, part.kind).length === 0 ? <div style={{ flex: 1 }} /> : null}
            <ActionIcon
              variant="subtle"
              aria-label={`Move part ${index + 1} up`}
              disabled={index === 0}
              onClick={() => move(index, -1)}
              mb={4}
            >
              ↑
            </ActionIcon>
            <ActionIcon
              variant="subtle"
              aria-label={`Move part ${index + 1} down`}
              disabled={index === parts.length - 1}
              onClick={() => move(index, 1)}
              mb={4}
            >
              ↓
            </ActionIcon>
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove part ${index + 1}`}
              onClick={() => setParts(parts.filter((_, i) => i !== index))}
              mb={4}
            >
              ×
            </ActionIcon>
          </Group>
        ))}
      </Stack>
      {problem('signature.parts') ? (
        <Text c="red.8" size="xs" role="alert">
          {problem('signature.parts')}
        </Text>
      ) : null}
      <Group>
        <Button
          size="xs"
          variant="light"
          onClick={() =>
            setParts([
              ...parts,
              { kind: signature.customDefaults.newPartKind, value: '', name: '', param: '' },
            ])
          }
        >
          Add signed part
        </Button>
      </Group>
    </Stack>
  );
}
