'use strict';
// Drives Steward's SockJS event-bus bridge with the official Vert.x client, for HttpSecurityTest.
//   node sockjs-bridge.js <url of /eventbus, with ?token= if needed> <scenario>
// SOCKJS_TRANSPORTS (optional, e.g. xhr-streaming): the SockJS transports to allow, comma-separated (default: all,
// so websocket).
// Prints one JSON object per line (what happened); exits 0 when the scenario ran to its end, 3 on timeout.
// Scenarios:
//   connect      open the connection, report whether it opened or closed
//   permissions  the guarded node: a permitted and a forbidden request, a forbidden publish, a malformed
//                frame, registering a permitted and a forbidden address, then the error frames the bridge sent
//   empty        a node with empty permission lists: request, publish and register are all refused
//   requests     sends the requests in the third argument, a JSON array of {step, address, body, headers?},
//                one after the other, and reports each answer

const EventBus = require('@vertx/eventbus-bridge-client.js');

const [url, scenario, extra] = process.argv.slice(2);
if (!url || !scenario) {
  console.error('usage: node sockjs-bridge.js <eventbus url> <connect|permissions|empty|requests> [requests JSON]');
  process.exit(2);
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const deadline = setTimeout(() => {
  out({ event: 'timeout' });
  process.exit(3);
}, 30000);

const options = { vertxbus_ping_interval: 2000 };
if (process.env.SOCKJS_TRANSPORTS) {
  options.transports = process.env.SOCKJS_TRANSPORTS.split(',');
}
const eb = new EventBus(url, options);
const errors = [];
let opened = false;

eb.onerror = (err) => errors.push(err);

eb.onclose = (e) => {
  if (!opened) {
    out({ event: 'closed', code: e && e.code, reason: e && e.reason });
    done();
  }
};

function done() {
  clearTimeout(deadline);
  if (eb.state === EventBus.OPEN) {
    eb.close();
  }
  // sockjs-client may keep timers alive for a moment after close; the scenario is over.
  setImmediate(() => process.exit(0));
}

function request(address, body, headers) {
  return new Promise((resolve) => {
    eb.send(address, body, headers || {}, (err, reply) => {
      resolve(err ? { ok: false, failureCode: err.failureCode, message: err.message } : { ok: true, body: reply.body });
    });
  });
}

function until(condition) {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 20));
    check();
  });
}

const scenarios = {
  async connect() {
    out({ event: 'open', transport: eb.sockJSConn.transport });
  },

  async permissions() {
    out({ step: 'send-permitted', ...(await request('steward.test.echo', { n: 1 }, { token: 'per-frame', trace: 't1' })) });
    out({ step: 'send-forbidden', ...(await request('steward.test.forbidden', { n: 2 })) });
    eb.publish('steward.test.forbidden', { n: 3 });
    // Not what the official client sends: headers that are not an object.
    eb.sockJSConn.send(JSON.stringify({ type: 'send', address: 'steward.test.echo', headers: 'not an object', body: 5 }));
    let triggerTimer;
    const news = await new Promise((resolve) => {
      eb.registerHandler('steward.test.secret', (err, msg) => out(err ? { step: 'secret-refused', ...err } : { step: 'secret-received', msg }));
      eb.registerHandler('steward.test.news', (err, msg) => resolve(err ? { err } : msg.body));
      // Registration completes on the server after the frame is read: ask for news until it arrives.
      const trigger = () => {
        eb.publish('steward.test.trigger', {});
        triggerTimer = setTimeout(trigger, 100);
      };
      trigger();
    });
    clearTimeout(triggerTimer);
    out({ step: 'news-received', body: news });
    // Frames are answered in order: once this reply is back, every earlier refusal has arrived.
    out({ step: 'send-permitted-again', ...(await request('steward.test.echo', { n: 4 })) });
    out({ step: 'errors', errors });
  },

  async requests() {
    for (const r of JSON.parse(extra)) {
      out({ step: r.step, ...(await request(r.address, r.body, r.headers)) });
    }
  },

  async empty() {
    out({ step: 'send', ...(await request('steward.test.echo', { n: 1 })) });
    eb.publish('steward.test.echo', { n: 2 });
    eb.registerHandler('steward.test.echo', (err) => out(err ? { step: 'register-refused', ...err } : { step: 'received-unexpectedly' }));
    await until(() => errors.length >= 3);
    out({ step: 'errors', errors });
  },
};

eb.onopen = () => {
  opened = true;
  const run = scenarios[scenario];
  if (!run) {
    out({ event: 'unknown-scenario', scenario });
    done();
    return;
  }
  run().then(done, (err) => {
    out({ event: 'failed', error: String(err && err.stack || err) });
    done();
  });
};
