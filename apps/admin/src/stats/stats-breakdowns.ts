import {
  BREAKDOWN_GROUPS,
  type StatsBreakdownRow,
  type StatsDirection,
  type StatsRepository,
} from '@app/persistence';
import type { StatsDimension } from './stats.dto';

/**
 * The breakdowns of `GET /stats?groupBy=` (the webhook engine dashboard's event type
 * distribution, events per model and error tracking): one list per dimension asked,
 * shaped from StatsRepository.breakdown's rows, largest first.
 */
export interface EventTypeStats {
  eventType: string;
  total: number;
  byState: Record<string, number>;
  successRate: number | null;
}

export interface RecordModelStats {
  model: string;
  created: number;
}

export interface ErrorClassStats {
  direction: 'inbound' | 'outbound';
  errorClass: string;
  count: number;
}

export interface StatsBreakdowns {
  eventType?: EventTypeStats[];
  recordModel?: RecordModelStats[];
  errorClass?: ErrorClassStats[];
}

/** `groupBy` (validated by StatsQuery) as a list without repeats. */
export function dimensionsOf(groupBy: string | undefined): StatsDimension[] {
  return groupBy ? [...new Set(groupBy.split(',') as StatsDimension[])] : [];
}

export async function statsBreakdowns(
  repository: StatsRepository,
  dimensions: StatsDimension[],
  tenantId: string,
  window: { from: Date; to: Date; rolledUpTo: Record<StatsDirection, Date> },
  successRate: (byState: Record<string, number>) => number | null,
): Promise<StatsBreakdowns> {
  const lists = await Promise.all(
    dimensions.map((dimension) =>
      repository.breakdown(dimension, tenantId, window.from, window.to, window.rolledUpTo),
    ),
  );
  const result: StatsBreakdowns = {};
  dimensions.forEach((dimension, i) => {
    const rows = lists[i];
    if (dimension === 'eventType') result.eventType = eventTypes(rows, successRate);
    if (dimension === 'recordModel') {
      result.recordModel = rows.flatMap((row) =>
        row.dimension === 'recordModel' ? [{ model: row.model, created: row.created }] : [],
      );
    }
    if (dimension === 'errorClass') {
      result.errorClass = rows.flatMap((row) =>
        row.dimension === 'errorClass'
          ? [{ direction: row.direction, errorClass: row.error_class, count: row.n }]
          : [],
      );
    }
  });
  return result;
}

function eventTypes(
  rows: StatsBreakdownRow[],
  successRate: (byState: Record<string, number>) => number | null,
): EventTypeStats[] {
  const byType = new Map<string, Record<string, number>>();
  for (const row of rows) {
    if (row.dimension !== 'eventType') continue;
    const counts = byType.get(row.event_type) ?? {};
    counts[row.state] = (counts[row.state] ?? 0) + row.n;
    byType.set(row.event_type, counts);
  }
  return [...byType]
    .map(([eventType, byState]) => ({
      eventType,
      total: Object.values(byState).reduce((a, b) => a + b, 0),
      byState,
      successRate: successRate(byState),
    }))
    .sort((a, b) => b.total - a.total || a.eventType.localeCompare(b.eventType))
    .slice(0, BREAKDOWN_GROUPS);
}
