import {
  Card,
  Group,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api';
import { Empty, Failure, Loading, useUrlState } from '../components/common';

/** `/stats` as plain SVG charts: volume per day, outcomes, success rates, latency. */
const WINDOWS: Record<string, number> = { '24h': 1, '7d': 7, '30d': 30 };

export function OverviewView() {
  const [params, update] = useUrlState();
  const window = params.get('window') ?? '7d';
  const days = WINDOWS[window] ?? 7;
  const from = new Date(Date.now() - days * 86_400_000);
  from.setUTCMinutes(0, 0, 0);
  const stats = useQuery({
    queryKey: ['stats', window],
    queryFn: () =>
      call(api.GET('/api/v1/stats', { params: { query: { from: from.toISOString() } } })),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Overview</Title>
        <SegmentedControl
          aria-label="Time window"
          data={Object.keys(WINDOWS)}
          value={window}
          onChange={(value) => update({ window: value })}
        />
      </Group>
      {stats.isPending ? (
        <Loading />
      ) : stats.isError ? (
        <Failure error={stats.error} onRetry={() => void stats.refetch()} />
      ) : (
        <>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Figure label="Inbound events" value={stats.data.inbound.total} />
            <Figure label="Inbound success" value={percent(stats.data.inbound.successRate)} />
            <Figure label="Deliveries" value={stats.data.outbound.total} />
            <Figure label="Delivery success" value={percent(stats.data.outbound.successRate)} />
          </SimpleGrid>
          <Card withBorder>
            <Text fw={600} mb="sm">
              Volume per day
            </Text>
            <DailyChart daily={stats.data.daily} />
          </Card>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Text fw={600} mb="sm">
                Inbound outcomes
              </Text>
              <Bars values={stats.data.inbound.byState} label="Inbound events by state" />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="sm">
                Delivery outcomes
              </Text>
              <Bars values={stats.data.outbound.byState} label="Deliveries by state" />
            </Card>
          </SimpleGrid>
          <Card withBorder>
            <Text fw={600} mb="sm">
              Attempt latency (ms)
            </Text>
            <Bars
              label="Attempt latency percentiles"
              values={{
                p50: stats.data.attemptLatencyMs.p50 ?? 0,
                p95: stats.data.attemptLatencyMs.p95 ?? 0,
                p99: stats.data.attemptLatencyMs.p99 ?? 0,
              }}
            />
            <Text size="xs" c="dimmed" mt="xs">
              {stats.data.attemptLatencyMs.method}
            </Text>
          </Card>
          <Card withBorder>
            <Text fw={600} mb="sm">
              Outbound endpoints, failing most first
            </Text>
            {stats.data.outbound.endpoints.length === 0 ? (
              <Empty title="No deliveries in this window" />
            ) : (
              <Table aria-label="Outbound endpoints by success rate">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Endpoint</Table.Th>
                    <Table.Th>Deliveries</Table.Th>
                    <Table.Th>Success rate</Table.Th>
                    <Table.Th>p95 latency</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {[...stats.data.outbound.endpoints]
                    .sort((a, b) => (a.successRate ?? 1) - (b.successRate ?? 1))
                    .map((endpoint) => (
                      <Table.Tr key={endpoint.endpointId ?? endpoint.name}>
                        <Table.Td>{endpoint.name ?? 'unknown'}</Table.Td>
                        <Table.Td>{endpoint.total}</Table.Td>
                        <Table.Td>{percent(endpoint.successRate)}</Table.Td>
                        <Table.Td>{endpoint.latencyMs.p95 ?? '—'} ms</Table.Td>
                      </Table.Tr>
                    ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
        </>
      )}
    </Stack>
  );
}

const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)} %`;

function Figure({ label, value }: { label: string; value: number | string }) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}

const COLORS: Record<string, string> = {
  done: '#2f9e44',
  error: '#e8590c',
  dead_letter: '#c92a2a',
  rejected: '#a61e4d',
  canceled: '#868e96',
};

/** Horizontal bars with their numbers, readable without colour. */
function Bars({ values, label }: { values: Record<string, number>; label: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <Empty title="Nothing in this window" />;
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const row = 26;
  return (
    <svg
      role="img"
      aria-label={label}
      width="100%"
      height={entries.length * row}
      viewBox={`0 0 400 ${entries.length * row}`}
    >
      {entries.map(([name, value], i) => (
        <g key={name} transform={`translate(0, ${i * row})`}>
          <text x="0" y="17" fontSize="12" fill="#212529">
            {name.replace('_', ' ')}
          </text>
          <rect
            x="100"
            y="4"
            height="16"
            width={(value / max) * 240}
            fill={COLORS[name] ?? '#4263eb'}
            rx="2"
          />
          <text x={106 + (value / max) * 240} y="17" fontSize="12" fill="#212529">
            {value}
          </text>
        </g>
      ))}
    </svg>
  );
}

function DailyChart({
  daily,
}: {
  daily: Array<{ day: string; inbound: number; outbound: number }>;
}) {
  if (daily.length === 0) return <Empty title="Nothing in this window" />;
  const max = Math.max(1, ...daily.flatMap((d) => [d.inbound, d.outbound]));
  const width = 720;
  const height = 160;
  const slot = width / daily.length;
  const bar = Math.max(2, Math.min(24, slot / 2 - 4));
  return (
    <Stack gap={4}>
      <svg
        role="img"
        aria-label="Inbound events and deliveries per day"
        width="100%"
        viewBox={`0 0 ${width} ${height + 20}`}
      >
        {daily.map((d, i) => {
          const x = i * slot + slot / 2;
          const hIn = (d.inbound / max) * height;
          const hOut = (d.outbound / max) * height;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.inbound} inbound, ${d.outbound} outbound`}</title>
              <rect x={x - bar - 1} y={height - hIn} width={bar} height={hIn} fill="#4263eb" />
              <rect x={x + 1} y={height - hOut} width={bar} height={hOut} fill="#0ca678" />
              {daily.length <= 14 || i % Math.ceil(daily.length / 10) === 0 ? (
                <text x={x} y={height + 14} fontSize="10" textAnchor="middle" fill="#495057">
                  {d.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <Group gap="md">
        <Text size="xs">
          <span style={{ color: '#4263eb' }}>■</span> inbound
        </Text>
        <Text size="xs">
          <span style={{ color: '#0ca678' }}>■</span> outbound
        </Text>
      </Group>
    </Stack>
  );
}
