import { Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';

/** One labelled series of a histogram counted elsewhere: per-bucket counts (not cumulative, overflow last) and the sum. */
export interface HistogramSeries<L extends string> {
  labels: Record<L, string>;
  /** Requests per bucket of `buckets`, the last slot above the largest bound (length = buckets.length + 1). */
  counts: ArrayLike<number>;
  sum: number;
}

export interface ScrapeHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
  /** Called at every scrape; the series it yields are the whole histogram. */
  series: () => Iterable<HistogramSeries<L>>;
}

/**
 * A prom-client histogram whose buckets are read at scrape time from counts
 * kept elsewhere (the proxy's traffic windows), so the request path never
 * calls `observe`. prom-client's own exposition writes the text, with its
 * `_bucket{le}`, `_sum` and `_count` lines.
 */
export class ScrapeHistogram<L extends string> extends Histogram<L> {
  private readonly readSeries: () => Iterable<HistogramSeries<L>>;
  private readonly bounds: readonly number[];
  private readonly metricName: string;
  private readonly helpText: string;

  constructor(opts: ScrapeHistogramOptions<L>) {
    super({ name: opts.name, help: opts.help, labelNames: [...opts.labelNames], buckets: [...opts.buckets], registers: opts.registers });
    this.readSeries = opts.series;
    this.bounds = opts.buckets;
    this.metricName = opts.name;
    this.helpText = opts.help;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    const values: MetricValueWithName<L>[] = [];
    for (const s of this.readSeries()) {
      let acc = 0;
      const bucket = `${this.metricName}_bucket`;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ metricName: bucket, labels: { ...s.labels, le: this.bounds[i]! } as MetricValueWithName<L>['labels'], value: acc });
      }
      acc += s.counts[this.bounds.length]!;
      values.push({ metricName: bucket, labels: { ...s.labels, le: '+Inf' } as MetricValueWithName<L>['labels'], value: acc });
      values.push({ metricName: `${this.metricName}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: s.labels, value: acc });
    }
    // prom-client's typings declare `type` as a numeric enum and `collect` as required; at run time `type` is the
    // text written after `# TYPE` and the registry reads no `collect` from this object.
    const metric = { name: this.metricName, help: this.helpText, type: 'histogram', values, aggregator: 'sum' };
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<L>>;
  }

  /** The registry prefers this one when writing text; the values carry their labels whole, so it is `get`. */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    return this.get();
  }
}
