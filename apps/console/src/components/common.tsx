import type { UseQueryResult } from '@tanstack/react-query';
import {
  Alert,
  Badge,
  Button,
  Center,
  Code,
  CopyButton,
  Group,
  Loader,
  Stack,
  Text,
} from '@mantine/core';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';

/** The pieces every view shares: loading, failure and empty states, states, JSON, paging. */

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Loader size="sm" mr="sm" />
      <Text c="dimmed">{label}</Text>
    </Center>
  );
}

export function Failure({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message =
    error instanceof ApiError
      ? `${error.status} ${error.body?.error ?? ''}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <Alert color="red" title="The request failed" role="alert">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        {onRetry ? (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Alert>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Stack align="center" py="xl" gap="xs" data-testid="empty-state">
      <Text fw={600}>{title}</Text>
      {children ? (
        <Text c="dimmed" size="sm" ta="center" maw={520}>
          {children}
        </Text>
      ) : null}
    </Stack>
  );
}

const STATE_COLORS: Record<string, string> = {
  done: 'green',
  active: 'green',
  received: 'blue',
  queued: 'blue',
  processing: 'cyan',
  draft: 'gray',
  archived: 'gray',
  canceled: 'gray',
  error: 'orange',
  rejected: 'red',
  dead_letter: 'red',
};

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={STATE_COLORS[state] ?? 'gray'} radius="sm">
      {state.replace('_', ' ')}
    </Badge>
  );
}

/** JSON pretty-printed; a string (a raw body, a response body) exactly as it is. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <Code
      block
      aria-label={label}
      tabIndex={0}
      style={{ maxHeight: 360, overflow: 'auto', whiteSpace: 'pre-wrap' }}
    >
      {value === undefined
        ? '—'
        : typeof value === 'string'
          ? value
          : JSON.stringify(value, null, 2)}
    </Code>
  );
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <>—</>;
  const date = new Date(at);
  return (
    <time dateTime={at} title={at}>
      {date.toLocaleString()}
    </time>
  );
}

/**
 * Search params as the view's state: filters, the page cursor and the selected item live
 * in the URL, so a link reopens exactly this view. Changing a filter drops the cursor.
 */
export function useUrlState(): [URLSearchParams, (changes: Record<string, string | null>) => void] {
  const [params, setParams] = useSearchParams();
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    const touchesFilter = Object.keys(changes).some((key) => key !== 'cursor');
    if (touchesFilter) next.delete('cursor');
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    setParams(next);
  };
  return [params, update];
}

/** Keyset paging: "Next page" follows `nextCursor`; the browser's Back returns. */
export function Pager({
  nextCursor,
  onPage,
  isFirst,
}: {
  nextCursor: string | null | undefined;
  onPage: (cursor: string | null) => void;
  isFirst: boolean;
}) {
  return (
    <Group justify="flex-end" mt="sm" component="nav" aria-label="Pages">
      <Button variant="default" size="xs" disabled={isFirst} onClick={() => onPage(null)}>
        Newest
      </Button>
      <Button
        variant="default"
        size="xs"
        disabled={!nextCursor}
        onClick={() => nextCursor && onPage(nextCursor)}
      >
        Next page
      </Button>
    </Group>
  );
}

export const PAGE_SIZE = 25;

/**
 * Ids are UUIDv7: their first characters are the creation time, the same for everything
 * made in the same minutes. The random tail tells items apart.
 */
export const shortId = (id: string): string => id.slice(-12);

/** A secret the API returns once (a new API key): shown with a copy button, never again. */
export function SecretShownOnce({
  title,
  value,
  testId,
}: {
  title: string;
  value: string;
  testId: string;
}) {
  return (
    <Alert color="yellow" title={title} role="status">
      <Group>
        <Code data-testid={testId}>{value}</Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Alert>
  );
}

/**
 * A cursor-paged list: loading, failure (with retry) and empty states, then `children` with
 * the items and the pager below them.
 */
export function PagedList<T>({
  list,
  cursor,
  onPage,
  empty,
  children,
}: {
  list: UseQueryResult<{ items: T[]; nextCursor?: string | null }>;
  cursor: string | undefined;
  onPage: (cursor: string | null) => void;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  if (list.isPending) return <Loading />;
  if (list.isError) return <Failure error={list.error} onRetry={() => void list.refetch()} />;
  if (list.data.items.length === 0) return <>{empty}</>;
  return (
    <>
      {children(list.data.items)}
      <Pager nextCursor={list.data.nextCursor} isFirst={!cursor} onPage={onPage} />
    </>
  );
}
