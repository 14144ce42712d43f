// The cluster page in a real browser: Debian's headless Chromium, driven by playwright-core, loads
// the page from the leader of a 3-node cluster, logs in, and must show the three nodes, the group
// with its leader, and a table with its row count. Then the leader is killed (SIGKILL): the page
// must move to another node by itself (logging in there with the password it holds in memory) and
// show the newly elected leader. Skips, saying why, only when no Chromium is installed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connect } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, TestCluster } from '../node/cluster_harness.js';
import { baseUrl, leaderIndex } from './admin_http.js';

const GROUP = 2;
/** Bound on every wait for the page to show something; a leader election plus a failover take a few seconds. */
const PAGE_WAIT_MS = 30_000;

function findChromium(): string | undefined {
  const candidates = [process.env['SHOAL_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

const executablePath = findChromium();
let cluster: TestCluster | undefined;
let browser: Browser | undefined;

before(async () => {
  if (executablePath === undefined) return;
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: GROUP }] });
  await cluster.startAll();
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await cluster?.destroy();
});

async function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.$eval(selector, (e, n) => e.getAttribute(n), name).catch(() => null);
}

test('the page shows the nodes, the group and its leader, the table; after kill -9 of the leader it shows the new one', async (t) => {
  if (executablePath === undefined) {
    t.skip('no Chromium found (looked at $SHOAL_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): install Debian\'s chromium (.ci/run does) to run the browser test of the admin page');
    return;
  }
  const c = cluster!;
  const leader = await leaderIndex(c, GROUP);
  const leaderAlias = c.nodes[leader]!.alias;
  const client = await connect({ host: '127.0.0.1', port: c.nodes[leader]!.port, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: 10_000 });
  try {
    await client.haStreamTable(GROUP, [{ name: 'id', type: 'STRING' }, { name: 'qty', type: 'INT' }], 'trades', 1000);
    await client.append('trades', { id: ['a', 'b', 'c', 'd', 'e'], qty: [1, 2, 3, 4, 5] });
  } finally {
    await client.close();
  }

  const context = await browser!.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  try {
    await page.goto(`${baseUrl(c, leader)}/`);
    await page.waitForSelector('#login:not([hidden])', { timeout: PAGE_WAIT_MS });
    await page.fill('#userId', 'admin');
    await page.fill('#password', 'wrong-password');
    await page.click('#login-button');
    await page.waitForFunction(() => /wrong user name or password/.test(document.querySelector('#login-error')?.textContent ?? ''), undefined, { timeout: PAGE_WAIT_MS });
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('#login-button');

    await page.waitForFunction(() => document.querySelectorAll('#nodes tr[data-alias][data-state="up"]').length === 3, undefined, { timeout: PAGE_WAIT_MS });
    assert.deepEqual(await page.$$eval('#nodes tr[data-alias]', (rows) => rows.map((r) => r.getAttribute('data-alias'))), ['dn1', 'dn2', 'dn3']);
    assert.equal(await attr(page, '#status', 'data-served-by'), leaderAlias);
    await page.waitForFunction((alias) => document.querySelector('#groups tr[data-group="2"]')?.getAttribute('data-leader') === alias, leaderAlias, { timeout: PAGE_WAIT_MS });
    assert.equal(await page.$eval('#groups tr[data-group="2"] .member.leader', (e) => e.getAttribute('data-alias')), leaderAlias, 'the leader is the highlighted member');
    await page.waitForFunction(() => document.querySelector('#tables tr[data-table="trades"] td.rows')?.textContent === '5', undefined, { timeout: PAGE_WAIT_MS });

    await c.kill(leader);
    // The page's node is gone: it must fail over, log in elsewhere, and show a newly elected leader.
    const shown = await page.waitForFunction((dead) => {
      const served = document.querySelector('#status')?.getAttribute('data-served-by');
      const lead = document.querySelector('#groups tr[data-group="2"]')?.getAttribute('data-leader');
      const deadRow = document.querySelector(`#nodes tr[data-alias="${dead}"]`)?.getAttribute('data-state');
      return served && served !== dead && lead && lead !== dead && deadRow === 'unreachable' ? { served, lead } : null;
    }, leaderAlias, { timeout: PAGE_WAIT_MS, polling: 100 });
    const { served, lead } = await shown.jsonValue() as { served: string; lead: string };
    const newLeader = await leaderIndex(c, GROUP);
    assert.equal(lead, c.nodes[newLeader]!.alias, 'the page names the leader the cluster elected');
    assert.match(await page.$eval('#banner', (e) => e.textContent ?? ''), new RegExp(`does not answer; now showing the cluster as 127\\.0\\.0\\.1:\\d+ sees it`));
    assert.notEqual(served, leaderAlias);
    assert.equal(await page.$eval('#tables tr[data-table="trades"] td.rows', (e) => e.textContent), '5', 'the new node shows the same rows');
    assert.deepEqual(pageErrors, [], 'the page script threw');
  } finally {
    await context.close();
  }
});
