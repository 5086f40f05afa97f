import { METRICS_PANEL_CSS, METRICS_PANEL_HTML, METRICS_PANEL_SCRIPT } from './metrics-panel.ts';

/**
 * The demo's web page: plain HTML, CSS and JavaScript served inline, no build step. It logs in,
 * shows the access token's claims with a countdown to its expiry, refreshes automatically before
 * expiry, draws each rotation on a timeline, lists the user's sessions with revoke buttons,
 * replays an old refresh token to show reuse detection ending the session, and shows the kit's
 * counters from `GET /metrics` live (metrics-panel.ts).
 *
 * DPoP (RFC 9449): at login the page takes its key pair from IndexedDB, or creates one there (ES256,
 * Web Crypto, the private key non-extractable: the page can sign with it but never read it, and a
 * reload finds the same key). It sends a proof with `POST /login` (the session is bound to the key),
 * with every `POST /token` and with every request made with the access token, `GET /me` and the
 * session routes (`Authorization: DPoP`, the proof's `ath` the access token's hash), shows the key's RFC 7638 thumbprint, and can play a thief who copied the
 * refresh token but not the key: the server refuses it and the page's own next refresh works. Where
 * Web Crypto is missing (a page served over plain http from another host) it logs in as Bearer.
 *
 * Tokens live in page memory (never in localStorage), or, in cookie mode, the refresh token lives
 * in an HttpOnly cookie the page cannot read at all. The page never shows a whole token: only a
 * short fingerprint, enough to tell rotations apart.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kit demo: rotating refresh tokens</title>
<style>
:root{--bg:#0f172a;--panel:#111c33;--line:#22304f;--text:#e2e8f0;--muted:#94a3b8;--accent:#38bdf8;--ok:#34d399;--warn:#fbbf24;--bad:#f87171}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",sans-serif;background:radial-gradient(1200px 600px at 10% -10%,#1e3a5f 0,transparent 60%),var(--bg);color:var(--text);min-height:100vh}
header{padding:28px 32px 8px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
h1{margin:0;font-size:24px;letter-spacing:-.01em}
header p{margin:0;color:var(--muted)}
header a{color:var(--accent);margin-left:auto;text-decoration:none}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px;padding:16px 32px 40px}
.card{background:linear-gradient(180deg,rgba(255,255,255,.03),transparent),var(--panel);border:1px solid var(--line);border-radius:14px;padding:18px 20px;box-shadow:0 10px 30px rgba(0,0,0,.25)}
.card h2{margin:0 0 12px;font-size:13px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);display:flex;align-items:center;gap:8px}
.wide{grid-column:1/-1}
label{display:block;font-size:13px;color:var(--muted);margin:8px 0 4px}
input[type=text],input[type=password]{width:100%;padding:9px 11px;border-radius:8px;border:1px solid var(--line);background:#0b1325;color:var(--text);font:inherit}
.row{display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.modes{display:flex;gap:14px;margin:10px 0 4px;font-size:14px}
.modes label{display:flex;gap:6px;align-items:center;margin:0;color:var(--text)}
button{font:inherit;border:0;border-radius:8px;padding:9px 14px;background:var(--accent);color:#04263a;font-weight:600;cursor:pointer}
button.secondary{background:#1e293b;color:var(--text);border:1px solid var(--line)}
button.danger{background:#7f1d1d;color:#fee2e2;border:1px solid #b91c1c}
button:disabled{opacity:.45;cursor:not-allowed}
pre{margin:0;background:#0b1325;border:1px solid var(--line);border-radius:10px;padding:12px;overflow:auto;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;color:#cbd5e1;max-height:300px}
.countdown{margin-top:12px}
.bar{height:10px;border-radius:6px;background:#0b1325;border:1px solid var(--line);overflow:hidden}
.bar>div{height:100%;background:linear-gradient(90deg,var(--ok),var(--accent));transition:width .25s linear}
.bar.low>div{background:linear-gradient(90deg,var(--warn),var(--bad))}
.muted{color:var(--muted);font-size:13px}
#status{padding:10px 14px;border-radius:10px;border:1px solid var(--line);background:#0b1325;margin-bottom:12px}
#status.ok{border-color:#065f46;background:#022c22;color:#a7f3d0}
#status.bad{border-color:#991b1b;background:#2a0b0b;color:#fecaca}
#timeline{display:flex;align-items:flex-start;overflow-x:auto;padding:8px 2px 4px;min-height:112px}
.node{flex:0 0 auto;display:flex;flex-direction:column;align-items:center;width:96px;position:relative;text-align:center}
.node+.node::before{content:"";position:absolute;top:19px;right:50%;width:96px;height:2px;background:var(--line)}
.dot{width:38px;height:38px;border-radius:50%;display:grid;place-items:center;font-weight:700;font-size:13px;background:#1e293b;border:2px solid var(--line);position:relative;z-index:1}
.node.current .dot{background:#083344;border-color:var(--accent);color:var(--accent);box-shadow:0 0 0 4px rgba(56,189,248,.15)}
.node.used .dot{color:var(--muted)}
.node.replayed .dot{background:#450a0a;border-color:var(--bad);color:var(--bad)}
.node.dead .dot{border-style:dashed;color:var(--bad)}
.node .fp{font:11px ui-monospace,monospace;color:var(--muted);margin-top:6px}
.node .when{font-size:11px;color:var(--muted)}
table{width:100%;border-collapse:collapse;font-size:14px}
th{text-align:left;color:var(--muted);font-weight:500;font-size:12px;text-transform:uppercase;letter-spacing:.05em;padding:6px 8px;border-bottom:1px solid var(--line)}
td{padding:8px;border-bottom:1px solid #1a2744;vertical-align:middle}
.tag{font-size:11px;padding:2px 7px;border-radius:999px;background:#083344;color:var(--accent);border:1px solid #0e7490}
#log{list-style:none;margin:0;padding:0;max-height:260px;overflow:auto;font:12.5px/1.5 ui-monospace,monospace}
#log li{padding:3px 0;border-bottom:1px dashed #1a2744;color:#cbd5e1}
#log li.bad{color:var(--bad)}#log li.ok{color:var(--ok)}
#binding{margin:0 0 12px;font-size:13px;color:var(--muted)}
#binding code{font:12.5px ui-monospace,monospace;color:var(--accent);word-break:break-all}
.hidden{display:none!important}${METRICS_PANEL_CSS}</style>
</head>
<body>
<header>
  <h1>kit demo</h1>
  <p>short-lived access tokens, rotating refresh tokens, reuse detection, DPoP-bound sessions</p>
  <a href="/docs">API reference →</a>
</header>
<main>
  <section class="card" id="login-card">
    <h2>Log in</h2>
    <form id="login-form">
      <label for="username">Username</label>
      <input id="username" type="text" value="alice" autocomplete="username">
      <label for="password">Password</label>
      <input id="password" type="password" value="alice-password" autocomplete="current-password">
      <div class="modes" role="radiogroup" aria-label="Where the refresh token lives">
        <label><input type="radio" name="mode" value="memory" checked> refresh token in page memory</label>
        <label><input type="radio" name="mode" value="cookie"> HttpOnly cookie</label>
      </div>
      <p class="muted">Seeded users: alice / alice-password, bob / bob-password.</p>
      <button id="login" type="submit">Log in</button>
    </form>
  </section>

  <section class="card hidden" id="token-card">
    <h2>Access token claims</h2>
    <div id="status">Logged in.</div>
    <p id="binding"></p>
    <pre id="claims"></pre>
    <p class="muted" id="me-status"></p>
    <div class="countdown">
      <div class="row" style="justify-content:space-between"><span class="muted">expires in</span><strong id="countdown">–</strong></div>
      <div class="bar" id="bar"><div style="width:100%"></div></div>
      <p class="muted" id="next-refresh"></p>
    </div>
    <div class="row" style="margin-top:12px">
      <button class="secondary" id="refresh-now">Refresh now</button>
      <button class="danger" id="replay">Replay an old refresh token</button>
      <button class="danger" id="steal">Steal the refresh token</button>
      <button class="secondary" id="logout">Log out</button>
    </div>
    <p class="muted" id="replay-note"></p>
    <p class="muted" id="steal-result"></p>
  </section>

  <section class="card hidden" id="log-card">
    <h2>Events</h2>
    <ul id="log"></ul>
  </section>
  <section class="card wide hidden" id="timeline-card">
    <h2>Rotation timeline</h2>
    <div id="timeline"></div>
    <p class="muted">Each dot is one refresh token of this session. Every refresh consumes the current token and issues its successor; presenting a consumed token again outside the grace window revokes the whole session.</p>
  </section>

${METRICS_PANEL_HTML}

  <section class="card wide hidden" id="sessions-card">
    <h2>Your sessions <button class="secondary" id="reload-sessions" style="margin-left:auto;padding:4px 10px;font-size:12px">reload</button></h2>
    <table><thead><tr><th>session</th><th>device</th><th>last used</th><th></th></tr></thead><tbody id="sessions"></tbody></table>
    <div class="row" style="margin-top:12px"><button class="secondary" id="another">Open another session (e.g. a phone)</button></div>
  </section>

</main>
<script>
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { mode: 'memory', access: null, tokenType: 'Bearer', key: null, claims: null, refresh: null, chain: [], timer: null, tick: null, ended: false, issuedAt: 0 };

  // The end of a token (its integrity tag) differs on every rotation; the start is the session id.
  const fingerprint = (token) => token ? '…' + token.slice(-8) : 'in cookie';
  const time = (d) => new Date(d).toLocaleTimeString();
  function log(text, kind) {
    const li = document.createElement('li');
    li.textContent = '[' + new Date().toLocaleTimeString() + '] ' + text;
    if (kind) li.className = kind;
    $('log').prepend(li);
  }
  function setStatus(text, kind) { const s = $('status'); s.textContent = text; s.className = kind || ''; }
  function decodeClaims(jwt) {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(part), (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
    return JSON.parse(json);
  }
  const cookieHeaders = () => (state.mode === 'cookie' ? { 'x-kit-cookie': '1' } : {});

  // ---- DPoP (RFC 9449): the key, and proofs signed with it ----
  const encoder = new TextEncoder();
  const b64url = (bytes) => btoa(String.fromCharCode.apply(null, Array.from(bytes))).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
  const b64json = (value) => b64url(encoder.encode(JSON.stringify(value)));
  const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  // Web Crypto exists in secure contexts only: https, or http on localhost / 127.0.0.1.
  const dpopAvailable = () => Boolean(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB);

  function openKeyDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open('kit-demo', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('keys');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  function keyDb(db, mode, run) {
    return new Promise((resolve, reject) => {
      const request = run(db.transaction('keys', mode).objectStore('keys'));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function publicKey(pair) {
    // Only the public members go into proofs (the private key could not be exported anyway).
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwk = { kty, crv, x, y };
    // RFC 7638: the required members in lexicographic order, no white space, SHA-256, base64url.
    const thumbprint = b64url(await sha256(JSON.stringify({ crv, kty, x, y })));
    return { privateKey: pair.privateKey, jwk, thumbprint };
  }
  // An ES256 pair whose private key is non-extractable: scripts on this page can ask the browser to
  // sign with it, but nothing can read it out, so a copy of the tokens is useless elsewhere. It is
  // stored as a CryptoKey (IndexedDB keeps it non-extractable), so a reload signs with the same key.
  async function loadOrCreateKey() {
    const db = await openKeyDb();
    try {
      let pair = await keyDb(db, 'readonly', (store) => store.get('dpop'));
      if (!pair || !pair.privateKey || pair.privateKey.extractable) {
        pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
        await keyDb(db, 'readwrite', (store) => store.put(pair, 'dpop'));
      }
      return await publicKey(pair);
    } finally {
      db.close();
    }
  }
  async function makeKey() {
    // The thief's key: a fresh pair, kept nowhere.
    return publicKey(await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']));
  }
  // A proof for one request: the method, the URL without query, now, a fresh jti, and with an
  // access token its SHA-256 (ath), signed with the key (ECDSA's r||s is the JWS form already).
  async function proof(key, method, path, accessToken) {
    const url = new URL(path, location.href);
    const claims = { jti: crypto.randomUUID(), htm: method, htu: url.origin + url.pathname, iat: Math.floor(Date.now() / 1000) };
    if (accessToken) claims.ath = b64url(await sha256(accessToken));
    const input = b64json({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }) + '.' + b64json(claims);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, encoder.encode(input));
    return input + '.' + b64url(new Uint8Array(signature));
  }
  // The headers of a request made with the access token: DPoP and a proof for a bound session (a
  // bound token sent as Bearer is refused), on /me and on the session routes alike.
  async function authorization(method, path) {
    if (state.tokenType !== 'DPoP') return { authorization: 'Bearer ' + state.access };
    return { authorization: 'DPoP ' + state.access, dpop: await proof(state.key, method, path, state.access) };
  }
  async function signed(path, headers) {
    return state.key ? Object.assign({ dpop: await proof(state.key, 'POST', path) }, headers) : headers;
  }

  function show(section, visible) { $(section).classList.toggle('hidden', !visible); }

  function drawTimeline() {
    const box = $('timeline');
    box.replaceChildren();
    state.chain.forEach((link, i) => {
      const node = document.createElement('div');
      node.className = 'node ' + link.state;
      node.dataset.generation = String(i);
      const dot = document.createElement('div'); dot.className = 'dot'; dot.textContent = String(i);
      const fp = document.createElement('div'); fp.className = 'fp'; fp.textContent = fingerprint(link.token);
      const when = document.createElement('div'); when.className = 'when';
      when.textContent = link.state === 'replayed' ? 'replayed ' + time(link.replayedAt) : time(link.at);
      node.append(dot, fp, when);
      box.append(node);
    });
    box.scrollLeft = box.scrollWidth;
  }

  function accept(body, via) {
    state.access = body.access_token;
    state.tokenType = String(body.token_type).toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    state.claims = decodeClaims(body.access_token);
    state.issuedAt = Date.now();
    $('claims').textContent = JSON.stringify(state.claims, null, 2);
    for (const link of state.chain) if (link.state === 'current') link.state = 'used';
    const token = body.refresh_token || null;
    state.chain.push({ token, at: Date.now(), state: 'current' });
    state.refresh = token;
    drawTimeline();
    log(via + ': new ' + state.tokenType + ' access token (expires in ' + body.expires_in + ' s), refresh token ' + fingerprint(token), 'ok');
    schedule();
    verifyWithMe().catch(() => undefined);
  }

  // GET /me: the server's view of the access token, sent as DPoP with a proof bound to it (ath).
  async function verifyWithMe() {
    const access = state.access;
    const res = await fetch('/me', { headers: await authorization('GET', '/me') });
    if (access !== state.access) return; // a newer token arrived meanwhile
    const json = await res.json().catch(() => ({}));
    $('me-status').dataset.status = String(res.status);
    if (!res.ok) { $('me-status').textContent = 'GET /me answered ' + res.status + ' ' + (json.error || ''); return; }
    $('claims').textContent = JSON.stringify(json, null, 2);
    $('me-status').textContent = 'Claims as GET /me verified them (' + state.tokenType + (state.tokenType === 'DPoP' ? ' with a proof for this request and this token' : '') + ').';
  }

  function schedule(retryInSeconds) {
    clearTimeout(state.timer);
    // Refresh at 75% of the remaining lifetime (from the token's own exp): early enough to absorb a
    // slow network, late enough to be cheap.
    const left = state.claims.exp * 1000 - Date.now();
    const delay = retryInSeconds ? retryInSeconds * 1000 : Math.max(500, left * 0.75);
    state.refreshAt = Date.now() + delay;
    state.timer = setTimeout(() => refresh('automatic refresh'), delay);
  }

  function countdown() {
    if (!state.claims) return;
    const left = state.claims.exp * 1000 - Date.now();
    const total = (state.claims.exp - state.claims.iat) * 1000;
    $('countdown').textContent = state.ended ? 'session ended' : left > 0 ? (left / 1000).toFixed(1) + ' s' : 'expired';
    const pct = Math.max(0, Math.min(100, (left / total) * 100));
    $('bar').firstElementChild.style.width = pct + '%';
    $('bar').classList.toggle('low', pct < 25);
    $('next-refresh').textContent = state.ended ? '' : 'next automatic refresh in ' + Math.max(0, (state.refreshAt - Date.now()) / 1000).toFixed(1) + ' s';
  }

  async function post(path, body, headers) {
    return fetch(path, { method: 'POST', headers: Object.assign({ 'content-type': 'application/json' }, headers || {}), body: JSON.stringify(body), credentials: 'same-origin' });
  }

  function ended(reason) {
    state.ended = true;
    clearTimeout(state.timer);
    for (const link of state.chain) if (link.state === 'current') link.state = 'dead';
    drawTimeline();
    setStatus('Session ended: ' + reason + '. Log in again.', 'bad');
    $('replay').disabled = true; $('refresh-now').disabled = true; $('steal').disabled = true;
    show('login-card', true);
    loadSessions();
  }

  async function refresh(via) {
    if (state.ended) return;
    const body = { grant_type: 'refresh_token' };
    if (state.mode === 'memory') body.refresh_token = state.refresh;
    const res = await post('/token', body, await signed('/token', cookieHeaders()));
    const json = await res.json().catch(() => ({}));
    if (res.ok) { accept(json, via); setStatus('Session active; ' + (state.chain.length - 1) + ' rotation(s) so far.', 'ok'); loadSessions(); return; }
    log(via + ' failed: ' + res.status + ' ' + (json.error || ''), 'bad');
    if (res.status === 400 && json.error === 'invalid_grant') ended('the refresh token was refused (invalid_grant)');
    else schedule(5);
  }

  async function replay() {
    const old = state.chain.find((link) => link.state === 'used' && link.token);
    if (!old) { log('No superseded refresh token yet: wait for a rotation first.', 'bad'); return; }
    // For a DPoP-bound session the replay is signed with this page's key: without the key an old
    // token is no reuse, only a refused proof (see "Steal the refresh token").
    log('Replaying refresh token ' + fingerprint(old.token) + ' (generation ' + state.chain.indexOf(old) + ')' + (state.key ? ', signed with the key of this page,' : '') + ' as a thief with a copy would…');
    const res = await post('/token', { grant_type: 'refresh_token', refresh_token: old.token }, await signed('/token'));
    const json = await res.json().catch(() => ({}));
    old.state = 'replayed'; old.replayedAt = Date.now();
    drawTimeline();
    if (res.ok) { log('Accepted within the reuse grace window: the same current token came back (' + fingerprint(json.refresh_token) + ').', 'ok'); return; }
    log('Replay answered ' + res.status + ' ' + json.error + ': reuse detected, the server revoked the whole session.', 'bad');
    // The legitimate client finds out on its next refresh: the current token is dead too.
    await refresh('refresh after replay');
  }

  // A thief who copied the current refresh token (from a log, a backup, a proxy) but not the private
  // key, which the browser keeps non-extractable. Two attempts: no proof at all, and a proof by a
  // key of the thief's own. Both are refused and change nothing; the page's next refresh works.
  async function steal() {
    if (state.ended || !state.refresh) return;
    const token = state.refresh;
    const body = { grant_type: 'refresh_token', refresh_token: token };
    const result = $('steal-result');
    result.textContent = '';
    log('Thief: sending the stolen refresh token ' + fingerprint(token) + ' without a DPoP proof…');
    const bare = await post('/token', body);
    const bareJson = await bare.json().catch(() => ({}));
    const bareAnswer = bare.status + ' ' + (bareJson.error || '');
    log('Thief without the key: ' + bareAnswer, bare.ok ? 'ok' : 'bad');
    const thief = await makeKey();
    log('Thief: sending it again with a proof signed by a key of their own (' + thief.thumbprint.slice(0, 12) + '…)…');
    const forged = await post('/token', body, { dpop: await proof(thief, 'POST', '/token') });
    const forgedJson = await forged.json().catch(() => ({}));
    const forgedAnswer = forged.status + ' ' + (forgedJson.error || '');
    log('Thief with another key: ' + forgedAnswer, forged.ok ? 'ok' : 'bad');
    result.dataset.withoutProof = bareAnswer;
    result.dataset.otherKey = forgedAnswer;
    result.textContent = bare.ok || forged.ok
      ? 'The stolen token worked: this session is not bound to a key.'
      : 'Stolen token refused: without a proof ' + bareAnswer + ', with another key ' + forgedAnswer + '. The session was not revoked; this page refreshes with its own key.';
    // The owner is unaffected: the same refresh token still works with the right key.
    await refresh('refresh after the theft attempt');
  }

  function device(ua) {
    if (!ua) return '—';
    const browser = /(Edg|Firefox|HeadlessChrome|Chrome|Safari|curl|node)\\/(\\d+)/.exec(ua);
    const os = /(Android|iPhone|iPad|Windows|Mac OS X|Linux)/.exec(ua);
    return browser ? browser[1] + ' ' + browser[2] + (os ? ' on ' + os[1] : '') : ua.slice(0, 40);
  }

  async function loadSessions() {
    if (!state.access) return;
    const res = await fetch('/sessions', { headers: await authorization('GET', '/sessions') });
    const tbody = $('sessions');
    if (!res.ok) {
      tbody.replaceChildren();
      const tr = document.createElement('tr'); const td = document.createElement('td'); td.colSpan = 4;
      td.className = 'muted'; td.textContent = res.status === 401 ? 'This session has ended: its access token no longer lists sessions.' : 'Could not load sessions (' + res.status + ').';
      tr.append(td); tbody.append(tr);
      return;
    }
    const { sessions } = await res.json();
    tbody.replaceChildren();
    for (const s of sessions) {
      const tr = document.createElement('tr'); tr.dataset.id = s.id;
      const id = document.createElement('td'); id.textContent = s.id.slice(0, 8);
      if (s.current) { const tag = document.createElement('span'); tag.className = 'tag'; tag.textContent = 'this page'; id.append(' ', tag); }
      const ua = document.createElement('td'); ua.textContent = device(s.user_agent);
      const used = document.createElement('td'); used.textContent = time(s.last_used_at);
      const action = document.createElement('td');
      const button = document.createElement('button'); button.className = 'danger revoke'; button.textContent = 'Revoke';
      button.onclick = async () => {
        const path = '/sessions/' + encodeURIComponent(s.id);
        const r = await fetch(path, { method: 'DELETE', headers: await authorization('DELETE', path) });
        log('Revoke session ' + s.id.slice(0, 8) + ': ' + r.status, r.status === 204 ? 'ok' : 'bad');
        if (s.current && r.status === 204) ended('you revoked this session'); else loadSessions();
      };
      action.append(button);
      tr.append(id, ua, used, action);
      tbody.append(tr);
    }
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    state.mode = document.querySelector('input[name=mode]:checked').value;
    state.key = null;
    if (dpopAvailable()) {
      try { state.key = await loadOrCreateKey(); } catch (error) { log('No DPoP key (' + (error && error.name) + '): logging in with a Bearer session.', 'bad'); }
    }
    const res = await post('/login', { username: $('username').value, password: $('password').value }, await signed('/login', cookieHeaders()));
    const json = await res.json().catch(() => ({}));
    if (!res.ok) { log('Login failed: ' + res.status + ' ' + (json.error || ''), 'bad'); alert('Login failed: ' + (json.error || res.status)); return; }
    Object.assign(state, { chain: [], ended: false });
    $('log').replaceChildren();
    for (const id of ['token-card', 'timeline-card', 'sessions-card', 'log-card']) show(id, true);
    show('login-card', false);
    $('replay').disabled = state.mode === 'cookie'; $('refresh-now').disabled = false;
    $('steal').disabled = state.mode === 'cookie' || !state.key;
    $('steal-result').textContent = '';
    const binding = $('binding');
    binding.replaceChildren();
    if (state.key && String(json.token_type).toLowerCase() === 'dpop') {
      const code = document.createElement('code'); code.id = 'jkt'; code.textContent = state.key.thumbprint;
      binding.append('Bound to the DPoP key of this browser (token_type DPoP), RFC 7638 thumbprint ', code, '. The private key is non-extractable and kept in IndexedDB.');
    } else {
      binding.textContent = 'Bearer session: ' + (dpopAvailable() ? 'not bound to a key.' : 'Web Crypto needs a secure context (https, or http on localhost), so no DPoP key.');
    }
    $('replay-note').textContent = state.mode === 'cookie'
      ? 'Cookie mode: the refresh token is in an HttpOnly cookie, so this page cannot read, copy or replay it. That is the point.'
      : 'Memory mode: this page keeps every refresh token it received, so it can play the thief.';
    setStatus('Logged in as ' + $('username').value + ' (' + (state.mode === 'cookie' ? 'HttpOnly cookie' : 'page memory') + ').', 'ok');
    accept(json, 'login');
    loadSessions();
  });
  $('refresh-now').onclick = () => refresh('manual refresh');
  $('replay').onclick = replay;
  $('steal').onclick = steal;
  $('reload-sessions').onclick = loadSessions;
  $('another').onclick = async () => {
    const res = await post('/login', { username: $('username').value, password: $('password').value });
    log('Opened another session: ' + res.status, res.ok ? 'ok' : 'bad');
    loadSessions();
  };
  $('logout').onclick = async () => {
    const res = await fetch('/logout?scope=local', { method: 'POST', headers: await authorization('POST', '/logout?scope=local') });
    log('Log out: ' + res.status, res.status === 204 ? 'ok' : 'bad');
    ended('you logged out');
  };
  state.tick = setInterval(countdown, 200);
})();
${METRICS_PANEL_SCRIPT}</script>
</body>
</html>
`;
