/** docs/grafana/cutover.json for tests: its PromQL expressions and the metric names they use. */
import { readFileSync } from 'node:fs';

export const DASHBOARD_FILE = new URL('../../docs/grafana/cutover.json', import.meta.url);

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

/** Every query of the dashboard: panel targets (rows included) and query variables, with the panel title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dash = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; definition?: string }> } };
  const out: Array<{ panel: string; expr: string }> = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ panel: p.title, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating.list) if (v.definition) out.push({ panel: `variable ${v.name}`, expr: v.definition });
  return out;
}

/** The metric names an expression reads (Cutover's own: cutover_*). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bcutover_[a-z0-9_]+/g) ?? [])];
}

/** Grafana's variables replaced by values Prometheus accepts, so an expression can be run as is. */
export function withVariables(expr: string, service: string): string {
  return expr.replaceAll('$service', service).replaceAll('$__rate_interval', '5s').replaceAll('$__range', '5m');
}
