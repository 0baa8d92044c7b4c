import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Failure, Loading } from './common';

/**
 * A bulk action by the current filter (replay deliveries, reprocess events) behind a
 * confirmation that says how many: `count` (the API's dry run) runs when the dialog opens,
 * `run` does it, then `invalidate` is refetched. Both resolve to the number of items (null or
 * undefined when the answer has none).
 */
export function BulkActionDialog({
  openLabel,
  title,
  description,
  countKey,
  count,
  run,
  invalidate,
  countingLabel,
  countTestId,
  confirmText,
  doneText,
  confirmLabel,
}: {
  openLabel: string;
  title: string;
  description: ReactNode;
  countKey: QueryKey;
  count: () => Promise<number | null>;
  run: () => Promise<number | undefined>;
  invalidate: QueryKey;
  countingLabel: string;
  countTestId: string;
  confirmText: (matched: number | undefined) => ReactNode;
  doneText: (done: number) => ReactNode;
  confirmLabel: string;
}) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const counted = useQuery({ queryKey: countKey, queryFn: count, enabled: open, gcTime: 0 });
  const action = useMutation({
    mutationFn: run,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: invalidate }),
  });
  const matched = counted.data ?? undefined;
  const done = action.data;
  return (
    <>
      <Button
        variant="light"
        onClick={() => {
          action.reset();
          setOpen(true);
        }}
      >
        {openLabel}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title}>
        <Stack>
          <Text>{description}</Text>
          {done !== undefined ? (
            <Alert color="green" role="status">
              {doneText(done)}
            </Alert>
          ) : counted.isFetching || counted.isPending ? (
            <Loading label={countingLabel} />
          ) : counted.isError ? (
            <Failure error={counted.error} onRetry={() => void counted.refetch()} />
          ) : (
            <Text fw={600} data-testid={countTestId}>
              {confirmText(matched)}
            </Text>
          )}
          {action.isError ? <Failure error={action.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Close
            </Button>
            <Button
              onClick={() => action.mutate()}
              loading={action.isPending}
              disabled={action.isSuccess || matched === undefined || matched === 0}
            >
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
