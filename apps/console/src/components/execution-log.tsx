import { Alert, Badge, Card, Group, Stack, Table, Text } from '@mantine/core';
import { Empty, Json } from './common';

/**
 * An execution log as the API records it (libs/core's ExecutionLog): every rule tried,
 * condition by condition with the resolved value, operator and verdict; then the
 * assignments, lookups and records written. Display only: the server decided all of it.
 */
interface ConditionLog {
  source?: string;
  path?: string;
  operator?: string;
  expected?: unknown;
  actual?: unknown;
  absent?: boolean;
  result?: boolean;
  error?: string;
}
interface RuleLog {
  sequence?: number;
  name?: string;
  matched?: boolean;
  conditions?: ConditionLog[];
}
interface ValueLog {
  field?: string;
  value?: unknown;
  absent?: boolean;
}
interface ExecutionLog {
  mode?: string;
  rules?: RuleLog[];
  matchedRule?: string | null;
  action?: string;
  note?: string;
  assignments?: ValueLog[];
  lookups?: ValueLog[];
  records?: Array<{ model?: string; recordId?: string; operation?: string }>;
}

const show = (value: unknown): string =>
  value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);

export function ExecutionLogView({ log }: { log: Record<string, unknown> | null | undefined }) {
  if (!log) {
    return (
      <Empty title="Not processed yet">
        The log appears once a worker has processed the event.
      </Empty>
    );
  }
  const entry = log as ExecutionLog;
  return (
    <Stack data-testid="execution-log">
      <Group gap="xs">
        <Text size="sm">Action:</Text>
        <Badge>{entry.action ?? '—'}</Badge>
        <Text size="sm">Matched rule:</Text>
        <Badge color={entry.matchedRule ? 'green' : 'gray'}>{entry.matchedRule ?? 'none'}</Badge>
        {entry.note ? (
          <Text size="sm" c="dimmed">
            {entry.note}
          </Text>
        ) : null}
      </Group>
      {(entry.rules ?? []).map((rule, index) => (
        <Card key={`${rule.sequence}-${index}`} withBorder padding="sm">
          <Group justify="space-between" mb="xs">
            <Text fw={600}>
              #{rule.sequence} {rule.name}
            </Text>
            <Badge color={rule.matched ? 'green' : 'gray'}>
              {rule.matched ? 'matched' : 'not matched'}
            </Badge>
          </Group>
          {(rule.conditions ?? []).length === 0 ? (
            <Text size="sm" c="dimmed">
              No conditions: always matches.
            </Text>
          ) : (
            <Table withTableBorder aria-label={`Conditions of ${rule.name ?? 'rule'}`}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Value at</Table.Th>
                  <Table.Th>Resolved</Table.Th>
                  <Table.Th>Operator</Table.Th>
                  <Table.Th>Expected</Table.Th>
                  <Table.Th>Verdict</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(rule.conditions ?? []).map((condition, i) => (
                  <Table.Tr key={i}>
                    <Table.Td ff="monospace">
                      {condition.source}:{condition.path}
                    </Table.Td>
                    <Table.Td ff="monospace">
                      {condition.absent ? <em>absent</em> : show(condition.actual)}
                    </Table.Td>
                    <Table.Td>{condition.operator}</Table.Td>
                    <Table.Td ff="monospace">{show(condition.expected)}</Table.Td>
                    <Table.Td>
                      {condition.error ? (
                        <Text c="red" size="sm">
                          {condition.error}
                        </Text>
                      ) : (
                        <Badge color={condition.result ? 'green' : 'red'}>
                          {condition.result ? 'true' : 'false'}
                        </Badge>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      ))}
      {(entry.records ?? []).length > 0 ? (
        <Alert color="green" title="Records written">
          {(entry.records ?? []).map((record, i) => (
            <Text key={i} size="sm" ff="monospace">
              {record.operation} {record.model} {record.recordId}
            </Text>
          ))}
        </Alert>
      ) : null}
      {(entry.assignments ?? []).length > 0 || (entry.lookups ?? []).length > 0 ? (
        <Json
          value={{ lookups: entry.lookups ?? [], assignments: entry.assignments ?? [] }}
          label="Lookups and assignments"
        />
      ) : null}
    </Stack>
  );
}
