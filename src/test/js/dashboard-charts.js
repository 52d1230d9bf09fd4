'use strict';
// The dashboard's charts, dead letters and task detail in Debian's Chromium with playwright-core: the second part of
// DashboardBrowserTest, run by dashboard.js in the same browser on the same node (config.charts), or alone:
//   node dashboard-charts.js <config JSON>
// config: {url, token, cache, schedules (boolean), burst (tasks), chromium, screenshots: {before, charts, deadLetter, task, failure}}
// Writes one JSON object per line on stdout: {"step": name, ...} when a step passed, {"step", "ok": false, "error"}
// when one failed (exit 1); its last step is "charts-done". Reads the charts' data from the uPlot instances the page
// keeps on window.stewardCharts.

const common = require('./dashboard-common.js');

const { out, watch } = common;
const STEP_MS = 30000;
const SAMPLE_WAIT_MS = 40000; // samples come every 5 s; the page reads them every 5 s; a slow machine

/** A chart's series as {label: [values]} and its times (s), read from the uPlot instance the page draws. */
function chart(page, id) {
  return page.evaluate((id) => {
    const u = window.stewardCharts && window.stewardCharts[id];
    if (!u) return null;
    const series = {};
    u.series.forEach((s, i) => { if (i > 0) series[s.label] = u.data[i]; });
    const canvas = u.root.querySelector('canvas');
    return { times: u.data[0], series, canvas: canvas ? { width: canvas.width, height: canvas.height } : null };
  }, id);
}

/** Waits until test(chart) holds, reading the chart every 500 ms; returns the chart. */
async function until(page, id, what, test) {
  const deadline = Date.now() + SAMPLE_WAIT_MS;
  let last = null;
  while (Date.now() < deadline) {
    last = await chart(page, id);
    if (last && test(last)) return last;
    await page.waitForTimeout(500);
  }
  throw new Error('chart ' + id + ': ' + what + ' did not happen in ' + SAMPLE_WAIT_MS + ' ms; last: ' + JSON.stringify(last));
}

const max = (values) => Math.max(0, ...(values || []).filter((v) => v !== null));

/** The scenario, in a context of its own in the browser given; on a failed step, a screenshot of its page. */
async function scenario(browser, config) {
  const api = (method, path, body) => common.api(method, config.url + path, config.token, body);
  let current = null;
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    current = page;
    page.setDefaultTimeout(STEP_MS);
    const problems = watch(page, 'charts');
    await page.goto(config.url + '/');
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', config.token);
    await page.click('#login-form button[type=submit]');
    await page.locator('#nodes tbody tr').first().waitFor();

    // ------------------------------------------------ load: a burst of tasks, cache reads, a schedule every second
    // All at once, then each chart is read until it shows its part: samples come every 5 s.
    const before = await until(page, 'throughput', 'a first sample', (c) => c.times.length >= 1);
    const baseline = max(before.series.started);
    await page.locator('#charts').screenshot({ path: config.screenshots.before });
    const loadAt = Date.now() / 1000 - 1;
    await api('PUT', '/caches/' + config.cache + '/ada', { value: 'ada' });
    for (const key of ['ada', 'ada', 'ada']) await api('GET', '/caches/' + config.cache + '/' + key);
    const miss = await fetch(config.url + '/caches/' + config.cache + '/nobody', { headers: { Authorization: 'Bearer ' + config.token } });
    if (miss.status !== 404) throw new Error('GET of a missing key: expected 404, got ' + miss.status);
    if (config.schedules) {
      await api('PUT', '/schedules/beat', { every: '1s', action: { type: 'publish', address: 'dashboard.test.beat' } });
    }
    const burst = [];
    for (let i = 0; i < config.burst; i++) burst.push(api('POST', '/tasks', { type: 'echo', payload: { i } }));
    await Promise.all(burst);

    // ------------------------------------------------ the throughput chart rises with the burst
    const after = await until(page, 'throughput', 'the burst', (c) =>
      c.times.some((t, i) => t >= loadAt && c.series.started[i] !== null && c.series.started[i] >= config.burst / 20));
    const afterLoad = (label) => max(after.series[label].filter((v, i) => after.times[i] >= loadAt));
    out({
      step: 'throughput-rises', labels: Object.keys(after.series), baseline, points: after.times.length,
      started: afterLoad('started'), succeeded: afterLoad('succeeded'), canvas: after.canvas
    });

    // ------------------------------------------------ queue depth and capacity per supervisor
    const queues = await until(page, 'queues', 'the default supervisor', (c) => 'default capacity' in c.series);
    const capacity = queues.series['default capacity'];
    out({ step: 'queues-show', labels: Object.keys(queues.series), capacity: capacity[capacity.length - 1] });

    // ------------------------------------------------ cache hit ratio: three hits and a miss
    const label = config.cache + ' hit ratio';
    const caches = await until(page, 'caches', 'a hit ratio', (c) =>
      label in c.series && c.times.some((t, i) => t >= loadAt && c.series[label][i] !== null));
    out({ step: 'cache-ratio-shows', ratios: caches.series[label].filter((v) => v !== null), labels: Object.keys(caches.series) });

    // ------------------------------------------------ schedule lateness
    if (config.schedules) {
      const schedule = await until(page, 'schedule', 'a lateness point', (c) => max(c.series['lateness p99']) > 0);
      out({ step: 'lateness-shows', p50: schedule.series['lateness p50'].filter((v) => v !== null),
        p99: schedule.series['lateness p99'].filter((v) => v !== null), labels: Object.keys(schedule.series) });
      await api('DELETE', '/schedules/beat');
    }

    await page.locator('#charts').screenshot({ path: config.screenshots.charts });
    out({ step: 'charts-screenshot', path: config.screenshots.charts });

    // ------------------------------------------------ a dead letter: a transient task that always fails
    const doomed = await api('POST', '/tasks', { type: 'fail', payload: { message: 'always fails (dashboard test)' },
      restart: 'transient', maxRestarts: 2, withinMs: 60000 });
    const letter = page.locator(`#deadletters tbody tr[data-id="${doomed.id}"]`);
    await letter.waitFor({ timeout: STEP_MS });
    out({ step: 'dead-letter-shows', id: doomed.id, count: await page.locator('#deadletters .count').textContent(),
      error: (await letter.locator('td:nth-child(6)').textContent()).trim() });
    await letter.locator('button[data-action=open-task]').click();
    await page.locator('#task-detail:not([hidden]) .attempts tbody tr[data-attempt="3"]').waitFor();
    await page.locator('#task-detail').screenshot({ path: config.screenshots.deadLetter });
    out({
      step: 'dead-letter-detail', attempts: await page.locator('#task-detail .attempts tbody tr').count(),
      rows: await page.locator('#task-detail .attempts tbody tr').allTextContents(),
      facts: (await page.locator('#task-detail .facts').textContent()).trim()
    });

    // ------------------------------------------------ a running task's detail, cancelled from it
    const sleeping = await api('POST', '/tasks', { type: 'sleep', payload: { ms: 120000 } });
    const row = page.locator(`#tasks tbody tr[data-id="${sleeping.id}"][data-state="running"]`);
    await row.waitFor();
    await row.locator('button[data-action=open-task]').click();
    const detail = page.locator('#task-detail');
    await detail.locator('.task-id', { hasText: sleeping.id }).waitFor();
    await detail.locator('.task-state .badge', { hasText: 'running' }).waitFor();
    out({ step: 'task-detail-shows', id: sleeping.id, state: (await detail.locator('.task-state').textContent()).trim(),
      attempts: await detail.locator('.attempts tbody tr').allTextContents() });
    await detail.screenshot({ path: config.screenshots.task });
    await detail.locator('button[data-action=cancel-detail]').click();
    await detail.locator('.task-state .badge', { hasText: 'cancelled' }).waitFor();
    const record = await api('GET', '/tasks/' + sleeping.id);
    out({ step: 'task-cancelled-from-detail', id: sleeping.id, state: record.state,
      cancelHidden: await detail.locator('button[data-action=cancel-detail]').isHidden() });

    out({ step: 'charts-done', problems });
  } catch (err) {
    if (current && config.screenshots.failure) {
      await current.screenshot({ path: config.screenshots.failure, fullPage: true }).catch(() => {});
    }
    throw err;
  }
}

module.exports = { scenario };

if (require.main === module) {
  const config = JSON.parse(process.argv[2] || '{}');
  common.run(async () => {
    const browser = await common.launch(config);
    try {
      await scenario(browser, config);
    } finally {
      await browser.close();
    }
  }, 200000);
}
