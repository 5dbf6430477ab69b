// edgewatch console: the few live parts of server-rendered pages. Times in the viewer's zone, command
// buttons with a confirmation and the outcome as acks arrive, a live log tail, and refreshed lists.
// Everything it writes into the page goes through textContent or attributes, never innerHTML of data.
'use strict';

(function () {
  const csrf = document.querySelector('meta[name="edgewatch-csrf"]')?.getAttribute('content') ?? '';
  const FINAL = new Set(['done', 'failed', 'rejected', 'timeout']);

  /** Puts every <time> into the viewer's time zone; the UTC time stays in the tooltip. */
  function localizeTimes(root) {
    const full = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const short = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    for (const t of root.querySelectorAll('time[datetime]')) {
      const d = new Date(t.getAttribute('datetime'));
      if (Number.isNaN(d.getTime())) continue;
      const sameDay = d.toDateString() === new Date().toDateString();
      t.textContent = t.dataset.kind === 'time' && sameDay ? short.format(d) : full.format(d);
      t.title = `UTC: ${d.toISOString().replace('T', ' ').replace('Z', '')}`;
    }
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function badge(text, tone) {
    return el('span', { class: `badge ${tone}` }, String(text));
  }

  // ---- confirmation dialog -------------------------------------------------------------------------
  let dialog;
  function confirmDialog(message, label) {
    if (!dialog) {
      dialog = el('dialog', { 'aria-labelledby': 'confirm-text' },
        el('form', { method: 'dialog' },
          el('p', { id: 'confirm-text' }),
          el('div', { class: 'buttons' },
            el('button', { value: 'cancel', type: 'submit' }, 'Cancel'),
            el('button', { value: 'ok', type: 'submit', class: 'danger', id: 'confirm-ok' }, 'Send'))));
      document.body.append(dialog);
    }
    dialog.querySelector('#confirm-text').textContent = message;
    dialog.querySelector('#confirm-ok').textContent = label;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
      dialog.querySelector('button[value="cancel"]').focus();
    });
  }

  // ---- commands ------------------------------------------------------------------------------------
  async function api(path, init) {
    const res = await fetch(path, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
    let body = {};
    try { body = await res.json(); } catch { /* not JSON */ }
    return { status: res.status, body };
  }

  function describe(c) {
    const acks = (c.acks ?? []).map((a) => a.status).join(' → ');
    return `${c.type} ${c.status}${c.reason ? `: ${c.reason}` : ''}${acks ? ` (acks: ${acks})` : ''}`;
  }

  async function runCommand(group, button) {
    const { node, task } = group.dataset;
    const type = button.dataset.command;
    const out = group.querySelector('.command-status');
    if (!(await confirmDialog(button.dataset.confirm, button.textContent))) { button.focus(); return; }
    const buttons = group.querySelectorAll('button.command');
    buttons.forEach((b) => (b.disabled = true));
    group.dataset.busy = '1';
    out.className = 'command-status';
    out.textContent = `${type}: sending…`;
    try {
      const sent = await api('/api/commands', { method: 'POST', headers: { 'content-type': 'application/json', 'x-edgewatch-csrf': csrf }, body: JSON.stringify({ node, task, type, wait: false }) });
      if (sent.status >= 300 && sent.status !== 202) throw new Error(sent.body.message ?? `HTTP ${sent.status}`);
      let c = sent.body;
      out.textContent = describe(c);
      for (let i = 0; i < 240 && !FINAL.has(c.status); i++) {
        await new Promise((r) => setTimeout(r, 500));
        const next = await api(`/api/commands/${encodeURIComponent(c.id)}`);
        if (next.status !== 200) throw new Error(next.body.message ?? `HTTP ${next.status}`);
        c = next.body;
        out.textContent = describe(c);
      }
      out.classList.add(c.status === 'done' ? 'ok' : FINAL.has(c.status) ? 'bad' : 'pending');
      out.dataset.status = c.status;
      // the outcome stays readable for a while before a refreshed list may replace it
      setTimeout(() => delete out.dataset.status, 20000);
    } catch (err) {
      out.classList.add('bad');
      out.dataset.status = 'error';
      out.textContent = `${type} not sent: ${err.message}`;
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      delete group.dataset.busy;
    }
  }

  document.addEventListener('click', (e) => {
    const button = e.target.closest?.('button.command');
    const group = button?.closest('.actions');
    if (button && group) runCommand(group, button);
  });

  // ---- live log tail -------------------------------------------------------------------------------
  const TONES = { fatal: 'bad', error: 'bad', warn: 'warn', info: 'info', debug: 'muted', trace: 'muted' };
  function logItem(r) {
    const ms = /^\d+$/.test(r.timeUnixNano ?? '') ? Number(BigInt(r.timeUnixNano) / 1000000n) : Date.parse(r.time);
    const time = el('time', { datetime: new Date(ms).toISOString(), 'data-kind': 'time' }, new Date(ms).toISOString());
    const status = typeof r.status === 'number' ? badge(r.status, r.status >= 500 ? 'bad' : r.status >= 400 ? 'warn' : 'muted') : null;
    const trace = typeof r.trace_id === 'string' && /^[0-9a-f]{32}$/.test(r.trace_id) ? el('a', { class: 'trace', href: `/traces/${r.trace_id}` }, `trace ${r.trace_id.slice(0, 8)}…`) : null;
    const duration = typeof r.duration_ms === 'number' ? el('span', { class: 'muted' }, `${r.duration_ms} ms`) : null;
    const li = el('li', { class: `log new ${String(r.level).replace(/[^a-z]/g, '')}` }, time, ' ', badge(r.level, TONES[r.level] ?? 'info'), ' ', status, ' ', el('span', { class: 'msg' }, String(r.msg)), ' ', duration, ' ', trace);
    return { li, ms, key: `${r.timeUnixNano}|${r.msg}` };
  }

  function startTail(spec) {
    const list = document.getElementById('tail');
    const state = document.querySelector('[data-tail-state]');
    if (!list) return;
    let since = Number(spec.dataset.since);
    const seen = new Set();
    let failures = 0;
    async function poll() {
      if (!document.hidden) {
        const q = new URLSearchParams({ node: spec.dataset.node, task: spec.dataset.task, since: String(since), limit: '500' });
        const res = await api(`/api/logs?${q}`).catch(() => ({ status: 0, body: {} }));
        if (res.status === 200) {
          failures = 0;
          const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
          for (const r of res.body.records ?? []) {
            const item = logItem(r);
            if (seen.has(item.key) || item.ms < since) continue;
            seen.add(item.key);
            list.querySelector('li.empty')?.remove();
            list.append(item.li);
            localizeTimes(item.li);
            since = Math.max(since, item.ms);
          }
          while (list.children.length > 1000) list.firstElementChild.remove();
          if (seen.size > 5000) seen.clear();
          if (atBottom) window.scrollTo(0, document.body.scrollHeight);
          if (state) state.textContent = `Live: new lines appear below (checked ${new Date().toLocaleTimeString()}).`;
        } else if (res.status === 401 || res.status === 403) {
          if (state) state.textContent = 'Live tail stopped: the session ended. Reload to sign in again.';
          return;
        } else if (++failures >= 3 && state) {
          state.textContent = 'Live tail: the collector does not answer; still trying.';
        }
      }
      setTimeout(poll, 2000);
    }
    setTimeout(poll, 2000);
  }

  // ---- refreshed lists -----------------------------------------------------------------------------
  function busy(region) {
    return (dialog && dialog.open) || region.contains(document.activeElement) || region.querySelector('[data-busy]') || region.querySelector('.command-status[data-status]');
  }

  function startLive(region) {
    const seconds = Math.max(5, Number(region.dataset.live) || 15);
    async function refresh() {
      if (!document.hidden && !busy(region)) {
        try {
          const res = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
          if (res.ok && res.headers.get('content-type')?.startsWith('text/html')) {
            const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
            const fresh = doc.getElementById(region.id);
            if (fresh && !busy(region)) {
              const node = document.importNode(fresh, true);
              region.replaceWith(node);
              region = node;
              localizeTimes(region);
            }
          }
        } catch { /* try again next time */ }
      }
      setTimeout(refresh, seconds * 1000);
    }
    setTimeout(refresh, seconds * 1000);
  }

  /** A waterfall row shows its raw record when first opened, from the page's records data block. */
  let traceRecords;
  document.addEventListener('toggle', (e) => {
    const details = e.target;
    if (!details.open || details.dataset?.n === undefined) return;
    const pre = details.querySelector('pre.raw');
    if (!pre || pre.textContent) return;
    try {
      traceRecords ??= JSON.parse(document.getElementById('trace-records')?.textContent ?? '[]');
      pre.textContent = JSON.stringify(traceRecords[Number(details.dataset.n)] ?? null, null, 2);
    } catch (err) {
      pre.textContent = `could not show the record: ${err.message}`;
    }
  }, true);

  function init() {
    localizeTimes(document);
    const tail = document.querySelector('[data-tail]');
    if (tail) startTail(tail);
    for (const region of document.querySelectorAll('[data-live][id]')) startLive(region);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
