// The metric names a PromQL expression (as a Grafana target writes it) reads: what is left once
// strings, label matchers, range and subquery brackets, grouping clauses (by/without/on/ignoring/
// group_left/group_right with their label lists), function names, keywords, numbers and Grafana
// variables ($__rate_interval, ${x}) are taken out. Enough for dashboards; not a PromQL parser.

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings (label values, label_replace args)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // [5m], [$__rate_interval], subqueries [1h:1m]
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping and its labels
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables
    .replace(/\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, ' ('); // function and aggregation names
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    const word = m[1]!;
    if (!KEYWORDS.has(word.toLowerCase())) names.add(word);
  }
  return [...names];
}

/** Every PromQL expression of a Grafana dashboard: panel targets (also in rows) and template variable queries. */
export function dashboardExpressions(dashboard: unknown): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const d = dashboard as { panels?: Panel[]; templating?: { list?: Array<{ name: string; query?: string | { query?: string } }> } };
  const visit = (panels: Panel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ where: `panel "${p.title}" target ${t.refId}`, expr: t.expr });
      visit(p.panels);
    }
  };
  visit(d.panels);
  for (const v of d.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const metric = q === undefined ? undefined : /^label_values\(\s*([^,)]+)/.exec(q)?.[1];
    if (metric !== undefined) out.push({ where: `variable ${v.name}`, expr: metric });
  }
  return out;
}

interface Panel {
  title: string;
  targets?: Array<{ refId: string; expr?: string }>;
  panels?: Panel[];
}
