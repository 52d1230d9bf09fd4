/*
 * The dashboard's charts: this node's samples of the last 15 minutes (GET /metrics/series, one every 5 s), drawn
 * with uPlot (vendored under /dashboard/vendor/). app.js starts and stops them with the page and lends its API
 * client (token, 401 handling). The uPlot instances are on window.stewardCharts (by chart id) for the browser test.
 */
(function () {
  'use strict';

  const POLL_MS = 5000;   // when the node does not say when its next sample comes
  const AFTER_SAMPLE_MS = 300; // read this long after the node's next sample is due
  const WINDOW_MS = 15 * 60 * 1000;
  const COLOURS = ['#1f77b4', '#2ca02c', '#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

  const C = { api: null, samples: [], last: 0, timer: null, busy: false, node: null, charts: {}, keys: {}, error: null };
  window.stewardCharts = C.charts;

  /**
   * Each chart: its title, y-axis labels, and its series for the keys present: [label, axis (0 left, 1 right), value of a
   * sample, dash, dots]. Dots: a series with gaps (no run, no read in an interval) shows each point, or a lone one
   * would not show at all.
   */
  const CHARTS = {
    throughput: {
      title: 'Tasks per second, by outcome',
      axes: ['per s'],
      series: () => [
        ['started', 0, s => s.tasks.started], ['succeeded', 0, s => s.tasks.succeeded],
        ['failed', 0, s => s.tasks.failed], ['restarted', 0, s => s.tasks.restarted]
      ]
    },
    queues: {
      title: 'Queue depth, running and capacity, per supervisor',
      axes: ['tasks'],
      series: samples => keys(samples, s => s.supervisors).flatMap(name => [
        [name + ' queued', 0, s => field(s.supervisors, name, 'queued')],
        [name + ' running', 0, s => field(s.supervisors, name, 'running')],
        [name + ' capacity', 0, s => field(s.supervisors, name, 'capacity'), [6, 4]]
      ])
    },
    schedule: {
      title: 'Schedule lateness (p50, p99) and missed ticks',
      axes: ['ms late', 'missed per s'],
      series: () => [
        ['lateness p50', 0, s => s.schedule.latenessP50Ms, undefined, true],
        ['lateness p99', 0, s => s.schedule.latenessP99Ms, undefined, true],
        ['missed', 1, s => s.schedule.missed]
      ]
    },
    caches: {
      title: 'Cache hit ratio and evictions',
      axes: ['hit ratio %', 'evictions per s'],
    range: [0, 100],
      series: samples => keys(samples, s => s.caches).flatMap(name => [
        [name + ' hit ratio', 0, s => { const r = field(s.caches, name, 'hitRatio'); return r === null ? null : r * 100; }, undefined, true],
        [name + ' evictions', 1, s => field(s.caches, name, 'evictions'), [6, 4]]
      ])
    }
  };

  function keys(samples, of) {
    const set = new Set();
    for (const s of samples) for (const k of Object.keys(of(s) || {})) set.add(k);
    return [...set].sort();
  }

  function field(map, name, f) {
    const o = map && map[name];
    return o && o[f] !== undefined ? o[f] : null;
  }

  function start(api) {
    C.api = api;
    if (C.running) return;
    C.running = true;
    refresh();
  }

  function stop() {
    C.running = false;
    clearTimeout(C.timer);
    C.timer = null;
  }

  /** The next read: just after the node's next sample (by the node's clock), at most POLL_MS away. */
  function next(data) {
    clearTimeout(C.timer);
    if (!C.running) return;
    let delay = POLL_MS;
    if (data && data.now && C.last) {
      delay = C.last + (data.intervalMs || POLL_MS) + AFTER_SAMPLE_MS - data.now;
      while (delay < 0) delay += data.intervalMs || POLL_MS; // a sample is late (a busy node): try at the next one
      delay = Math.min(POLL_MS, Math.max(AFTER_SAMPLE_MS, delay));
    }
    C.timer = setTimeout(() => { if (document.hidden) next(null); else refresh(); }, delay);
  }

  async function refresh() {
    if (C.busy) return;
    C.busy = true;
    let data = null;
    try {
      data = await C.api('GET', '/metrics/series?since=' + C.last);
      if (C.node && data.node !== C.node) {
        C.samples = []; // another node answers this address now: its figures do not continue these
      }
      C.node = data.node;
      for (const s of data.samples || []) {
        if (s.t > C.last) {
          C.samples.push(s);
          C.last = s.t;
        }
      }
      const oldest = (data.now || Date.now()) - WINDOW_MS;
      while (C.samples.length && C.samples[0].t <= oldest) C.samples.shift();
      C.error = null;
    } catch (e) {
      data = null;
      if (e.status !== 401) C.error = (e.status ? e.status + ': ' : '') + e.message;
    } finally {
      C.busy = false;
      draw();
      next(data);
    }
  }

  function draw() {
    const root = document.getElementById('charts');
    if (!root) return;
    const state = root.querySelector('.state');
    state.hidden = !C.error;
    state.textContent = C.error ? 'Cannot read the samples: ' + C.error : '';
    root.querySelector('.node').textContent = C.node ? 'node ' + C.node.slice(0, 8) : '';
    const n = C.samples.length;
    root.querySelector('.updated').textContent = n ? n + ' samples, last at ' + new Date(C.samples[n - 1].t).toLocaleTimeString()
      : 'the first sample comes 5 s after the node starts';
    if (typeof uPlot === 'undefined') {
      state.hidden = false;
      state.textContent = 'The chart library did not load (/dashboard/vendor/uPlot.iife.min.js).';
      return;
    }
    for (const [id, def] of Object.entries(CHARTS)) drawChart(id, def);
  }

  function drawChart(id, def) {
    const series = def.series(C.samples);
    const data = [C.samples.map(s => s.t / 1000)];
    for (const [, , value] of series) data.push(C.samples.map(s => { const v = value(s); return v === undefined ? null : v; }));
    const signature = series.map(s => s[0]).join('|');
    const box = document.querySelector('#chart-' + id);
    let u = C.charts[id];
    if (u && C.keys[id] === signature) {
      u.setData(data);
      return;
    }
    if (u) u.destroy();
    C.keys[id] = signature;
    const width = Math.max(280, box.clientWidth || 480);
    // Axis text and grid in the page's colours (light and dark schemes).
    const style = getComputedStyle(document.body);
    const text = style.color;
    const line = style.getPropertyValue('--line').trim() || '#dde2e8';
    const opts = {
      title: def.title,
      width,
      height: 220,
      cursor: { drag: { x: false, y: false } },
      // The x axis is always the whole window, ending at the newest sample: a burst shows where it happened.
      scales: Object.assign({ x: { time: true, range: () => windowRange() } }, def.range ? { y: { range: def.range } } : {}),
      axes: [{ stroke: text, grid: { stroke: line }, ticks: { stroke: line } }].concat(def.axes.map((label, i) => ({
        label, scale: i ? 'y2' : 'y', side: i ? 1 : 3, stroke: text, grid: { show: i === 0, stroke: line }, ticks: { stroke: line }
      }))),
      series: [{}].concat(series.map(([label, axis, , dash, dots], i) => Object.assign({
        label, scale: axis ? 'y2' : 'y', stroke: COLOURS[i % COLOURS.length], width: 2, dash, spanGaps: false,
        value: (self, v) => v === null || v === undefined ? '—' : (Math.round(v * 100) / 100).toString()
      }, dots ? { points: { show: true, size: 6, fill: COLOURS[i % COLOURS.length] } } : {})))
    };
    C.charts[id] = new uPlot(opts, data, box);
  }

  function windowRange() {
    const end = (C.samples.length ? C.samples[C.samples.length - 1].t : Date.now()) / 1000;
    return [end - WINDOW_MS / 1000, end];
  }

  // Redraw at the new width when the window changes size.
  let resize = null;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      for (const [id, u] of Object.entries(C.charts)) {
        const box = document.querySelector('#chart-' + id);
        if (box && box.clientWidth) u.setSize({ width: box.clientWidth, height: 220 });
      }
    }, 200);
  });

  window.StewardCharts = { start, stop, refresh };
})();
