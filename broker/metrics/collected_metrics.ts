// Metrics whose value is read from the node's state when Prometheus scrapes (no bookkeeping): at
// each collect the metric is reset and refilled, so a series whose subject is gone (a dropped
// table, an ended subscription, a group this node left) disappears with it.

import { Counter, Gauge, Registry } from 'prom-client';

type Labels<L extends string> = Partial<Record<L, string | number>>;
export type Fill<L extends string> = (set: (labels: Labels<L>, value: number) => void) => void;

export function collectedGauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], fill: Fill<L>): Gauge<L> {
  const gauge: Gauge<L> = new Gauge<L>({
    name, help, labelNames, registers: [registry],
    collect: () => {
      gauge.reset();
      fill((labels, value) => gauge.set(labels, value));
    },
  });
  return gauge;
}

/** A counter the node already keeps (requests, errors by code): the scrape copies its current total. */
export function collectedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], fill: Fill<L>): Counter<L> {
  const counter: Counter<L> = new Counter<L>({
    name, help, labelNames, registers: [registry],
    collect: () => {
      counter.reset();
      fill((labels, value) => counter.inc(labels, value));
    },
  });
  return counter;
}
