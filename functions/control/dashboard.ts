/**
 * The dashboard page served at `GET /`. A placeholder: it shows the raw status JSON. The page holds
 * no data itself; it reads `/v1/status` with the read token given as `#token=…` in the URL (kept in
 * sessionStorage, never sent in a query string, so it stays out of access logs).
 */
export function renderDashboard(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>regionshift</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
  h1 { font-size: 1.3rem; }
  #state { font-weight: 600; }
  pre { background: #f4f5f7; padding: 1rem; overflow: auto; }
</style>
</head>
<body>
<h1>regionshift</h1>
<p>Status: <span id="state">loading…</span></p>
<pre id="status"></pre>
<script>
(() => {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) { sessionStorage.setItem('regionshift.readToken', hash.get('token')); history.replaceState(null, '', location.pathname); }
  const token = sessionStorage.getItem('regionshift.readToken');
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
  const stateEl = document.getElementById('state');
  const statusEl = document.getElementById('status');
  async function refresh() {
    try {
      const res = await fetch(base + 'v1/status', { headers: token ? { authorization: 'Bearer ' + token } : {} });
      const body = await res.json();
      stateEl.textContent = res.ok ? 'ok' : 'HTTP ' + res.status + (body.error ? ': ' + body.error.message : '');
      statusEl.textContent = JSON.stringify(body, null, 2);
    } catch (err) {
      stateEl.textContent = 'unreachable: ' + err.message;
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
</script>
</body>
</html>
`;
}
