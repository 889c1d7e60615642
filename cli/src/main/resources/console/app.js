// llm-audit console: plain JavaScript, no build step. Data from /api/*, live by polling /api/version.
(function () {
  'use strict';
  const views = ['spend', 'budgets', 'savings', 'violations', 'dlq'];
  let current = (location.hash || '#spend').slice(1);
  let version = -1;
  let charts = {};

  function token() { return sessionStorage.getItem('llm-audit-token'); }

  async function api(path) {
    const headers = token() ? { Authorization: 'Bearer ' + token() } : {};
    const r = await fetch(path, { headers });
    if (r.status === 401) { showLogin(); throw new Error('sign in'); }
    if (r.status === 403) { throw new Error((await r.json()).error); }
    if (!r.ok) { throw new Error('HTTP ' + r.status); }
    return r.json();
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function fill(tableId, rows, cells) {
    const body = document.querySelector('#' + tableId + ' tbody');
    body.replaceChildren(...rows.map(r => {
      const tr = el('tr');
      cells(r).forEach(c => tr.appendChild(c instanceof Node ? c : el('td', c)));
      return tr;
    }));
  }

  function num(v) { return el('td', v, 'num'); }

  function chart(id) {
    if (!charts[id] && window.echarts) { charts[id] = window.echarts.init(document.getElementById(id)); }
    return charts[id];
  }

  function status(text) { document.getElementById('status').textContent = text; }

  async function showSpend() {
    const by = document.getElementById('spend-by').value;
    const points = await api('/api/spend?by=' + encodeURIComponent(by));
    fill('spend-table', points, p => [p.hour, p.key, num(p.cost), p.currency, num(p.unpriced_calls), p.provisional ? 'provisional' : 'final']);
    const hours = [...new Set(points.map(p => p.hour))].sort();
    const keys = [...new Set(points.map(p => p.key))].sort();
    const series = keys.map(k => ({
      name: k, type: 'bar', stack: 'cost',
      data: hours.map(h => { const p = points.find(x => x.hour === h && x.key === k); return p ? Number(p.cost) : 0; })
    }));
    const c = chart('spend-chart');
    if (c) {
      c.setOption({ tooltip: { trigger: 'axis' }, legend: { data: keys }, animation: false,
        xAxis: { type: 'category', data: hours.map(h => h.replace(':00:00Z', 'Z')) }, yAxis: { type: 'value', name: points.length ? points[0].currency : '' },
        series }, true);
    }
  }

  async function showBudgets() {
    const budgets = await api('/api/budgets');
    fill('budget-table', budgets, b => [b.budget_id, b.scope, b.period + ' from ' + b.period_start, num(b.spent), num(b.limit),
      num(b.percent === null ? '-' : b.percent + ' %'), num(b.unpriced_calls)]);
    const c = chart('budget-chart');
    if (c) {
      c.setOption({ tooltip: {}, animation: false, legend: { data: ['spent', 'limit'] },
        yAxis: { type: 'category', data: budgets.map(b => b.budget_id + ' ' + b.scope) }, xAxis: { type: 'value' },
        series: [{ name: 'spent', type: 'bar', data: budgets.map(b => Number(b.spent)) },
                 { name: 'limit', type: 'bar', data: budgets.map(b => Number(b.limit)) }] }, true);
    }
  }

  async function showSavings() {
    const rows = await api('/api/savings');
    fill('savings-table', rows, s => [s.team, s.model, num(s.cost), num(s.compared_cost), num(s.cheapest_compliant), num(s.saving), num(s.calls),
      num(s.calls_without_alternative), s.currency]);
  }

  async function showViolations() {
    const q = new URLSearchParams();
    [['severity', 'f-severity'], ['policy', 'f-policy'], ['tenant', 'f-tenant'], ['cloud', 'f-cloud'], ['since', 'f-since']].forEach(([k, id]) => {
      const v = document.getElementById(id).value.trim();
      if (v) { q.set(k, v); }
    });
    const r = await api('/api/violations?' + q.toString());
    fill('violations-table', r.violations, v => {
      const details = el('td');
      const d = el('details');
      d.appendChild(el('summary', Object.keys(v.details).length + ' details'));
      const dl = el('dl');
      Object.entries(v.details).forEach(([k, val]) => { dl.appendChild(el('dt', k)); dl.appendChild(el('dd', val)); });
      d.appendChild(dl);
      details.appendChild(d);
      return [v.detected_at, el('td', v.severity, 'sev-' + v.severity), v.policy_id, v.tenant, v.cloud, v.model, v.event_id, v.message, details];
    });
  }

  async function showDlq() {
    const rows = await api('/api/dlq');
    fill('dlq-table', rows, d => [d.failed_at, d.stage, d.error, d.reason, d.source]);
  }

  const show = { spend: showSpend, budgets: showBudgets, savings: showSavings, violations: showViolations, dlq: showDlq };

  async function render() {
    views.forEach(v => {
      document.getElementById('view-' + v).hidden = v !== current;
      const tab = document.getElementById('tab-' + v);
      if (v === current) { tab.setAttribute('aria-current', 'page'); } else { tab.removeAttribute('aria-current'); }
    });
    try {
      await show[current]();
      if (charts['spend-chart'] && current === 'spend') { charts['spend-chart'].resize(); }
      if (charts['budget-chart'] && current === 'budgets') { charts['budget-chart'].resize(); }
      status('Updated ' + new Date().toISOString().slice(11, 19) + ' UTC');
    } catch (e) {
      status(e.message);
    }
  }

  function showLogin() {
    document.getElementById('login').hidden = false;
    views.forEach(v => { document.getElementById('view-' + v).hidden = true; });
  }

  function feedHealth(h) {
    const w = document.getElementById('feed-warning');
    const problems = [];
    if (h.feed_ok === false) { problems.push('Kafka cannot be read right now (' + h.feed_error + '): what is shown may be out of date.'); }
    if (h.undecodable > 0) { problems.push(h.undecodable + ' records could not be read: totals are partial.'); }
    const d = h.dropped || {};
    if ((d.rollups || 0) + (d.violations || 0) + (d.dead_letters || 0) > 0) { problems.push('The oldest records were dropped to stay within memory.'); }
    w.textContent = problems.join(' ');
    w.hidden = problems.length === 0;
  }

  async function poll() {
    try {
      const h = await api('/api/version');
      feedHealth(h);
      const v = h.version;
      if (v !== version) { version = v; await render(); }
    } catch (e) {
      // shown by render or the login form
    }
  }

  document.querySelectorAll('.tab').forEach(b => b.addEventListener('click', () => {
    current = b.dataset.view;
    location.hash = current;
    render();
  }));
  document.getElementById('spend-by').addEventListener('change', render);
  document.getElementById('violation-filters').addEventListener('submit', e => { e.preventDefault(); render(); });
  document.getElementById('login').addEventListener('submit', async e => {
    e.preventDefault();
    sessionStorage.setItem('llm-audit-token', document.getElementById('token').value);
    try {
      const me = await api('/api/me');
      document.getElementById('login').hidden = true;
      status('Signed in as ' + me.role);
      await render();
    } catch (err) {
      document.getElementById('login-error').textContent = 'That token is not known.';
    }
  });
  if (!views.includes(current)) { current = 'spend'; }
  poll();
  setInterval(poll, 2000);
})();
