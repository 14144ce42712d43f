// Counter series that belong to a subject (a Raft group, a stream table) and must go when it does:
// a dropped table's counters are removed, so the label sets stay as many as the live subjects.
// Gauges need none of this: they are reset and refilled from the node's state at every scrape.

import type { Counter } from 'prom-client';

type Labels = Record<string, string>;

export class SubjectSeries {
  /** subject -> counter -> label key -> labels */
  private readonly bySubject = new Map<string, Map<Counter<string>, Map<string, Labels>>>();

  /** Adds `value` (>= 0; 0 makes the series exist) to the counter's series for `labels`, which belong to `subject`. */
  inc(subject: string, counter: Counter<string>, labels: Labels, value = 1): void {
    let counters = this.bySubject.get(subject);
    if (!counters) this.bySubject.set(subject, (counters = new Map()));
    let series = counters.get(counter);
    if (!series) counters.set(counter, (series = new Map()));
    const key = labelKey(labels);
    if (!series.has(key)) series.set(key, labels);
    counter.inc(labels, value);
  }

  /** Removes every series of `subject` now (a dropped table); a new subject of the same name starts at 0. */
  drop(subject: string): void {
    for (const [counter, series] of this.bySubject.get(subject) ?? []) for (const labels of series.values()) counter.remove(labels);
    this.bySubject.delete(subject);
  }

  /** Removes the series of every subject not in `live` (a group this node left, a table dropped while unseen). */
  retainOnly(live: ReadonlySet<string>): void {
    for (const subject of [...this.bySubject.keys()]) if (!live.has(subject)) this.drop(subject);
  }

  subjectCount(): number {
    return this.bySubject.size;
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}
