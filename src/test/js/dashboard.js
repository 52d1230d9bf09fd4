'use strict';
// Drives Steward's dashboard in Debian's Chromium with playwright-core, for DashboardBrowserTest.
//   node dashboard.js <config JSON>
// config: {url, token, cache, schedules (boolean: the node runs the schedule module), workflows (boolean: it runs workflows), screenshots: {main, down, failure}, chromium,
//   charts (optional): the config of dashboard-charts.js, whose scenario then runs after this one, in the same browser}
// Talks with the Java test over stdin/stdout, one JSON object per line:
//   out {"step": name, ...}   a step passed (or {"step": name, "ok": false, "error": …} and exit 1)
//   out {"wait": name, ...}   the test does something (starts or stops a node) and answers with one line on stdin
// Exits 0 when every scenario ran to its end.

const readline = require('readline');
const common = require('./dashboard-common.js');
const charts = require('./dashboard-charts.js');

const { out, api, watch } = common;
const config = JSON.parse(process.argv[2] || '{}');
const STEP_MS = 20000;

const answers = [];
const waiting = [];
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const value = JSON.parse(line);
  if (waiting.length) waiting.shift()(value);
  else answers.push(value);
});

/** Asks the Java test to do something and waits for its answer. */
function ask(name, extra) {
  out(Object.assign({ wait: name }, extra || {}));
  return new Promise((resolve) => (answers.length ? resolve(answers.shift()) : waiting.push(resolve)));
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent({ timeout: STEP_MS })).trim();
}

let current = null; // the page in use, for a screenshot when a step fails

async function main() {
  const browser = await common.launch(config);
  try {
    // ---------------------------------------------------------------- A: the guarded node, with a token
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    current = page;
    page.setDefaultTimeout(STEP_MS);
    const problems = watch(page, 'main');
    const t0 = Date.now();
    await page.goto(config.url + '/');
    await page.locator('#login').waitFor({ state: 'visible' });
    out({ step: 'asks-for-token', ms: Date.now() - t0 });

    await page.fill('#token', config.token);
    await page.click('#login-form button[type=submit]');
    await page.locator('#nodes tbody tr').first().waitFor();
    await page.locator('#bridge.ok').waitFor();
    await page.locator('#nodes .live-note.ok').waitFor();
    await page.locator('#tasks .live-note.ok').waitFor();
    out({
      step: 'shows-nodes', ms: Date.now() - t0, rows: await page.locator('#nodes tbody tr').count(),
      firstNode: await page.locator('#nodes tbody tr').first().getAttribute('data-id'),
      modules: await text(page, '#nodes tbody tr td:nth-child(4)'), bridge: await text(page, '#bridge'),
      token: await page.evaluate(() => sessionStorage.getItem('steward.dashboard.token'))
    });

    // A node that joins appears through steward.nodes.events (the page re-reads /nodes every 30 s otherwise).
    const second = await ask('start-second-node');
    const joinedAt = Date.now();
    await page.locator(`#nodes tbody tr[data-id="${second.id}"]`).waitFor({ timeout: 15000 });
    out({ step: 'node-joined-live', ms: Date.now() - joinedAt, rows: await page.locator('#nodes tbody tr').count() });

    // A task submitted through the API appears, running; the page cancels it.
    const sleeping = await api('POST', config.url + '/tasks', config.token, { type: 'sleep', payload: { ms: 120000 } });
    const row = page.locator(`#tasks tbody tr[data-id="${sleeping.id}"]`);
    await page.locator(`#tasks tbody tr[data-id="${sleeping.id}"][data-state="running"]`).waitFor();
    out({ step: 'task-appears', id: sleeping.id, state: await row.getAttribute('data-state') });
    await row.locator('button[data-action=cancel]').click();
    await page.locator(`#tasks tbody tr[data-id="${sleeping.id}"][data-state="cancelled"]`).waitFor();
    const record = await api('GET', config.url + '/tasks/' + sleeping.id, config.token);
    out({ step: 'task-cancelled-from-page', id: sleeping.id, state: record.state });

    const echo = await api('POST', config.url + '/tasks', config.token, { type: 'echo', payload: { hello: 'dashboard' } });
    await page.locator(`#tasks tbody tr[data-id="${echo.id}"][data-state="succeeded"]`).waitFor();
    out({ step: 'task-succeeds-live', id: echo.id });

    // The caches the test filled: entries and hit ratio.
    const cache = page.locator(`#caches tbody tr[data-name="${config.cache}"]`);
    await cache.waitFor();
    out({
      step: 'cache-shows', entries: await text(cache, 'td:nth-child(2)'), ratio: await text(cache, 'td:nth-child(3)'),
      hits: await text(cache, 'td:nth-child(4)'), misses: await text(cache, 'td:nth-child(5)')
    });

    // Supervisors: the page pauses 'mail' (cluster limit 2); a task submitted meanwhile is queued, shown, and not started;
    // the page resumes it and the task runs.
    const mail = page.locator('#supervisors tbody tr[data-name="mail"]');
    await page.locator('#supervisors tbody tr[data-name="mail"][data-paused="false"]').waitFor();
    await mail.locator('button[data-action=pause]').click();
    await page.locator('#supervisors tbody tr[data-name="mail"][data-paused="true"]').waitFor();
    const held = await api('POST', config.url + '/tasks', config.token, { type: 'echo', supervisor: 'mail', payload: { to: 'ada' } });
    await mail.locator('td:nth-child(4):text-is("1")').waitFor();
    const sup = (await api('GET', config.url + '/tasks/supervisors?supervisor=mail', config.token)).supervisors.mail;
    const heldTask = await api('GET', config.url + '/tasks/' + held.id, config.token);
    out({
      step: 'supervisor-paused-shows', paused: sup.paused, taskState: heldTask.state, state: await text(mail, 'td:nth-child(2)'),
      queued: await text(mail, 'td:nth-child(4)'), limit: await text(mail, 'td:nth-child(7)'),
      button: await text(mail, 'td:nth-child(8) button'), defaultState: await text(page, '#supervisors tbody tr[data-name="default"] td:nth-child(2)')
    });
    await mail.locator('button[data-action=resume]').click();
    await page.locator('#supervisors tbody tr[data-name="mail"][data-paused="false"]').waitFor();
    await page.locator(`#tasks tbody tr[data-id="${held.id}"][data-state="succeeded"]`).waitFor();
    const after = (await api('GET', config.url + '/tasks/supervisors?supervisor=mail', config.token)).supervisors.mail;
    out({ step: 'supervisor-resumed-from-page', paused: after.paused, state: await text(mail, 'td:nth-child(2)') });

    // Schedules: one that runs every 2 s, one whose action fails (no handler). The page pauses, triggers and resumes.
    if (config.schedules) {
      await api('PUT', config.url + '/schedules/heartbeat', config.token,
        { every: '2s', action: { type: 'publish', address: 'dashboard.test.heartbeat', body: {} }, description: 'dashboard test' });
      await api('PUT', config.url + '/schedules/report', config.token,
        { cron: '0 30 2 * * *', zone: 'Europe/Berlin', action: { type: 'send', address: 'dashboard.test.nobody', timeoutMs: 2000 } });
      const beat = page.locator('#schedules tbody tr[data-name="heartbeat"]');
      await beat.locator('td:nth-child(6) .badge:has-text("succeeded")').waitFor({ timeout: 30000 });
      out({
        step: 'schedule-shows', when: await text(beat, 'td:nth-child(2)'), action: await text(beat, 'td:nth-child(3)'),
        state: await text(beat, 'td:nth-child(4)'), next: await text(beat, 'td:nth-child(5)'), last: await text(beat, 'td:nth-child(6)')
      });

      await beat.locator('button[data-action=pause]').click();
      await page.locator('#schedules tbody tr[data-name="heartbeat"][data-paused="true"]').waitFor();
      const paused = await api('GET', config.url + '/schedules/heartbeat', config.token);
      out({ step: 'schedule-paused-from-page', paused: paused.paused, state: await text(beat, 'td:nth-child(4)'),
        next: await text(beat, 'td:nth-child(5)') });

      await beat.locator('button[data-action=trigger]').click();
      await beat.locator('td:nth-child(6):has-text("(trigger)")').waitFor();
      out({ step: 'schedule-triggered-from-page', last: await text(beat, 'td:nth-child(6)') });

      await beat.locator('button[data-action=resume]').click();
      await page.locator('#schedules tbody tr[data-name="heartbeat"][data-paused="false"]').waitFor();
      const resumed = await api('GET', config.url + '/schedules/heartbeat', config.token);
      out({ step: 'schedule-resumed-from-page', paused: resumed.paused });

      const report = page.locator('#schedules tbody tr[data-name="report"]');
      await report.locator('button[data-action=trigger]').click();
      await report.locator('td:nth-child(6) .badge:has-text("failed")').waitFor();
      out({ step: 'schedule-failure-shows', when: await text(report, 'td:nth-child(2)'), last: await text(report, 'td:nth-child(6)'),
        notice: await page.locator('#banner').isVisible() ? await text(page, '#banner') : '' });
    }

    // Workflows: one of two steps that succeeds (the Java test answers dashboard.test.step), one whose only step
    // fails (nobody answers dashboard.test.nobody). The panel shows each with its steps' states and the error.
    if (config.workflows) {
      const step = { address: 'dashboard.test.step', timeoutMs: 5000 };
      const ok = await api('POST', config.url + '/workflows', config.token, { name: 'dashboard-ok',
        steps: [Object.assign({ id: 'first' }, step), Object.assign({ id: 'second', dependsOn: ['first'] }, step)] });
      const bad = await api('POST', config.url + '/workflows', config.token, { name: 'dashboard-bad',
        steps: [{ id: 'lonely', address: 'dashboard.test.nobody', timeoutMs: 1000, maxRestarts: 0 }] });
      const okRow = page.locator(`#workflows tbody tr[data-id="${ok.id}"]`);
      const badRow = page.locator(`#workflows tbody tr[data-id="${bad.id}"]`);
      await okRow.locator('td:nth-child(3) .badge:text-is("succeeded")').waitFor({ timeout: 30000 });
      await badRow.locator('td:nth-child(3) .badge:text-is("failed")').waitFor({ timeout: 30000 });
      const api1 = await api('GET', config.url + '/workflows/' + ok.id, config.token);
      out({
        step: 'workflows-show', okId: ok.id, name: await text(okRow, 'td:nth-child(1)'), id: await text(okRow, 'td:nth-child(2)'),
        steps: await okRow.locator('td:nth-child(4) .badge').allTextContents(),
        stepStates: await okRow.locator('td:nth-child(4) .badge').evaluateAll(els => els.map(e => e.title)),
        apiState: api1.state, badState: await text(badRow, 'td:nth-child(3)'), badError: await text(badRow, 'td:nth-child(7)'),
        badSteps: await badRow.locator('td:nth-child(4) .badge').evaluateAll(els => els.map(e => e.title))
      });
    }

    await page.screenshot({ path: config.screenshots.main, fullPage: true });
    out({ step: 'screenshot', path: config.screenshots.main, problems });

    // ---------------------------------------------------------------- B: a node with the default, empty bridge lists
    const plain = await browser.newPage();
    current = plain;
    plain.setDefaultTimeout(STEP_MS);
    const plainProblems = watch(plain, 'plain');
    await plain.goto(second.url + '/');
    await plain.locator('#nodes tbody tr').nth(1).waitFor();
    await plain.locator('#nodes .live-note.warn:has-text("http.bridgeOutbound")').waitFor();
    await plain.locator('#tasks .live-note.warn:has-text("http.bridgeOutbound")').waitFor();
    out({
      step: 'not-live-without-permission', nodesNote: await text(plain, '#nodes .live-note'),
      tasksNote: await text(plain, '#tasks .live-note'), problems: plainProblems.slice()
    });

    // The node behind the page stops: the bridge is down and the page says it cannot reach the node.
    await ask('stop-second-node');
    await plain.locator('#bridge.bad').waitFor({ timeout: 30000 });
    await plain.locator('#banner:not([hidden])').waitFor({ timeout: 30000 });
    out({ step: 'node-down', bridge: await text(plain, '#bridge'), banner: await text(plain, '#banner') });
    await plain.screenshot({ path: config.screenshots.down, fullPage: true });

    // ---------------------------------------------------------------- C: a wrong token
    const wrong = await browser.newPage();
    current = wrong;
    wrong.setDefaultTimeout(STEP_MS);
    const wrongProblems = watch(wrong, 'wrong');
    await wrong.goto(config.url + '/');
    await wrong.fill('#token', 'not-the-token-0123456789');
    await wrong.click('#login-form button[type=submit]');
    await wrong.locator('#login-error:has-text("401")').waitFor();
    out({
      step: 'wrong-token', message: await text(wrong, '#login-error'), mainHidden: await wrong.locator('#main').isHidden(),
      problems: wrongProblems.slice()
    });
    out({ step: 'done', problems: problems.slice() });
    current = null;
    if (config.charts) {
      await charts.scenario(browser, config.charts); // screenshots its own page when a step fails
    }
  } catch (err) {
    if (current && config.screenshots.failure) {
      await current.screenshot({ path: config.screenshots.failure, fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await browser.close();
  }
}

// 150 s for this scenario, 200 s more for the charts'.
common.run(main, config.charts ? 350000 : 150000);
