/**
 * The web page's live panel of the kit's own counters: rotations, grace answers, reuse detections
 * and revocations, counted by the server for all its clients. The page reads `GET /metrics` (the
 * Prometheus text format) every 2 seconds, parses it itself, and shows how much each counter grew
 * over the last 5 minutes (since the page opened, when that is shorter), with a bar per 10 seconds.
 * A server restart (a counter that went down) counts from zero again.
 *
 * Plain CSS, HTML and JavaScript, inserted into the page by `page.ts`; no external asset.
 */

/** The panel's styles, inside the page's `<style>`. */
export const METRICS_PANEL_CSS = `
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.tile{background:#0b1325;border:1px solid var(--line);border-radius:10px;padding:12px 14px;transition:border-color .3s,background .3s}
.tile .value{font-size:30px;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums}
.tile .name{font-size:13px;color:var(--muted)}
.tile .total{font-size:11.5px;color:var(--muted);margin-top:2px}
.tile svg{display:block;width:100%;height:30px;margin-top:10px;border-bottom:1px solid var(--line)}
.tile rect{fill:var(--accent)}
.tile[data-counter=grace] rect{fill:var(--warn)}
.tile[data-counter=reused] rect,.tile[data-counter=revoked] rect{fill:var(--bad)}
.tile.hot{border-color:#b91c1c;background:#2a0b0b}
.tile.hot .value{color:var(--bad)}
#metrics-window{text-transform:none;letter-spacing:0;font-size:12px;margin-left:auto}
`;

const tile = (counter: string, name: string) =>
  `<div class="tile" data-counter="${counter}"><div class="value">–</div><div class="name">${name}</div><div class="total">&nbsp;</div><svg viewBox="0 0 120 30" preserveAspectRatio="none" aria-hidden="true"></svg></div>`;

/** The panel's card, inside the page's `<main>`. */
export const METRICS_PANEL_HTML = `
  <section class="card wide" id="metrics-card">
    <h2>Server counters <span id="metrics-window">waiting for /metrics…</span></h2>
    <div class="tiles" id="metrics">
      ${tile('rotated', 'rotations')}
      ${tile('grace', 'grace answers')}
      ${tile('reused', 'reuse detections')}
      ${tile('revoked', 'sessions revoked')}
    </div>
    <p class="muted">The kit's own OpenTelemetry counters, for every client of this server, read from <a href="/metrics" style="color:var(--accent)">/metrics</a> every 2 s: <code>kit_refreshes_total</code> by outcome (rotated, grace) and <code>kit_sessions_revoked_total</code> (reuse detections: its reason <code>refresh_token_reused</code>). Each bar is 10 seconds.</p>
  </section>`;

/** The panel's script, inside the page's `<script>` (its own scope). */
export const METRICS_PANEL_SCRIPT = `
(() => {
  'use strict';
  const WINDOW_MS = 5 * 60 * 1000;
  const POLL_MS = 2000;
  const BUCKETS = 30;
  const COUNTERS = [
    { key: 'rotated', name: 'kit_refreshes_total', outcome: 'rotated' },
    { key: 'grace', name: 'kit_refreshes_total', outcome: 'grace' },
    // Detections, not refused replays: three concurrent replays of one stolen token are three
    // refreshes with outcome "reused" but one session revoked for reuse.
    { key: 'reused', name: 'kit_sessions_revoked_total', reason: 'refresh_token_reused' },
    { key: 'revoked', name: 'kit_sessions_revoked_total' },
  ];
  const opened = Date.now();
  // Every poll's counter values, oldest first; the first one is the window's baseline.
  const samples = [];
  const zero = () => ({ rotated: 0, grace: 0, reused: 0, revoked: 0 });

  // The Prometheus text format: "name{label=\\"value\\",...} number", comments start with #.
  function parse(text) {
    const values = zero();
    const reasons = {};
    for (const line of text.split('\\n')) {
      if (line === '' || line[0] === '#') continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
      if (!name) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!Number.isFinite(value)) continue;
      const labels = {};
      const open = line.indexOf('{');
      const close = line.lastIndexOf('}');
      if (open === name[0].length && close > open) {
        for (const m of line.slice(open + 1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[m[1]] = m[2];
      }
      for (const c of COUNTERS) {
        if (
          name[0] === c.name &&
          (!c.outcome || labels.outcome === c.outcome) &&
          (!c.reason || labels.reason === c.reason)
        ) {
          values[c.key] += value;
        }
      }
      if (name[0] === 'kit_sessions_revoked_total') {
        const reason = labels.reason || 'unknown';
        reasons[reason] = (reasons[reason] || 0) + value;
      }
    }
    return { values, reasons };
  }

  function add(sample) {
    const last = samples[samples.length - 1];
    // A counter that went down: the server restarted. Count from zero again.
    if (last && COUNTERS.some((c) => sample.values[c.key] < last.values[c.key])) {
      samples.length = 0;
      samples.push({ t: last.t, values: zero(), reasons: {} });
    }
    samples.push(sample);
    // Keep one sample at or before the window's start, as the baseline.
    while (samples.length > 2 && samples[1].t <= sample.t - WINDOW_MS) samples.shift();
  }

  function bars(svg, key, now) {
    const counts = new Array(BUCKETS).fill(0);
    const width = WINDOW_MS / BUCKETS;
    for (let i = 1; i < samples.length; i++) {
      const grew = samples[i].values[key] - samples[i - 1].values[key];
      const bucket = BUCKETS - 1 - Math.floor((now - samples[i].t) / width);
      if (grew > 0 && bucket >= 0) counts[bucket] += grew;
    }
    const top = Math.max(1, ...counts);
    svg.replaceChildren();
    counts.forEach((count, i) => {
      if (count === 0) return;
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      const h = Math.max(2, (count / top) * 28);
      rect.setAttribute('x', String(i * 4 + 0.5));
      rect.setAttribute('width', '3');
      rect.setAttribute('y', String(30 - h));
      rect.setAttribute('height', String(h));
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = String(count);
      rect.append(title);
      svg.append(rect);
    });
  }

  function render(now) {
    const first = samples[0];
    const last = samples[samples.length - 1];
    for (const c of COUNTERS) {
      const tile = document.querySelector('#metrics [data-counter=' + c.key + ']');
      const grew = last.values[c.key] - first.values[c.key];
      tile.querySelector('.value').textContent = String(grew);
      tile.querySelector('.total').textContent = last.values[c.key] + ' since the server started';
      tile.classList.toggle('hot', c.key === 'reused' && grew > 0);
      bars(tile.querySelector('svg'), c.key, now);
    }
    const reasons = Object.keys(last.reasons)
      .map((reason) => [reason, last.reasons[reason] - (first.reasons[reason] || 0)])
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => reason + ': ' + n);
    document.querySelector('#metrics [data-counter=revoked]').title = reasons.length ? reasons.join('\\n') : 'none in this window';
    const age = now - opened;
    const since = Math.round(age / 1000);
    document.getElementById('metrics-window').textContent = age >= WINDOW_MS
      ? 'last 5 minutes'
      : 'since this page opened, ' + Math.floor(since / 60) + ':' + String(since % 60).padStart(2, '0') + ' ago';
  }

  async function poll() {
    try {
      const res = await fetch('/metrics', { cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      const parsed = parse(await res.text());
      const now = Date.now();
      add({ t: now, values: parsed.values, reasons: parsed.reasons });
      render(now);
    } catch {
      document.getElementById('metrics-window').textContent = '/metrics did not answer; retrying';
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  poll();
})();
`;
