/**
 * Bounds how many rejected events one endpoint may store per minute (per gateway
 * process), so a flood of forged requests cannot fill the database. Excess rejections
 * are answered the same way but only counted in a metric.
 */
export class RejectedBudget {
  private readonly windows = new Map<string, { minute: number; used: number }>();

  take(endpointId: string, perMinute: number, now = Date.now()): boolean {
    const minute = Math.floor(now / 60_000);
    const window = this.windows.get(endpointId);
    if (!window || window.minute !== minute) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(endpointId, { minute, used: 1 });
      return perMinute >= 1;
    }
    if (window.used >= perMinute) return false;
    window.used += 1;
    return true;
  }
}
