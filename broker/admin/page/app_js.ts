// The cluster page's script (GET /app.js), plain browser JavaScript kept as a string (no build step).
//
// One refresh a second, started only after the previous one ended: the four JSON endpoints fetched
// once each, in parallel, from the node the page currently talks to. If that node stops answering,
// the page moves to the next node it learnt from /api/nodes, logs in there with the credentials it
// keeps in memory (a variable, never storage: a reload forgets them, the session cookie of the first
// node still works), and says so in a banner. Everything shown is set with textContent, never HTML.

export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var REFRESH_MS = 1000;
  var REQUEST_TIMEOUT_MS = 2500;
  var ENDPOINTS = ['/api/nodes', '/api/groups', '/api/tables', '/api/subscriptions'];

  var origin = location.origin;   // the node the page talks to now
  var known = [origin];           // node origins learnt from /api/nodes, in cluster order
  var credentials = null;         // {userId, password} after a login on this page; memory only
  var timer = null;
  var lastGood = null;            // origin of the last successful refresh

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function call(target, path, init) {
    var options = {
      method: (init && init.method) || 'GET', credentials: 'include', cache: 'no-store',
      headers: { 'x-shoal-page': '1' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    };
    if (init && init.body !== undefined) { options.headers['content-type'] = 'application/json'; options.body = JSON.stringify(init.body); }
    return fetch(target + path, options).then(function (res) {
      if (res.ok) return res.json();
      return res.json().catch(function () { return {}; }).then(function (body) {
        var e = new Error((body.error && body.error.message) || ('HTTP ' + res.status));
        e.kind = res.status === 401 ? 'auth' : 'http';
        throw e;
      });
    }, function (cause) {
      var e = new Error('no answer from ' + target + ' (' + cause.message + ')');
      e.kind = 'down';
      throw e;
    });
  }

  function aliasOf(site) { var i = site.lastIndexOf(':'); return i < 0 ? site : site.slice(i + 1); }

  function banner(text) { var b = $('banner'); b.textContent = text || ''; b.className = text ? 'shown' : ''; }

  // ---- login ------------------------------------------------------------------------------------

  function showLogin(message) {
    stop();
    $('cluster').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-target').textContent = 'at ' + origin.replace(/^https?:\/\//, '');
    $('login-error').textContent = message || '';
    $('status').textContent = 'not logged in';
  }

  function login(target, creds) {
    return call(target, '/api/login', { method: 'POST', body: creds });
  }

  $('login').addEventListener('submit', function (event) {
    event.preventDefault();
    var creds = { userId: $('userId').value, password: $('password').value };
    $('login-button').disabled = true;
    login(origin, creds).then(function () {
      credentials = creds;
      $('password').value = '';
      $('login').hidden = true;
      refresh();
    }, function (e) {
      $('login-error').textContent = e.message;
    }).finally(function () { $('login-button').disabled = false; });
  });

  $('logout').addEventListener('click', function () {
    credentials = null;
    call(origin, '/api/logout', { method: 'POST' }).catch(function () {}).finally(function () { showLogin(''); });
  });

  // ---- refresh and failover -----------------------------------------------------------------------

  function stop() { if (timer !== null) { clearTimeout(timer); timer = null; } }
  function schedule() { stop(); timer = setTimeout(refresh, REFRESH_MS); }

  function refresh() {
    timer = null;
    var target = origin;
    Promise.all(ENDPOINTS.map(function (p) { return call(target, p); })).then(function (docs) {
      if (target !== origin) return schedule();
      lastGood = target;
      learn(docs[0]);
      render(docs[0], docs[1], docs[2], docs[3]);
      schedule();
    }, function (e) {
      if (target !== origin) return schedule();
      if (e.kind === 'auth') return reLogin(target);
      if (e.kind === 'down') return failOver(target, e.message);
      banner(e.message);
      schedule();
    });
  }

  function learn(nodesDoc) {
    var urls = nodesDoc.nodes.map(function (n) { return n.url.replace(/\/$/, ''); });
    if (urls.indexOf(origin) < 0) urls.push(origin);
    known = urls;
  }

  // The session ended (expired, or the node restarted): log in again if the page still has the password.
  function reLogin(target) {
    if (!credentials) return showLogin('');
    login(target, credentials).then(refresh, function (e) {
      if (e.kind === 'auth') { credentials = null; return showLogin(e.message); }
      if (e.kind === 'down') return failOver(target, e.message);
      banner(e.message);
      schedule();
    });
  }

  // Tries the other known nodes in turn, starting after the one that failed; one login each at most.
  function failOver(failed, why) {
    var start = known.indexOf(failed);
    var candidates = [];
    for (var i = 1; i <= known.length; i++) {
      var c = known[(start + i) % known.length];
      if (c !== failed && candidates.indexOf(c) < 0) candidates.push(c);
    }
    if (candidates.length === 0) { banner(why + '; retrying'); return schedule(); }
    if (!credentials) {
      origin = candidates[0];
      banner(why + '; log in at ' + origin.replace(/^https?:\/\//, '') + ' to go on');
      return showLogin('');
    }
    var next = function (k) {
      if (k >= candidates.length) { banner(why + '; no other node answers either; retrying'); origin = failed; return schedule(); }
      login(candidates[k], credentials).then(function () {
        origin = candidates[k];
        banner(failed.replace(/^https?:\/\//, '') + ' does not answer; now showing the cluster as ' + origin.replace(/^https?:\/\//, '') + ' sees it');
        refresh();
      }, function () { next(k + 1); });
    };
    next(0);
  }

  // ---- rendering ----------------------------------------------------------------------------------

  function tableOf(headers, rows, empty) {
    if (rows.length === 0) return el('div', { className: 'empty', text: empty });
    return el('table', null, [
      el('thead', null, [el('tr', null, headers.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', null, rows)
    ]);
  }

  function cell(text, className) { return el('td', { text: text === null || text === undefined ? '-' : String(text), className: className || '' }); }

  function render(nodes, groups, tables, subs) {
    $('login').hidden = true;
    $('cluster').hidden = false;
    $('logout').hidden = false;
    if (lastGood === location.origin) banner('');
    var status = $('status');
    status.textContent = 'served by ' + nodes.servedBy + ' - ' + new Date().toLocaleTimeString();
    status.setAttribute('data-served-by', aliasOf(nodes.servedBy));

    replace('nodes', tableOf(['Node', 'Site', 'State (seen from ' + aliasOf(nodes.servedBy) + ')', 'Groups', 'Leads'], nodes.nodes.map(function (n) {
      return el('tr', { 'data-alias': n.alias, 'data-state': n.state }, [
        cell(n.alias + (n.self ? ' (serving this page)' : '')), cell(n.site), cell(n.state, 'state state-' + n.state),
        cell(n.groups.join(', ')), cell(n.leaderOf.join(', '), 'leads')
      ]);
    }), 'no data nodes'));

    var haGroups = groups.groups.filter(function (g) { return g.ha; });
    replace('groups', tableOf(['Group', 'Leader', 'Members', 'Term', 'Commit LSN', 'Applied LSN'], haGroups.map(function (g) {
      var leader = g.leader ? aliasOf(g.leader) : '';
      var members = el('td', null, g.members.map(function (m) {
        return el('span', { className: 'member ' + m.role + ' ' + m.state, 'data-alias': m.alias, 'data-role': m.role, text: m.alias + ' ' + m.role });
      }));
      return el('tr', { 'data-group': String(g.id), 'data-leader': leader }, [
        cell(g.id), cell(leader || (g.member ? 'electing...' : 'not hosted here'), 'leader'), members,
        cell(g.term, 'num'), cell(g.commitLsn, 'num'), cell(g.appliedLsn, 'num')
      ]);
    }), 'no HA groups configured'));

    replace('tables', tableOf(['Table', 'Group', 'Rows', 'First offset', 'Cached rows', 'Keyed', 'Leader'], tables.tables.map(function (t) {
      return el('tr', { 'data-table': t.name }, [
        cell(t.name), cell(t.ha ? t.group : 'local'), cell(t.rows, 'num rows'), cell(t.firstOffset, 'num'), cell(t.cachedRows, 'num'),
        cell(t.keyed ? t.keyColumns.join(', ') : 'no'), cell(t.leader ? aliasOf(t.leader) : '-')
      ]);
    }), 'no stream tables'));

    replace('subscriptions', tableOf(['Topic', 'Table', 'Action', 'Live here', 'Delivered offset', 'Persisted offset', 'Lag (rows)', 'Client'], subs.subscriptions.map(function (s) {
      return el('tr', { 'data-topic': s.topic }, [
        cell(s.topic), cell(s.table), cell(s.action), cell(s.live ? 'yes' : 'no'), cell(s.deliveredOffset, 'num'),
        cell(s.persistedOffset, 'num'), cell(s.lagRows, 'num lag'), cell(s.clientAddress)
      ]);
    }), 'no subscriptions served by ' + aliasOf(subs.servedBy) + ' (it leads group(s) ' + (subs.leaderOf.join(', ') || 'none') + ')'));
  }

  function replace(id, child) { var box = $(id); box.textContent = ''; box.appendChild(child); }

  refresh();
})();
`;
