// The cluster page (GET /): plain HTML and CSS, no framework, no build step; /app.js fills it in.
// Kept as a string so the compiled node serves it from memory, from dist/ as from anywhere.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shoal cluster</title>
<style>
  :root { --fg: #1d2330; --muted: #6b7385; --line: #dde1ea; --bg: #f6f7fa; --up: #1f8a4c; --down: #c0392b; --lead: #fff4cc; --accent: #2d5bd7; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 17px; margin: 0; }
  #status { color: var(--muted); flex: 1; }
  #banner { display: none; margin: 12px 20px 0; padding: 8px 12px; border-radius: 4px; background: #fdecea; color: var(--down); }
  #banner.shown { display: block; }
  main { padding: 4px 20px 20px; }
  section { margin-top: 16px; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
  section h2 { font-size: 14px; margin: 0; padding: 8px 12px; border-bottom: 1px solid var(--line); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 5px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr:last-child td { border-bottom: none; }
  .state-up { color: var(--up); font-weight: 600; }
  .state-unreachable { color: var(--down); font-weight: 600; }
  .state-unknown { color: var(--muted); }
  .member { display: inline-block; margin: 2px 6px 2px 0; padding: 1px 8px; border: 1px solid var(--line); border-radius: 10px; }
  .member.leader { background: var(--lead); border-color: #e6c84f; font-weight: 600; }
  .member.unreachable { color: var(--down); text-decoration: line-through; }
  .empty { color: var(--muted); padding: 8px 12px; }
  #login { max-width: 320px; margin: 60px auto; padding: 20px; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
  #login h2 { margin: 0 0 12px; font-size: 16px; }
  #login label { display: block; margin: 8px 0 2px; color: var(--muted); }
  #login input { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
  #login button, header button { margin-top: 12px; padding: 6px 14px; border: 0; border-radius: 4px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
  header button { margin: 0; }
  #login-error { color: var(--down); min-height: 1.4em; margin-top: 8px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>Shoal cluster</h1>
  <span id="status">connecting...</span>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<div id="banner" role="alert"></div>
<form id="login" hidden>
  <h2>Log in</h2>
  <div id="login-target"></div>
  <label for="userId">User</label>
  <input id="userId" name="userId" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button id="login-button" type="submit">Log in</button>
  <div id="login-error" role="alert"></div>
</form>
<main id="cluster" hidden>
  <section><h2>Data nodes</h2><div id="nodes"></div></section>
  <section><h2>Raft groups</h2><div id="groups"></div></section>
  <section><h2>Stream tables</h2><div id="tables"></div></section>
  <section><h2>Subscriptions</h2><div id="subscriptions"></div></section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
