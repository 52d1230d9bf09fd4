/*
 * Steward's dashboard: plain JavaScript, no build step, served by the HTTP module from the jar.
 *
 * Reads the REST API (with the token, when the node asks for one) and LISTENS on the SockJS event-bus bridge:
 * steward.nodes.events, steward.tasks.events and steward.schedule.events refresh the page as things happen. It
 * sends nothing on the bridge, so it needs outbound permissions only (http.bridgeOutbound); a panel whose events
 * are refused or whose bridge is down says so and is refreshed every few seconds instead. Actions (cancel a task;
 * pause, resume, trigger a schedule; pause, resume a supervisor) go through the REST API. Every value from the server is written as text, never as HTML.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'steward.dashboard.token';
  const POLL_MS = 5000;          // caches always; nodes and tasks while their events do not arrive
  const RECONCILE_MS = 30000;    // nodes and tasks: a full read now and then, even when live
  const MAX_TASKS = 500;         // tasks kept in this page; the oldest finished go first
  const SHOWN_TASKS = 100;
  const SHOWN_SCHEDULES = 200;
  const SHOWN_DEAD_LETTERS = 50;
  const SHOWN_WORKFLOWS = 20;
  const DEAD_LETTERS_MS = 10000; // and at once when a task event says one was added
  const DETAIL_MS = 2000;        // an open task that is still active is read again this often   // the first jobs by name; the count says how many the cluster holds
  const EVENTS = { nodes: 'steward.nodes.events', tasks: 'steward.tasks.events', schedules: 'steward.schedule.events' };
  const OUTCOME_CLASS = { succeeded: 'ok', failed: 'bad', missed: 'warn', skipped: '' };
  const ACTIVE = new Set(['scheduled', 'pending', 'running', 'restarting']);
  const PROBLEMS = new Set(['failed', 'timed-out', 'lost', 'cancelled']);
  const STATE_CLASS = {
    scheduled: '', pending: 'info', running: 'info', restarting: 'warn', succeeded: 'ok',
    failed: 'bad', 'timed-out': 'bad', lost: 'bad', cancelled: 'warn'
  };
  // Event name -> task state, and an order for events stamped in the same millisecond.
  const EVENT_STATE = {
    submitted: ['pending', 0], started: ['running', 1], 'timed-out': ['timed-out', 2], restarted: ['restarting', 3],
    succeeded: ['succeeded', 4], failed: ['failed', 4], cancelled: ['cancelled', 4], lost: ['lost', 4]
  };
  const STATE_RANK = { scheduled: 0, pending: 0, running: 1, restarting: 3 }; // any other state is final: 4

  const S = {
    settings: null,
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    running: false,
    nodes: [], nodeNames: new Map(), modules: new Set(), health: null,
    tasks: new Map(), tasksTotal: null, tasksIncomplete: false, rejected: { count: 0, last: null }, cancelling: new Set(),
    caches: [],
    detail: null, deadLetters: [], deadLettersTotal: null, workflows: [], workflowsTotal: null,
    schedules: [], schedulesTotal: null, scheduleBusy: new Map(),
    supervisors: [], supervisorsNode: null, supervisorBusy: new Map(),
    // Per panel: when it was last read, its error, whether its events arrive ('live', 'refused', 'off').
    panels: {
      nodes: { at: 0, error: null, live: 'off', liveWhy: '', busy: false, due: 0 },
      tasks: { at: 0, error: null, live: 'off', liveWhy: '', busy: false, due: 0 },
      schedules: { at: 0, error: null, live: 'off', liveWhy: '', busy: false, due: 0 },
      caches: { at: 0, error: null, live: 'poll', liveWhy: '', busy: false, due: 0 },
      supervisors: { at: 0, error: null, live: 'poll', liveWhy: '', busy: false, due: 0 },
      deadletters: { at: 0, error: null, live: 'poll', liveWhy: '', busy: false, due: 0, every: DEAD_LETTERS_MS },
      workflows: { at: 0, error: null, live: 'poll', liveWhy: '', busy: false, due: 0 }
    },
    bridge: 'connecting', bridgeWhy: '', eb: null, unreachable: null, notice: null,
    timer: null, renderQueued: false
  };

  const $ = (sel, root) => (root || document).querySelector(sel);

  /** Creates an element: h('td', {class: 'num', title: 'x'}, 'text', childNode, …). Text stays text. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // ---------------------------------------------------------------- HTTP

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (S.token) headers.Authorization = 'Bearer ' + S.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const err = new ApiError(0, e.message);
      S.unreachable = err.message;
      S.health = null;
      throw err;
    }
    S.unreachable = null;
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = { error: text.slice(0, 300) }; }
    }
    if (res.status === 401) {
      unauthorized();
      throw new ApiError(401, 'the token was refused');
    }
    if (!res.ok) {
      throw new ApiError(res.status, (data && data.error) || ('HTTP ' + res.status));
    }
    return data;
  }

  /** A panel-friendly sentence for a failed read. */
  function describe(err, module) {
    if (err.status === 503 && module) {
      return 'The ' + module + ' module answers on no node (503): ' + err.message;
    }
    if (err.status === 0) return 'Cannot reach the node at ' + location.host + ' (' + err.message + '). Retrying every ' + POLL_MS / 1000 + ' s.';
    return (err.status ? err.status + ': ' : '') + err.message;
  }

  // ---------------------------------------------------------------- start, token

  async function boot() {
    $('#login-form').addEventListener('submit', onLogin);
    $('#forget').addEventListener('click', () => { forgetToken(); showLogin(''); });
    $('#task-filter').addEventListener('change', render);
    $('#task-detail [data-action=close-detail]').addEventListener('click', closeTask);
    $('#task-detail [data-action=refresh-detail]').addEventListener('click', () => refreshDetail());
    $('#task-detail [data-action=cancel-detail]').addEventListener('click', () => S.detail && cancelTask(S.detail.id));
    try {
      S.settings = await api('GET', '/dashboard/settings.json');
    } catch (e) {
      banner('Cannot load the dashboard settings: ' + e.message + '. Reload the page when the node is back.');
      return;
    }
    if (S.settings.tokenRequired && !S.token) {
      showLogin('');
      return;
    }
    start();
  }

  async function start() {
    $('#login').hidden = true;
    $('#main').hidden = false;
    $('#forget').hidden = !S.token;
    S.running = true;
    if (!(await refreshNodes())) return;
    connectBridge();
    refreshTasks();
    refreshSchedules();
    refreshCaches();
    refreshSupervisors();
    refreshDeadLetters();
    if (window.StewardCharts) window.StewardCharts.start(api);
    if (!S.timer) S.timer = setInterval(tick, 1000);
  }

  async function onLogin(ev) {
    ev.preventDefault();
    const token = $('#token').value.trim();
    if (!token) return;
    S.token = token;
    $('#login-error').textContent = '';
    sessionStorage.setItem(TOKEN_KEY, token);
    $('#token').value = '';
    start();
  }

  function forgetToken() {
    S.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
  }

  function stop() {
    S.running = false;
    if (S.timer) clearInterval(S.timer);
    S.timer = null;
    if (window.StewardCharts) window.StewardCharts.stop();
    if (S.eb) {
      try { S.eb.close(); } catch (e) { /* already closed */ }
      S.eb = null;
    }
  }

  function unauthorized() {
    const had = Boolean(S.token);
    forgetToken();
    showLogin(had ? 'The node refused that token (401): enter one of its http.tokens.'
      : 'This node asks for a token (401).');
  }

  function showLogin(message) {
    stop();
    $('#main').hidden = true;
    $('#forget').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = message;
    setPill($('#bridge'), 'bridge: not connected', '');
    $('#token').focus();
  }

  // ---------------------------------------------------------------- bridge (listen only)

  function connectBridge() {
    if (typeof EventBus === 'undefined') {
      S.bridge = 'down';
      S.bridgeWhy = 'the bridge client did not load';
      render();
      return;
    }
    const url = S.settings.bridge + (S.token ? '?token=' + encodeURIComponent(S.token) : '');
    // No iframe or JSONP transports: the page's Content-Security-Policy allows neither.
    const eb = new EventBus(url, {
      vertxbus_ping_interval: 10000, vertxbus_reconnect_delay_max: 10000,
      transports: ['websocket', 'xhr-streaming', 'xhr-polling']
    });
    eb.enableReconnect(true);
    // A refused frame without an address (the library's "rejected"); the handlers hear why, see listen().
    eb.onerror = () => {};
    eb.onopen = () => {
      S.bridge = 'open';
      S.bridgeWhy = '';
      listen(eb, 'nodes', EVENTS.nodes, onNodesEvent);
      listen(eb, 'tasks', EVENTS.tasks, onTasksEvent);
      listen(eb, 'schedules', EVENTS.schedules, onSchedulesEvent);
      // Whatever happened while we were not listening: read it once.
      refreshNodes();
      refreshTasks();
      refreshSchedules();
      render();
    };
    eb.onclose = () => {
      if (!S.running) return;
      S.bridge = 'down';
      S.bridgeWhy = 'reconnecting';
      S.panels.nodes.live = 'off';
      S.panels.tasks.live = 'off';
      S.panels.schedules.live = 'off';
      render();
    };
    S.eb = eb;
  }

  function listen(eb, panel, address, handler) {
    const p = S.panels[panel];
    p.live = 'live';
    p.liveWhy = '';
    eb.registerHandler(address, (err, msg) => {
      if (err) {
        // The bridge refused the registration (403): the address is not in http.bridgeOutbound.
        p.live = 'refused';
        p.liveWhy = address;
        render();
        return;
      }
      handler(msg.body);
    });
  }

  // ---------------------------------------------------------------- nodes

  async function refreshNodes() {
    const p = S.panels.nodes;
    if (p.busy) {
      p.again = true; // an event came in during a read: read once more when this one ends
      return true;
    }
    p.busy = true;
    p.again = false;
    try {
      const data = await api('GET', '/nodes');
      S.nodes = data.nodes || [];
      S.nodeNames = new Map(S.nodes.map(n => [n.id, n.name]));
      S.modules = new Set(S.nodes.flatMap(n => n.modules || []));
      if (S.awaitedNode && !S.nodes.some(n => n.id === S.awaitedNode.id) && S.awaitedNode.tries-- > 0) {
        p.again = true; // the registry may list a joined node a moment after its event
      } else {
        S.awaitedNode = null;
      }
      p.error = null;
      p.at = Date.now();
      refreshHealth();
      return true;
    } catch (e) {
      if (e.status === 401) return false;
      p.error = describe(e);
      return e.status !== 401;
    } finally {
      p.busy = false;
      p.due = Date.now() + (p.live === 'live' ? RECONCILE_MS : POLL_MS);
      render();
      if (p.again) {
        p.again = false;
        setTimeout(refreshNodes, 500);
      }
    }
  }

  async function refreshHealth() {
    try {
      const res = await fetch('/health', { cache: 'no-store' });
      const body = await res.json();
      S.health = { status: body.status || (res.ok ? 'UP' : 'DOWN'), checks: body.checks || [] };
    } catch (e) {
      S.health = null;
    }
    render();
  }

  let nodesDebounce = null;
  function onNodesEvent(body) {
    if (body && body.event === 'joined' && body.id) {
      S.awaitedNode = { id: body.id, tries: 40 }; // a member joins before its node has deployed and registered: up to ~20 s
    }
    if (body && body.event === 'left') {
      S.nodes = S.nodes.filter(n => n.id !== body.id);
      render();
    }
    clearTimeout(nodesDebounce);
    nodesDebounce = setTimeout(refreshNodes, 250);
  }

  // ---------------------------------------------------------------- tasks

  async function refreshTasks() {
    const p = S.panels.tasks;
    if (p.busy) return;
    if (!S.modules.has('tasks')) {
      p.error = null;
      p.due = Date.now() + POLL_MS;
      render();
      return;
    }
    p.busy = true;
    try {
      const data = await api('GET', '/tasks?limit=' + SHOWN_TASKS);
      for (const t of data.tasks || []) mergeRecord(t);
      S.tasksTotal = data.total;
      S.tasksIncomplete = Boolean(data.incomplete);
      trimTasks();
      p.error = null;
      p.at = Date.now();
    } catch (e) {
      if (e.status !== 401) p.error = describe(e, 'tasks');
    } finally {
      p.busy = false;
      p.due = Date.now() + (p.live === 'live' ? RECONCILE_MS : POLL_MS);
      render();
    }
  }

  function lastChange(t) {
    return Math.max(t.submittedAt || 0, t.startedAt || 0, t.endedAt || 0);
  }

  /** A record read from the API: authoritative as of its last change. */
  function mergeRecord(r) {
    const known = S.tasks.get(r.id);
    const at = lastChange(r);
    const rank = r.state in STATE_RANK ? STATE_RANK[r.state] : 4;
    if (known && (known._at > at || (known._at === at && known._rank > rank))) return;
    S.tasks.set(r.id, Object.assign(known || {}, r, { _at: at, _rank: rank }));
  }

  function onTasksEvent(batch) {
    for (const e of batch.events || []) {
      if (e.event === 'rejected') {
        S.rejected.count++;
        S.rejected.last = e;
        continue;
      }
      const mapping = EVENT_STATE[e.event];
      if (!e.id || !mapping) continue;
      let t = S.tasks.get(e.id);
      if (!t) {
        t = { id: e.id, type: e.type, supervisor: e.supervisor, node: batch.node, submittedAt: e.at, _at: 0, _rank: -1 };
        S.tasks.set(e.id, t);
      }
      // A batch holds the important events before the routine ones: order by time, then by life cycle.
      if (e.at < t._at || (e.at === t._at && mapping[1] < t._rank)) continue;
      t.state = mapping[0];
      t._at = e.at;
      t._rank = mapping[1];
      if (e.attempt) t.attempts = e.attempt;
      if (e.event === 'started') { t.startedAt = e.at; delete t.endedAt; }
      if (mapping[1] === 4) t.endedAt = e.at;
      if (e.error) t.error = e.error;
      if (e.event === 'restarted') t.error = (e.reason ? 'restarting (' + e.reason + ')' : 'restarting') + (t.error ? ': ' + t.error : '');
      if (e.deadLetter) S.panels.deadletters.due = 0;
      if (S.detail && S.detail.id === e.id) S.detail.due = 0;
    }
    // Submits, starts and ends move the supervisors' counts: read them again soon, at most once a second.
    S.panels.supervisors.due = Math.min(S.panels.supervisors.due, Date.now() + 1000);
    if (batch.dropped > 0) {
      // The node published only part of what happened: read the list again soon.
      S.panels.tasks.due = Math.min(S.panels.tasks.due, Date.now() + 1000);
    }
    trimTasks();
    render();
  }

  function trimTasks() {
    if (S.tasks.size <= MAX_TASKS) return;
    const byAge = [...S.tasks.values()].sort((a, b) => (ACTIVE.has(b.state) - ACTIVE.has(a.state)) || (b._at - a._at));
    for (const t of byAge.slice(MAX_TASKS)) S.tasks.delete(t.id);
  }

  async function cancelTask(id) {
    S.cancelling.add(id);
    render();
    try {
      const record = await api('DELETE', '/tasks/' + encodeURIComponent(id));
      mergeRecord(record);
      if (S.detail && S.detail.id === id) S.detail.task = record;
      S.notice = null;
    } catch (e) {
      if (e.status !== 401) S.notice = 'Could not cancel task ' + id + ': ' + describe(e, 'tasks');
    } finally {
      S.cancelling.delete(id);
      render();
    }
  }

  // ---------------------------------------------------------------- one task, dead letters

  function openTask(id) {
    S.detail = { id, task: null, error: null, busy: false, due: 0 };
    render();
    refreshDetail();
    $('#task-detail').scrollIntoView({ block: 'nearest' });
  }

  function closeTask() {
    S.detail = null;
    render();
  }

  /** GET /tasks/{id}: the record with its attempts, restart times, outcome and error. */
  async function refreshDetail() {
    const d = S.detail;
    if (!d || d.busy) return;
    d.busy = true;
    try {
      d.task = await api('GET', '/tasks/' + encodeURIComponent(d.id));
      d.error = null;
      mergeRecord(d.task);
    } catch (e) {
      if (e.status !== 401) d.error = e.status === 404 ? 'Task ' + d.id + ' is not known to the cluster (any more): finished tasks are kept tasks.finishedTtlMs.' : describe(e, 'tasks');
    } finally {
      d.busy = false;
      d.due = Date.now() + DETAIL_MS;
      render();
    }
  }

  /**
   * One periodic read of a panel that needs a module: due again after {@code every} ms, a note instead of an error
   * when no node runs the module, {@code apply(read)} with what {@code read()} answered.
   */
  async function readPanel(p, module, every, read, apply) {
    if (p.busy) return;
    p.due = Date.now() + every;
    if (!S.modules.has(module)) {
      p.error = null;
      render();
      return;
    }
    p.busy = true;
    try {
      apply(await read());
      p.error = null;
      p.at = Date.now();
    } catch (e) {
      if (e.status !== 401) p.error = describe(e, module);
    } finally {
      p.busy = false;
      render();
    }
  }

  function refreshDeadLetters() {
    return readPanel(S.panels.deadletters, 'tasks', DEAD_LETTERS_MS, () => api('GET', '/tasks/deadletters?limit=' + SHOWN_DEAD_LETTERS), data => {
      S.deadLetters = data.tasks || [];
      S.deadLettersTotal = data.total;
    });
  }

  /** The newest workflows (GET /workflows), read every POLL_MS while the workflows module runs somewhere. */
  function refreshWorkflows() {
    return readPanel(S.panels.workflows, 'workflows', POLL_MS, () => api('GET', '/workflows?limit=' + SHOWN_WORKFLOWS), data => {
      S.workflows = data.workflows || [];
      S.workflowsTotal = data.total;
    });
  }

  // ---------------------------------------------------------------- schedules

  /**
   * Read every 5 s even when live: by default (schedule.runEvents = problems) a successful run publishes no event,
   * and the next fire time moves with every tick. Events (changes, failed, missed and skipped runs) read it at once.
   */
  function refreshSchedules() {
    return readPanel(S.panels.schedules, 'schedule', POLL_MS, () => api('GET', '/schedules?limit=' + SHOWN_SCHEDULES), data => {
      S.schedules = data.jobs || [];
      S.schedulesTotal = data.count;
    });
  }

  let schedulesDebounce = null;
  function onSchedulesEvent(body) {
    if (body && (body.event === 'fenced' || body.event === 'unfenced')) {
      refreshHealth();
    }
    clearTimeout(schedulesDebounce);
    schedulesDebounce = setTimeout(refreshSchedules, 250);
  }

  /** verb: pause, resume or trigger. Pause and resume answer the job; trigger answers the run it made. */
  async function scheduleAction(name, verb) {
    S.scheduleBusy.set(name, verb);
    render();
    try {
      const answer = await api('POST', '/schedules/' + encodeURIComponent(name) + '/' + verb);
      const i = S.schedules.findIndex(j => j.name === name);
      if (verb === 'trigger') {
        if (i >= 0) S.schedules[i] = Object.assign({}, S.schedules[i], { lastRun: answer });
      } else if (i >= 0) {
        S.schedules[i] = answer;
      }
      S.notice = verb === 'trigger' && answer && answer.outcome === 'failed'
        ? 'Triggered ' + name + ': the run failed: ' + (answer.error || 'no error message') : null;
    } catch (e) {
      if (e.status !== 401) S.notice = 'Could not ' + verb + ' schedule ' + name + ': ' + describe(e, 'schedule');
    } finally {
      S.scheduleBusy.delete(name);
      S.panels.schedules.due = Math.min(S.panels.schedules.due, Date.now() + 500);
      render();
    }
  }

  // ---------------------------------------------------------------- supervisors

  /**
   * GET /tasks/supervisors, every 5 s and a second after task events: one tasks node answers, so running, queued and
   * waiting are that node's, while paused is the cluster's.
   */
  function refreshSupervisors() {
    return readPanel(S.panels.supervisors, 'tasks', POLL_MS, () => api('GET', '/tasks/supervisors'), data => {
      const sups = data.supervisors || {};
      S.supervisors = Object.keys(sups).sort().map(name => Object.assign({ name }, sups[name]));
      S.supervisorsNode = data.node || null;
    });
  }

  /** verb: pause or resume (POST /tasks/supervisors/{name}/{verb}); the answer is the supervisor's new status. */
  async function supervisorAction(name, verb) {
    S.supervisorBusy.set(name, verb);
    render();
    try {
      const answer = await api('POST', '/tasks/supervisors/' + encodeURIComponent(name) + '/' + verb);
      const i = S.supervisors.findIndex(s => s.name === name);
      if (i >= 0 && answer) S.supervisors[i] = Object.assign({}, S.supervisors[i], answer, { name });
      S.notice = answer && answer.unconfirmed && answer.unconfirmed.length
        ? 'Supervisor ' + name + ' ' + (verb === 'pause' ? 'paused' : 'resumed') + '; node(s) ' + answer.unconfirmed.join(', ')
          + ' did not confirm yet (they follow when the cluster\'s event reaches them).' : null;
    } catch (e) {
      if (e.status !== 401) S.notice = 'Could not ' + verb + ' supervisor ' + name + ': ' + describe(e, 'tasks');
    } finally {
      S.supervisorBusy.delete(name);
      S.panels.supervisors.due = Math.min(S.panels.supervisors.due, Date.now() + 500);
      render();
    }
  }

  // ---------------------------------------------------------------- caches

  function refreshCaches() {
    return readPanel(S.panels.caches, 'cache', POLL_MS, async () => {
      const list = await api('GET', '/caches');
      return Promise.all((list.caches || []).map(c => api('GET', '/caches/' + encodeURIComponent(c.name))
        .then(stats => Object.assign({ name: c.name }, stats), e => ({ name: c.name, options: c.options, error: describe(e, 'cache') }))));
    }, caches => {
      S.caches = caches;
    });
  }

  // ---------------------------------------------------------------- timing

  function tick() {
    if (!S.running) return;
    const now = Date.now();
    if (!document.hidden) {
      if (now >= S.panels.nodes.due) refreshNodes();
      if (now >= S.panels.tasks.due) refreshTasks();
      if (now >= S.panels.schedules.due) refreshSchedules();
      if (now >= S.panels.caches.due) refreshCaches();
      if (now >= S.panels.supervisors.due) refreshSupervisors();
      if (now >= S.panels.deadletters.due) refreshDeadLetters();
      if (now >= S.panels.workflows.due) refreshWorkflows();
      if (S.detail && now >= S.detail.due && (!S.detail.task || ACTIVE.has(S.detail.task.state))) refreshDetail();
    }
    refreshTimes();
  }

  // ---------------------------------------------------------------- rendering

  function render() {
    if (S.renderQueued) return;
    S.renderQueued = true;
    requestAnimationFrame(() => {
      S.renderQueued = false;
      renderHeader();
      renderNodes();
      renderTasks();
      renderSchedules();
      renderCaches();
      renderSupervisors();
      renderDetail();
      renderDeadLetters();
      renderWorkflows();
      refreshTimes();
    });
  }

  /** Relative times ("12 s ago") and running durations, updated every second without rebuilding tables. */
  function refreshTimes() {
    for (const el of document.querySelectorAll('[data-ago]')) {
      const at = Number(el.dataset.ago);
      el.textContent = at ? (el.dataset.prefix || '') + ago(at) : '';
    }
    for (const el of document.querySelectorAll('[data-until]')) {
      const at = Number(el.dataset.until);
      el.textContent = at ? until(at) : (el.dataset.none || '');
    }
    for (const el of document.querySelectorAll('[data-from]')) {
      const from = Number(el.dataset.from);
      el.textContent = from ? duration((Number(el.dataset.to) || Date.now()) - from) : '';
    }
  }

  function banner(message) {
    const el = $('#banner');
    el.hidden = !message;
    el.textContent = message || '';
  }

  function setPill(el, text, cls, title) {
    el.textContent = text;
    el.classList.remove('ok', 'warn', 'bad', 'info');
    el.classList.add('pill');
    if (cls) el.classList.add(cls);
    if (title !== undefined) el.title = title;
  }

  function renderHeader() {
    const n = S.nodes.length;
    $('#cluster').textContent = n + (n === 1 ? ' node' : ' nodes') + ' · this page is served by ' + location.host;
    const health = $('#health');
    health.hidden = !S.health;
    if (S.health) {
      const down = S.health.checks.filter(c => c.status !== 'UP').map(c => c.id);
      setPill(health, 'health: ' + S.health.status + (down.length ? ' (' + down.join(', ') + ')' : ''),
        S.health.status === 'UP' ? 'ok' : 'bad', 'GET /health of this node');
    }
    const bridge = $('#bridge');
    if (S.bridge === 'open') setPill(bridge, 'bridge: live', 'ok', 'Listening on the SockJS bridge at ' + S.settings.bridge);
    else if (S.bridge === 'down') setPill(bridge, 'bridge: down, ' + S.bridgeWhy, 'bad',
      'The SockJS bridge connection is closed; the page reads the API every ' + POLL_MS / 1000 + ' s meanwhile');
    else setPill(bridge, 'bridge: connecting…', '');
    banner(S.unreachable ? 'Cannot reach the node at ' + location.host + ' (' + S.unreachable + '). Retrying every '
      + POLL_MS / 1000 + ' s; the figures below are from ' + time(Math.max(S.panels.nodes.at, S.panels.tasks.at)) + '.' : S.notice);
  }

  /** The panel's header notes and its state line; returns false when its table has nothing to show. */
  function renderPanelState(id, module, count) {
    const root = $('#' + id);
    const p = S.panels[id];
    root.querySelector('.count').textContent = count === null ? '' : '(' + count + ')';
    const updated = root.querySelector('.updated');
    updated.dataset.ago = p.at || '';
    updated.dataset.prefix = 'updated ';
    const note = root.querySelector('.live-note');
    if (p.live === 'live') setPill(note, 'live', 'ok', 'Updated as events arrive on the bridge');
    else if (p.live === 'refused') setPill(note, 'not live: add ' + p.liveWhy + ' to http.bridgeOutbound', 'warn',
      'The SockJS bridge refused to deliver ' + p.liveWhy + ' (403). The page reads the API every ' + POLL_MS / 1000 + ' s instead.');
    else if (p.live === 'poll') setPill(note, 'every ' + (p.every || POLL_MS) / 1000 + ' s', '', 'Read from the API every ' + (p.every || POLL_MS) / 1000 + ' s');
    else setPill(note, 'not live: every ' + POLL_MS / 1000 + ' s', 'warn', 'The bridge is not connected; the page reads the API instead');
    const state = root.querySelector('.state');
    let message = null;
    let cls = '';
    if (module && id !== 'nodes' && S.panels.nodes.at && !S.modules.has(module)) {
      message = 'The ' + module + ' module runs on no node of this cluster: add it to modules (STEWARD_MODULES) on a node.';
      cls = 'warn';
    } else if (p.error) {
      message = p.error;
      cls = 'error';
    }
    state.hidden = !message;
    state.textContent = message || '';
    state.className = 'state ' + cls;
    root.querySelector('table').hidden = Boolean(message) && cls === 'warn';
    // A module that runs nowhere has nothing to be live about.
    note.hidden = Boolean(message) && cls === 'warn';
  }

  function renderNodes() {
    renderPanelState('nodes', null, S.nodes.length);
    const rows = S.nodes.map(n => h('tr', { 'data-id': n.id },
      h('td', {}, n.endpoints && /^https?:\/\//.test(n.endpoints.http || '') && n.endpoints.http.indexOf(location.host) < 0
        ? h('a', { href: n.endpoints.http + '/', title: 'This node\'s own dashboard' }, n.name) : n.name,
        n.liteMember ? h('span', { class: 'chip', title: 'Hazelcast lite member: holds no data' }, 'lite') : null),
      h('td', { class: 'mono', title: n.id }, short(n.id)),
      h('td', { class: 'mono' }, n.clusterAddress || n.host || ''),
      h('td', {}, ...(n.modules || []).map(m => h('span', { class: 'chip' }, m))),
      h('td', { title: n.startedAt, 'data-ago': n.startedAt ? Date.parse(n.startedAt) : '' }),
      h('td', { class: 'mono' }, n.version || '')));
    $('#nodes tbody').replaceChildren(...rows);
  }

  function renderTasks() {
    const all = [...S.tasks.values()];
    renderPanelState('tasks', 'tasks', all.length);
    $('#tasks .count').title = 'Tasks in this page (at most ' + MAX_TASKS + ', the newest); '
      + (S.tasksTotal === null ? '' : S.tasksTotal + ' kept by the cluster' + (S.tasksIncomplete ? ' (some nodes did not answer)' : ''));
    const counts = {};
    for (const t of all) counts[t.state] = (counts[t.state] || 0) + 1;
    const summary = Object.keys(STATE_CLASS).filter(s => counts[s])
      .map(s => h('span', { class: 'badge ' + STATE_CLASS[s] }, s + ' ' + counts[s]));
    $('#tasks .summary').replaceChildren(...(summary.length ? summary : [h('span', { class: 'muted' }, 'no tasks yet')]));
    const rejected = $('#tasks .rejected');
    rejected.hidden = S.rejected.count === 0;
    if (S.rejected.count) {
      const last = S.rejected.last;
      rejected.textContent = S.rejected.count + ' submit(s) refused since this page opened; last: ' + (last.type || '')
        + ' on ' + (last.supervisor || '') + ', ' + last.code + ' ' + (last.reason || '') + ' (' + ago(last.at) + ')';
    }
    const filter = $('#task-filter').value;
    const shown = all
      .filter(t => filter === 'all' || (filter === 'active' ? ACTIVE.has(t.state) : PROBLEMS.has(t.state)))
      .sort((a, b) => (ACTIVE.has(b.state) - ACTIVE.has(a.state)) || (b._at - a._at))
      .slice(0, SHOWN_TASKS);
    const rows = shown.map(t => h('tr', { 'data-id': t.id, 'data-state': t.state },
      h('td', {}, h('span', { class: 'badge ' + (STATE_CLASS[t.state] || '') }, t.state || '?')),
      h('td', { class: 'mono', title: 'Show this task\'s attempts' }, taskLink(t.id)),
      h('td', {}, t.type || ''),
      h('td', {}, t.supervisor || ''),
      h('td', { class: 'num' }, t.attempts === undefined ? '' : t.attempts),
      h('td', { title: t.node || '' }, S.nodeNames.get(t.node) || short(t.node)),
      h('td', { title: t.submittedAt ? new Date(t.submittedAt).toISOString() : '', 'data-ago': t.submittedAt || '' }),
      h('td', { class: 'num', 'data-from': t.startedAt || '', 'data-to': t.endedAt || '' }),
      h('td', { class: 'error-text' }, t.error || ''),
      h('td', {}, ACTIVE.has(t.state) ? (S.cancelling.has(t.id)
        ? h('button', { type: 'button', disabled: true }, 'cancelling…')
        : h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: () => cancelTask(t.id) }, 'Cancel')) : null)));
    // Rebuilt only when what it shows changed, so a button is not replaced under the pointer every second.
    const body = $('#tasks tbody');
    const signature = filter + shown.map(t => [t.id, t.state, t.attempts, t.startedAt, t.endedAt, t.error, S.cancelling.has(t.id)].join(',')).join('|');
    if (body.dataset.signature !== signature) {
      body.dataset.signature = signature;
      body.replaceChildren(...rows);
    }
  }

  function taskLink(id) {
    return h('button', { type: 'button', class: 'link mono', 'data-action': 'open-task', onclick: () => openTask(id) }, id);
  }

  function renderDetail() {
    const root = $('#task-detail');
    const d = S.detail;
    root.hidden = !d;
    if (!d) return;
    const t = d.task;
    root.querySelector('.task-id').textContent = d.id;
    const stateEl = root.querySelector('.task-state');
    stateEl.replaceChildren(t ? h('span', { class: 'badge ' + (STATE_CLASS[t.state] || '') }, t.state) : h('span', { class: 'muted' }, d.busy ? 'reading…' : ''));
    const cancel = root.querySelector('[data-action=cancel-detail]');
    cancel.hidden = !t || !ACTIVE.has(t.state);
    cancel.disabled = S.cancelling.has(d.id);
    cancel.textContent = S.cancelling.has(d.id) ? 'cancelling…' : 'Cancel';
    const state = root.querySelector('.state');
    state.hidden = !d.error;
    state.textContent = d.error || '';
    state.className = 'state error';
    const facts = !t ? [] : [
      ['Type', t.type], ['Supervisor', t.supervisor], ['Restart', t.restart + (t.maxRestarts !== undefined ? ' (at most '
        + t.maxRestarts + ' in ' + duration(t.withinMs) + ')' : '')],
      ['Node', (S.nodeNames.get(t.node) || '') + ' ' + (t.node || '')], ['Submitted', stamp(t.submittedAt)],
      ['Key', t.key], ['Timeout', t.timeoutMs ? duration(t.timeoutMs) : null], ['Error', t.error],
      ['Dead letter', t.deadLetter ? 'yes: it reached its restart limit' : null],
      ['Taken over', t.takeovers ? t.takeovers + ' time(s)' + (t.possibleDuplicate ? ', may have run twice' : '') : null]
    ].filter(([, v]) => v !== undefined && v !== null && v !== '');
    root.querySelector('.facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: k === 'Error' ? 'error-text' : '' }, String(v))]));
    root.querySelector('.attempts tbody').replaceChildren(...(t ? attemptRows(t) : []));
  }

  /**
   * One row per attempt. The record holds the number of attempts, when the current (or last) one started and ended,
   * and the restart times within the restart window (restartedAt): attempt k + 1 began after the k-th restart.
   */
  function attemptRows(t) {
    const n = t.attempts || 0;
    const restarts = t.restartedAt || [];
    const offset = (n - 1) - restarts.length; // restarts older than the window are no longer in the record
    const rows = [];
    for (let k = 1; k <= n; k++) {
      const last = k === n;
      const before = k - 2 - offset >= 0 ? restarts[k - 2 - offset] : null;
      const after = k - 1 - offset >= 0 && k - 1 - offset < restarts.length ? restarts[k - 1 - offset] : null;
      const began = last ? t.startedAt : (k === 1 ? null : before);
      const ended = last ? t.endedAt : after;
      const outcome = last ? (ACTIVE.has(t.state) ? t.state : t.state + (t.error ? ': ' + t.error : ''))
        : 'restarted' + (after ? '' : ' (time no longer kept)');
      rows.push(h('tr', { 'data-attempt': k },
        h('td', { class: 'num' }, k),
        h('td', {}, began ? stamp(began) : (k === 1 ? 'first attempt' : '—')),
        h('td', { class: last && !ACTIVE.has(t.state) && t.state !== 'succeeded' ? 'error-text' : '' }, outcome),
        h('td', {}, ended ? stamp(ended) : (last && ACTIVE.has(t.state) ? 'running' : '—'))));
    }
    if (!n) rows.push(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'not started yet (' + (t.state || '?') + ')')));
    return rows;
  }

  function renderDeadLetters() {
    renderPanelState('deadletters', 'tasks', S.deadLettersTotal);
    const p = S.panels.deadletters;
    $('#deadletters .empty').hidden = !p.at || S.deadLetters.length > 0;
    const rows = S.deadLetters.map(t => h('tr', { 'data-id': t.id },
      h('td', { class: 'mono' }, taskLink(t.id)),
      h('td', {}, t.type || ''),
      h('td', {}, t.supervisor || ''),
      h('td', { class: 'num' }, t.attempts === undefined ? '' : t.attempts),
      h('td', { title: t.endedAt ? new Date(t.endedAt).toISOString() : '', 'data-ago': t.endedAt || '' }),
      h('td', { class: 'error-text' }, t.error || '')));
    const body = $('#deadletters tbody');
    const signature = S.deadLetters.map(t => t.id).join('|');
    if (body.dataset.signature !== signature) {
      body.dataset.signature = signature;
      body.replaceChildren(...rows);
    }
  }

  /** Shown only when a node runs the workflows module (not in the default modules). */
  function renderWorkflows() {
    const root = $('#workflows');
    root.hidden = !S.modules.has('workflows');
    if (root.hidden) return;
    renderPanelState('workflows', 'workflows', S.workflowsTotal);
    const p = S.panels.workflows;
    $('#workflows .empty').hidden = !p.at || S.workflows.length > 0;
    const stepClass = { succeeded: 'ok', failed: 'bad', running: 'warn', cancelled: '', skipped: '', waiting: '' };
    const rows = S.workflows.map(w => h('tr', { 'data-id': w.id },
      h('td', {}, w.name || ''),
      h('td', { class: 'mono' }, w.id),
      h('td', {}, h('span', { class: 'badge ' + (stepClass[w.state] || '') }, w.state)),
      h('td', { class: 'wrap' }, ...Object.entries(w.steps || {}).map(([id, st]) =>
        h('span', { class: 'badge ' + (stepClass[st] || ''), title: id + ': ' + st }, id))),
      h('td', { title: w.submittedAt ? new Date(w.submittedAt).toISOString() : '', 'data-ago': w.submittedAt || '' }),
      h('td', { title: w.endedAt ? new Date(w.endedAt).toISOString() : '', 'data-ago': w.endedAt || '' }),
      h('td', { class: 'error-text' }, w.error || '')));
    const body = $('#workflows tbody');
    const signature = S.workflows.map(w => w.id + ':' + w.state + ':' + JSON.stringify(w.steps)).join('|');
    if (body.dataset.signature !== signature) {
      body.dataset.signature = signature;
      body.replaceChildren(...rows);
    }
  }

  function renderSchedules() {
    renderPanelState('schedules', 'schedule', S.schedules.length);
    $('#schedules .count').textContent = S.schedulesTotal === null ? ''
      : '(' + (S.schedulesTotal > S.schedules.length ? S.schedules.length + ' of ' + S.schedulesTotal : S.schedulesTotal) + ')';
    const rows = S.schedules.map(j => {
      const state = !j.enabled ? ['disabled', ''] : j.paused ? ['paused', 'warn'] : j.nextFireAt ? ['active', 'ok'] : ['ended', ''];
      const next = j.nextFireAt ? Date.parse(j.nextFireAt) : 0;
      const last = j.lastRun;
      const lastAt = last ? Date.parse(last.startedAt || last.scheduledAt) : 0;
      const r = j.runs || {};
      const busy = S.scheduleBusy.get(j.name);
      const button = (verb, label, cls) => h('button', {
        type: 'button', class: cls, 'data-action': verb, disabled: Boolean(busy),
        title: verb === 'trigger' ? 'Run the action once now (POST /schedules/' + j.name + '/trigger)' : undefined,
        onclick: () => scheduleAction(j.name, verb)
      }, busy === verb ? label.toLowerCase() + 'ing…' : label);
      return h('tr', { 'data-name': j.name, 'data-paused': String(Boolean(j.paused)) },
        h('td', { title: j.description || '' }, j.name),
        h('td', { class: 'mono' }, j.every ? 'every ' + j.every : j.cron + (j.zone && j.zone !== 'UTC' ? ' ' + j.zone : '')),
        h('td', { class: 'wrap' }, describeAction(j.action)),
        h('td', { title: j.paused && j.pausedAt ? 'paused at ' + j.pausedAt : '' }, h('span', { class: 'badge ' + state[1] }, state[0])),
        h('td', { title: j.nextFireAt || '', 'data-until': next || '', 'data-none': j.paused ? '(paused)' : '—' }),
        h('td', { class: last && last.outcome === 'failed' ? 'error-text' : 'wrap', title: last ? JSON.stringify(last) : '' },
          last ? h('span', { class: 'badge ' + (OUTCOME_CLASS[last.outcome] || '') }, last.outcome) : h('span', { class: 'muted' }, 'never run'),
          last ? ' ' : null, last ? h('span', { 'data-ago': lastAt || '' }) : null,
          last && last.trigger ? ' (trigger)' : null,
          last && (last.error || last.detail) ? ': ' + (last.error || last.detail) : null),
        h('td', { class: 'wrap', title: num(r.succeeded || 0) + ' succeeded, ' + num(r.failed || 0) + ' failed, ' + num(r.missed || 0)
          + ' missed, ' + num(r.skipped || 0) + ' skipped since the job was created; a run is counted once it is written to the'
          + ' job\'s history (within schedule.historyFlushMs)' }, ...runCounts(r, last)),
        h('td', { class: 'actions' },
          j.paused ? button('resume', 'Resume', '') : button('pause', 'Pause', ''),
          ' ', button('trigger', 'Trigger', '')));
    });
    // Rebuilt only when what it shows changed, so a button is not replaced under the pointer every 5 s.
    const body = $('#schedules tbody');
    const signature = JSON.stringify([S.schedules, [...S.scheduleBusy]]);
    if (body.dataset.signature !== signature) {
      body.dataset.signature = signature;
      body.replaceChildren(...rows);
    }
  }

  /** Only the outcomes that happened, problems in their colour: "12 ok", "3 failed", "2 missed". */
  function runCounts(r, last) {
    const parts = [['succeeded', 'ok', 'ok'], ['failed', 'failed', 'bad'], ['missed', 'missed', 'warn'], ['skipped', 'skipped', '']]
      .filter(([k]) => r[k] > 0).map(([k, label, cls]) => h('span', { class: 'count-' + (cls || 'idle') }, num(r[k]) + ' ' + label));
    if (!parts.length) return [h('span', { class: 'muted' }, last ? 'counting…' : 'none yet')];
    return parts.flatMap((p, i) => (i ? [' · ', p] : [p]));
  }

  function describeAction(a) {
    if (!a) return '';
    if (a.type === 'task') return 'task ' + ((a.task && a.task.type) || '') + (a.wait === false ? ' (submit)' : '');
    return a.type + ' ' + (a.address || '') + (a.type === 'send' && a.reply === false ? ' (no reply)' : '');
  }

  function renderSupervisors() {
    renderPanelState('supervisors', 'tasks', S.supervisors.length);
    const answering = S.supervisorsNode;
    $('#supervisors .node-note').textContent = answering ? 'counts of node ' + (S.nodeNames.get(answering) || short(answering)) : '';
    const rows = S.supervisors.map(s => {
      const busy = S.supervisorBusy.get(s.name);
      const l = s.limit;
      const limit = l ? [
        l.clusterLimit ? 'at most ' + num(l.clusterLimit) + ' running' : null,
        l.ratePerPeriod ? num(l.ratePerPeriod) + ' per ' + duration(l.periodMs) : null,
        l.partitionBy ? 'per ' + l.partitionBy : null,
        l.waiting ? num(l.waiting) + ' waiting for a slot' : null
      ].filter(Boolean).join(' · ') : '';
      const verb = s.paused ? 'resume' : 'pause';
      return h('tr', { 'data-name': s.name, 'data-paused': String(Boolean(s.paused)) },
        h('td', {}, s.name),
        h('td', { title: s.paused && s.pausedAt ? 'paused cluster-wide at ' + new Date(s.pausedAt).toISOString()
          + ': submits are queued, nothing of it starts until it is resumed' : '' },
          h('span', { class: 'badge ' + (s.paused ? 'warn' : 'ok') }, s.paused ? 'paused' : 'running'),
          s.paused && s.pausedAt ? ' ' : null, s.paused && s.pausedAt ? h('span', { 'data-ago': s.pausedAt }) : null),
        h('td', { class: 'num' }, num(s.running)),
        h('td', { class: 'num' }, num(s.queued)),
        h('td', { class: 'num' }, num(s.workers)),
        h('td', { class: 'num' }, num(s.maxQueued)),
        h('td', { class: l ? '' : 'muted', title: l ? JSON.stringify(l) : 'no cluster-wide limit (clusterLimit, ratePerPeriod)' }, limit || (l ? '' : '—')),
        h('td', { class: 'actions' }, h('button', {
          type: 'button', 'data-action': verb, disabled: Boolean(busy),
          title: (s.paused ? 'Start it again on every node' : 'Stop starting its tasks on every node; submits are still queued')
            + ' (POST /tasks/supervisors/' + s.name + '/' + verb + ')',
          onclick: () => supervisorAction(s.name, verb)
        }, busy ? (busy === 'pause' ? 'pausing…' : 'resuming…') : (s.paused ? 'Resume' : 'Pause'))));
    });
    // Rebuilt only when what it shows changed, so a button is not replaced under the pointer every 5 s.
    const body = $('#supervisors tbody');
    const signature = JSON.stringify([S.supervisors, [...S.supervisorBusy]]);
    if (body.dataset.signature !== signature) {
      body.dataset.signature = signature;
      body.replaceChildren(...rows);
    }
  }

  function renderCaches() {
    renderPanelState('caches', 'cache', S.caches.length);
    const rows = S.caches.map(c => {
      const hits = c.hits || 0;
      const misses = c.misses || 0;
      const ratio = hits + misses > 0 ? hits / (hits + misses) : null;
      const o = c.options || {};
      const options = [
        o.ttlSeconds ? 'ttl ' + o.ttlSeconds + ' s' : null,
        o.maxIdleSeconds ? 'idle ' + o.maxIdleSeconds + ' s' : null,
        o.maxSize ? 'max ' + num(o.maxSize) + '/member ' + (o.eviction || '') : null,
        o.nearCache ? 'near cache' : null,
        o.stats === false ? 'no stats' : null
      ].filter(Boolean).join(' · ');
      return h('tr', { 'data-name': c.name },
        h('td', {}, c.name),
        h('td', { class: 'num' }, c.size === undefined ? '' : num(c.size)),
        c.error ? h('td', { class: 'error-text', colspan: 6 }, c.error) : h('td', {}, ratio === null ? '—'
          : h('span', { class: 'ratio', title: hits + ' hits / ' + (hits + misses) + ' reads' },
            h('span', { class: 'bar' }, h('span', { 'data-ratio': ratio })), (ratio * 100).toFixed(1) + ' %')),
        c.error ? null : h('td', { class: 'num' }, num(hits)),
        c.error ? null : h('td', { class: 'num' }, num(misses)),
        c.error ? null : h('td', { class: 'num' }, num(c.puts)),
        c.error ? null : h('td', { class: 'num' }, num(c.evictions)),
        c.error ? null : h('td', { class: 'num' }, num(c.expirations)),
        h('td', { class: 'muted', title: c.unreported && c.unreported.length ? 'Hazelcast data members that hold part of the cache but '
          + 'did not answer (they do not run the cache module, or are unreachable): ' + c.unreported.map(id => S.nodeNames.get(id) || id).join(', ')
          + '. Their evictions and expirations are not counted.' : '' },
          options + (c.unreported && c.unreported.length ? (options ? ' · ' : '') + 'evictions/expirations of ' + c.unreported.length
            + ' member(s) without the cache module not counted' : '')));
    });
    $('#caches tbody').replaceChildren(...rows);
    // Widths set through the DOM: the page's Content-Security-Policy allows no inline style attributes.
    for (const bar of document.querySelectorAll('#caches [data-ratio]')) {
      bar.style.width = (Number(bar.dataset.ratio) * 100).toFixed(1) + '%';
    }
  }

  // ---------------------------------------------------------------- formatting

  function short(id) {
    return id ? String(id).slice(0, 8) : '';
  }

  function num(n) {
    return n === undefined || n === null ? '' : Number(n).toLocaleString('en');
  }

  function stamp(ms) {
    return ms ? new Date(ms).toLocaleTimeString() + ' (' + ago(ms) + ')' : '';
  }

  function time(ms) {
    return ms ? new Date(ms).toLocaleTimeString() : 'never';
  }

  function duration(ms) {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s';
    return Math.floor(ms / 3600000) + ' h ' + Math.floor((ms % 3600000) / 60000) + ' min';
  }

  function until(ms) {
    const d = ms - Date.now();
    if (d < 1000) return 'now';
    return 'in ' + duration(d).replace(/\.\d s$/, ' s');
  }

  function ago(ms) {
    const d = Date.now() - ms;
    if (d < 5000) return 'just now';
    return duration(d).replace(/\.\d s$/, ' s') + ' ago';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
