import { Button, Group, Select, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';

/** A row of list filters bound to the URL: selects apply at once, text on submit. */
export interface FilterField {
  name: string;
  label: string;
  kind: 'select' | 'text' | 'datetime';
  options?: Array<{ value: string; label: string }>;
  placeholder?: string;
}

/** `<input type="datetime-local">` value ↔ ISO 8601 in UTC (the API's format). */
const toLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (value: string): string | null =>
  value ? new Date(value).toISOString() : null;

export function Filters({
  fields,
  params,
  onChange,
}: {
  fields: FilterField[];
  params: URLSearchParams;
  onChange: (changes: Record<string, string | null>) => void;
}) {
  const [text, setText] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      fields
        .filter((field) => field.kind !== 'select')
        .map((field) => [
          field.name,
          field.kind === 'datetime'
            ? toLocalInput(params.get(field.name))
            : (params.get(field.name) ?? ''),
        ]),
    ),
  );
  function submit(event: FormEvent) {
    event.preventDefault();
    onChange(
      Object.fromEntries(
        fields
          .filter((field) => field.kind !== 'select')
          .map((field) => [
            field.name,
            field.kind === 'datetime'
              ? fromLocalInput(text[field.name] ?? '')
              : (text[field.name] ?? '').trim() || null,
          ]),
      ),
    );
  }
  return (
    <form onSubmit={submit} aria-label="Filters">
      <Group align="flex-end" gap="sm" wrap="wrap">
        {fields.map((field) =>
          field.kind === 'select' ? (
            <Select
              key={field.name}
              label={field.label}
              data={field.options ?? []}
              value={params.get(field.name)}
              onChange={(value) => onChange({ [field.name]: value })}
              clearable
              placeholder="any"
              w={180}
            />
          ) : (
            <TextInput
              key={field.name}
              label={field.label}
              type={field.kind === 'datetime' ? 'datetime-local' : 'text'}
              placeholder={field.placeholder}
              value={text[field.name] ?? ''}
              onChange={(event) => {
                const value = event.currentTarget.value;
                setText((current) => ({ ...current, [field.name]: value }));
              }}
              w={field.kind === 'datetime' ? 210 : 220}
            />
          ),
        )}
        <Button type="submit" variant="light">
          Apply
        </Button>
      </Group>
    </form>
  );
}
