import { profile } from './profile';

/**
 * What happened to every item of a scenario. Each scenario fills these from the real
 * servers (HTTP answers, Postgres rows, the sink's own log), prints them in one line the
 * docs quote, and fails on any loss.
 */
export interface Counts {
  sent: number;
  acknowledged: number;
  stored: number;
  processed: number;
  /** Outbound only: deliveries the sink received and Postgres marks `done`. */
  delivered?: number;
  lost: number;
  duplicatedEffect: number;
  /** Scenario-specific figures (faults injected, repeats, 503s, …). */
  extra?: Record<string, number | string>;
}

export function report(scenario: string, counts: Counts): void {
  const ordered = {
    sent: counts.sent,
    acknowledged: counts.acknowledged,
    stored: counts.stored,
    processed: counts.processed,
    delivered: counts.delivered ?? 'n/a',
    lost: counts.lost,
    duplicatedEffect: counts.duplicatedEffect,
    ...counts.extra,
  };
  const line = Object.entries(ordered)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  // Straight to stdout (not console.log) so Jest prints it without a stack frame.
  process.stdout.write(`\n[chaos:${profile}] ${scenario}: ${line}\n`);
}
