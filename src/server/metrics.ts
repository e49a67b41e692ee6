/**
 * Prometheus text exposition for the few numbers an operator needs first: requests by route,
 * method and status, their latency, and the process's memory. Written by hand because the format
 * is tiny and a client library would be the biggest dependency of the server.
 */
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #durations = new Map<string, Histogram>();

  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${route}",method="${method.toUpperCase()}",status="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const hkey = `route="${route}",method="${method.toUpperCase()}"`;
    let h = this.#durations.get(hkey);
    if (h === undefined) {
      h = { counts: buckets.map(() => 0), sum: 0, count: 0 };
      this.#durations.set(hkey, h);
    }
    for (let i = 0; i < buckets.length; i++)
      if (seconds <= (buckets[i] ?? 0)) h.counts[i] = (h.counts[i] ?? 0) + 1;
    h.sum += seconds;
    h.count += 1;
  }

  render(): string {
    const lines: string[] = [
      "# HELP slipway_http_requests_total HTTP requests by route, method and status.",
      "# TYPE slipway_http_requests_total counter",
    ];
    for (const [labels, n] of [...this.#requests].sort())
      lines.push(`slipway_http_requests_total{${labels}} ${n}`);
    lines.push(
      "# HELP slipway_http_request_duration_seconds HTTP request latency.",
      "# TYPE slipway_http_request_duration_seconds histogram",
    );
    for (const [labels, h] of [...this.#durations].sort(([a], [b]) => (a < b ? -1 : 1))) {
      buckets.forEach((le, i) => {
        lines.push(`slipway_http_request_duration_seconds_bucket{${labels},le="${le}"} ${h.counts[i]}`);
      });
      lines.push(`slipway_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      lines.push(`slipway_http_request_duration_seconds_sum{${labels}} ${h.sum}`);
      lines.push(`slipway_http_request_duration_seconds_count{${labels}} ${h.count}`);
    }
    const memory = process.memoryUsage();
    lines.push(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${memory.rss}`,
      "# HELP nodejs_heap_used_bytes V8 heap in use.",
      "# TYPE nodejs_heap_used_bytes gauge",
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
