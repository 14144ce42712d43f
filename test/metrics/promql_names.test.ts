// The extractor the dashboard test relies on: if it dropped names, that test would pass vacuously.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardExpressions, metricNamesOf } from './promql_names.js';

test('metric names of PromQL: functions, matchers, ranges, grouping labels and variables are not names', () => {
  assert.deepEqual(metricNamesOf('histogram_quantile(0.99, sum by (instance, le) (rate(shoal_wal_fsync_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval])))'), ['shoal_wal_fsync_duration_seconds_bucket']);
  assert.deepEqual(metricNamesOf('max by (instance, group) (shoal_raft_commit_lsn - shoal_raft_applied_lsn)'), ['shoal_raft_commit_lsn', 'shoal_raft_applied_lsn']);
  assert.deepEqual(metricNamesOf('count(max by (group) (shoal_raft_leader_id) == 0) or vector(0)'), ['shoal_raft_leader_id']);
  assert.deepEqual(metricNamesOf('rate(a_total[5m]) / on(instance) group_left(site) b_info * 2'), ['a_total', 'b_info']);
  assert.deepEqual(metricNamesOf('shoal_raft_role{role="leader", group!="1"} == bool 1'), ['shoal_raft_role']);
  assert.deepEqual(metricNamesOf('rate(x_seconds_sum[1m]) / rate(x_seconds_count[1m])'), ['x_seconds_sum', 'x_seconds_count']);
  assert.deepEqual(metricNamesOf('1e3 * up offset 5m'), ['up']);
});

test('every target of a dashboard, in rows too, and label_values variables', () => {
  const exprs = dashboardExpressions({
    panels: [{ title: 'a', targets: [{ refId: 'A', expr: 'm1' }] }, { title: 'row', panels: [{ title: 'b', targets: [{ refId: 'B', expr: 'm2' }] }] }],
    templating: { list: [{ name: 'instance', query: { query: 'label_values(m3, instance)' } }, { name: 'custom', query: 'a,b' }] },
  });
  assert.deepEqual(exprs.map((e) => e.expr), ['m1', 'm2', 'm3']);
});
