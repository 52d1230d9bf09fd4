'use strict';
// What the dashboard's browser scenarios share (dashboard.js, dashboard-charts.js): Chromium's launch, the output
// protocol (one JSON object per line on stdout), API calls, the watch for console errors, and the run with a deadline.

const { chromium } = require('playwright-core');

const LAUNCH_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium (config.chromium), headless. */
function launch(config) {
  return chromium.launch({ executablePath: config.chromium, args: LAUNCH_FLAGS, timeout: 60000 });
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** One API call with the token (when given); its JSON answer, or an error with the status and body. */
async function api(method, url, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(method + ' ' + url + ': ' + res.status + ' ' + text);
  return text ? JSON.parse(text) : null;
}

/** Every console message of type error or warning, uncaught exception and failed request of a page. */
function watch(page, name) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push({ page: name, kind: 'console.' + m.type(), text: m.text(), url: m.location().url });
  });
  page.on('pageerror', (e) => problems.push({ page: name, kind: 'pageerror', text: String(e && e.stack || e) }));
  page.on('requestfailed', (r) => problems.push({ page: name, kind: 'requestfailed', text: r.url() + ' ' + (r.failure() || {}).errorText }));
  return problems;
}

/**
 * Runs main() within deadlineMs: exit 0 when it ends, 1 with {"step": "failed", "ok": false, "error"} when it
 * throws, 3 with {"step": "timeout", ...} when it does not end in time.
 */
function run(main, deadlineMs) {
  const deadline = setTimeout(() => {
    out({ step: 'timeout', ok: false, error: 'the scenario did not finish in ' + deadlineMs / 1000 + ' s' });
    process.exit(3);
  }, deadlineMs);
  main().then(() => {
    clearTimeout(deadline);
    process.exit(0);
  }, (err) => {
    out({ step: 'failed', ok: false, error: String(err && err.stack || err) });
    process.exit(1);
  });
}

module.exports = { launch, out, api, watch, run };
