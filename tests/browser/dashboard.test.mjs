// End-to-end tests of the hookseal dashboard in headless Chromium (Debian's /usr/bin/chromium),
// driven by playwright-core. Run by run.sh (which builds the binary first).
//
// Everything is the real thing: the gateway is `hookseal listen --store sqlite://… --forward-to …
// --ui …`, events are posted to it with `hookseal send` (each provider signed with its own secret),
// and its workers forward them, re-signed with Standard Webhooks, to a downstream test server in
// this file. The downstream checks each forwarded request's signature, refuses (500) bodies that
// contain REFUSE until told to accept, and counts what it accepts per idempotency key.
//
// Waiting is always on observable state, bounded: Playwright's own waits (waitForFunction,
// waitForSelector) or `eventually`, which retries a check until it passes or a deadline.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createServer } from 'node:http';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
const HOOKSEAL = join(target, 'debug', 'hookseal');
const SHOTS = join(here, 'screenshots');
const REFUSE = 'refuse-me';
const PROVIDERS = ['tocc', 'toran', 'zapito', 'tuco', 'connectgain'];
/** Each provider's own signing secret. */
const SECRETS = Object.fromEntries(PROVIDERS.map((p) => [p, `${p}-secret-${randomUUID()}`]));
const FORWARD_KEY = randomBytes(32);
const FORWARD_SECRET = `whsec_${FORWARD_KEY.toString('base64')}`;
const TOKEN = 'ui-token-' + randomUUID();
const ATTEMPTS = 2;

/** The environment every child gets: no secret, token or store of the caller's. */
const baseEnv = { ...process.env };
for (const name of Object.keys(baseEnv)) {
  if (name.startsWith('HOOKSEAL_')) {
    delete baseEnv[name];
  }
}
const gatewayEnv = {
  ...baseEnv,
  HOOKSEAL_FORWARD_SECRET: FORWARD_SECRET,
  ...Object.fromEntries(PROVIDERS.map((p) => [`HOOKSEAL_SECRET_${p.toUpperCase()}`, SECRETS[p]])),
};

const work = mkdtempSync(join(tmpdir(), 'hookseal-browser-'));
const store = `sqlite://${join(work, 'inbox.db')}`;
const children = [];
let browser;
let gateway; // http://127.0.0.1:PORT, the webhook listener
let ui; // http://127.0.0.1:PORT, the dashboard
let gatewayLog = '';

// ---------------------------------------------------------------------------------------------
// The downstream app: verifies Standard Webhooks signatures, refuses REFUSE bodies until told to
// accept, counts what it accepts.

const downstream = {
  refusing: true,
  accepted: new Map(), // idempotency key -> times accepted
  refused: new Map(), // idempotency key -> times refused
  badSignatures: 0,
  server: null,
  url: null,
};

/** Whether a request carries a valid Standard Webhooks signature under FORWARD_SECRET. */
function signedByGateway(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || id.includes('.')) {
    return false;
  }
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
    return false;
  }
  const expected = createHmac('sha256', FORWARD_KEY).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value || '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function bump(map, key) {
  map.set(key, (map.get(key) || 0) + 1);
}

function startDownstream() {
  return new Promise((ok, fail) => {
    const server = createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const key = request.headers['hookseal-idempotency-key'] || '';
        if (request.method !== 'POST' || request.headers['content-type'] !== 'application/json'
          || !signedByGateway(request.headers, body)) {
          downstream.badSignatures += 1;
          response.writeHead(401).end('bad signature\n');
          return;
        }
        if (downstream.refusing && body.includes(REFUSE)) {
          bump(downstream.refused, key);
          response.writeHead(500, { 'content-type': 'text/plain' }).end('refused by the test downstream\n');
          return;
        }
        bump(downstream.accepted, key);
        response.writeHead(204).end();
      });
    });
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      downstream.server = server;
      downstream.url = `http://127.0.0.1:${server.address().port}/`;
      ok();
    });
  });
}

const acceptedCount = (key) => downstream.accepted.get(key) || 0;
const refusedCount = (key) => downstream.refused.get(key) || 0;

// ---------------------------------------------------------------------------------------------
// Processes and helpers.

/**
 * Starts a process and resolves with it and the matches of `ready` (regexes, each on a line of
 * its output) once all have been seen, within 30 s.
 */
function start(args, ready, env, onOutput = () => {}) {
  return new Promise((ok, fail) => {
    const child = spawn(HOOKSEAL, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      fail(new Error(`hookseal ${args[0]} did not start: ${output}`));
    }, 30000);
    const seen = (chunk) => {
      output += chunk;
      onOutput(chunk.toString());
      const found = ready.map((re) => output.match(re));
      if (!done && found.every(Boolean)) {
        done = true;
        clearTimeout(timer);
        ok({ child, found });
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!done) {
        done = true;
        fail(new Error(`hookseal ${args[0]} exited ${code}: ${output}`));
      }
    });
  });
}

/** Runs hookseal to its end (bounded): its status and output. */
function run(args, env) {
  return new Promise((ok) => {
    execFile(HOOKSEAL, args, { env, encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
      ok({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `hookseal send` to the gateway, signed with `provider`'s secret (or `secretOf`'s). */
async function send(provider, args, secretOf = provider) {
  const all = ['send', '--no-retry', '--provider', provider, '--url', `${gateway}/webhooks/${provider}`, ...args];
  return run(all, { ...baseEnv, HOOKSEAL_SECRET: SECRETS[secretOf] });
}

async function sendOk(provider, args) {
  const answer = await send(provider, args);
  assert.equal(answer.status, 0, `hookseal send ${args.join(' ')}: ${answer.stdout}${answer.stderr}`);
}

const now = () => new Date().toISOString();

/** Sends a Toran lead.captured with a fresh lead id and these notes: its idempotency key. */
async function sendToran(notes) {
  const lead = randomUUID();
  const body = {
    event: 'lead.captured', lead_id: lead, widget_id: '0299cd05-5ae7-445c-998c-3457fa87cd7d',
    name: 'Test Visitor', email: 'visitor@example.com', phone: '+34 612 345 678', score: 42, tier: 'warm',
    source: 'https://www.example.com/', timestamp: now().replace(/\.\d+Z$/, 'Z'),
    metadata: { notes, utm_source: 'test' },
  };
  const file = join(work, `${lead}.json`);
  writeFileSync(file, JSON.stringify(body));
  await sendOk('toran', ['--body', file]);
  return lead;
}

/** Sends a tocc.contact lead.new with a fresh id and these notes: its idempotency key. */
async function sendTocc(notes) {
  const id = `evt_${randomUUID().replaceAll('-', '')}`;
  const body = {
    id, businessId: 'biz_3k9QmT7xVw2R', alias: 'alderfinch', aliasEmail: 'alderfinch@tocc.contact',
    businessName: 'Alder & Finch Café', eventType: 'lead.new', timestamp: now(), version: '1.0',
    data: { customerId: 'cus_7Hq2LmX9pR4t', email: 'priya@example.com', name: 'Priya', source: 'email', stage: 'new', notes },
  };
  const file = join(work, `${id}.json`);
  writeFileSync(file, JSON.stringify(body));
  await sendOk('tocc', ['--body', file]);
  return id;
}

/**
 * Retries `check` (which throws while its condition does not hold) until it passes, at most
 * `timeout` ms: the last failure is reported.
 */
async function eventually(check, { timeout = 20000, interval = 200 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) {
        throw err;
      }
    }
    await new Promise((wake) => setTimeout(wake, interval));
  }
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits (bounded) until the live-updating list's count of `state` is `n`. */
async function countIs(page, state, n, timeout = 30000) {
  await page.waitForFunction(
    ([s, want]) => document.getElementById(`count-${s}`)?.textContent === String(want),
    [state, n],
    { timeout, polling: 100 },
  );
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(msg.text()); });
  return page;
}

const rowCount = (page) => page.locator('#events tbody tr').count();
const rowOf = (page, key) => page.locator(`#events tbody tr:has(td.key code[title="${key}"])`);

/** Opens the event page of the event with this idempotency key (from the list). */
async function openEvent(page, key) {
  await page.goto(`${ui}/?key=${encodeURIComponent(key)}`);
  assert.equal(await rowCount(page), 1, `one event with key ${key}`);
  await page.click('#events tbody tr a >> nth=0');
  await page.waitForSelector('#body');
  return page.url();
}

// ---------------------------------------------------------------------------------------------

const sent = {};
/** Events sent in before(): the keys forwarded at once, and those the downstream refuses. */
const fine = [];
const DONE_AT_FIRST = 6;
const DEAD_AT_FIRST = 3;

before(async () => {
  await startDownstream();
  const { found } = await start(
    [
      'listen', '--addr', '127.0.0.1:0', '--store', store, '--forward-to', downstream.url,
      '--ui', '127.0.0.1:0', '--attempts', String(ATTEMPTS), '--backoff', '100ms', '--backoff-cap', '200ms',
      '--timeout', '5s',
    ],
    [/listening on (http:\/\/127\.0\.0\.1:\d+)\/webhooks\//, /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//],
    gatewayEnv,
    (text) => { gatewayLog += text; },
  );
  gateway = found[0][1];
  ui = found[1][1];

  await sendOk('toran', ['--event', 'lead.captured', '--fresh']);
  await sendOk('tocc', ['--event', 'lead.new', '--fresh']);
  await sendOk('zapito', ['--event', 'lead.handoff', '--fresh']);
  await sendOk('tuco', ['--event', 'message.sent', '--fresh']);
  await sendOk('connectgain', ['--event', 'deal.created', '--fresh']);
  sent.script = await sendToran('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">');
  fine.push(sent.script);
  sent.dead1 = await sendToran(`${REFUSE} (first)`);
  sent.dead2 = await sendToran(`${REFUSE} (second)`);
  sent.deadTocc = await sendTocc(`${REFUSE} (tocc)`);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // No --user-data-dir here: playwright's launch() gives every run a fresh temporary profile
      // (and refuses the flag).
    ],
  });
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  for (const child of children) {
    child.kill('SIGTERM');
  }
  downstream.server?.close();
  if (process.env.HOOKSEAL_BROWSER_LOG) {
    process.stderr.write(gatewayLog);
  }
  rmSync(work, { recursive: true, force: true });
});

test('the page lists the events sent with hookseal send, newest first', async () => {
  const page = await newPage();
  await page.goto(ui + '/');
  // The live list settles by itself: six forwarded, three refused until dead.
  await countIs(page, 'done', DONE_AT_FIRST);
  await countIs(page, 'dead', DEAD_AT_FIRST);
  assert.equal(await page.locator('#count-all').textContent(), String(DONE_AT_FIRST + DEAD_AT_FIRST));
  assert.equal(await rowCount(page), DONE_AT_FIRST + DEAD_AT_FIRST);
  const providers = await page.locator('#events tbody tr td:nth-child(2)').allTextContents();
  for (const p of PROVIDERS) {
    assert.ok(providers.includes(p), `${p} listed: ${providers}`);
  }
  const events = await page.locator('#events tbody tr td:nth-child(3)').allTextContents();
  for (const e of ['lead.captured', 'lead.new', 'lead.handoff', 'message.sent', 'deal.created']) {
    assert.ok(events.includes(e), `${e} listed: ${events}`);
  }
  const ids = await page.locator('#events tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  // The last one sent is the first row.
  assert.equal(await page.locator('#events tbody tr >> nth=0 >> td.key code').getAttribute('title'), sent.deadTocc);
  for (const key of [sent.dead1, sent.dead2, sent.deadTocc]) {
    assert.equal(await rowOf(page, key).locator('.badge').textContent(), 'dead');
    assert.equal(await rowOf(page, key).locator('td:nth-child(5)').textContent(), String(ATTEMPTS));
  }
  assert.ok(await page.locator('figure.chart rect').count() > 0, 'the chart has bars');

  // What the downstream saw: every done event exactly once, the dead ones refused ATTEMPTS times.
  const total = [...downstream.accepted.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, DONE_AT_FIRST, 'each done event forwarded once');
  assert.equal(acceptedCount(sent.script), 1);
  for (const key of [sent.dead1, sent.dead2, sent.deadTocc]) {
    assert.equal(acceptedCount(key), 0);
    assert.equal(refusedCount(key), ATTEMPTS);
  }
  assert.equal(downstream.badSignatures, 0, 'every forward is signed with HOOKSEAL_FORWARD_SECRET');
  await shot(page, 'events');
  assert.deepEqual(page.errors, [], 'no script errors or CSP violations');
  await page.context().close();
});

test('a request signed with another provider\'s secret is refused and never listed', async () => {
  const answer = await send('tocc', ['--event', 'lead.new', '--fresh'], 'toran');
  assert.notEqual(answer.status, 0, 'the gateway refused it');
  assert.match(answer.stdout + answer.stderr, /401/);
  const page = await newPage();
  await page.goto(ui + '/');
  assert.equal(await page.locator('#count-all').textContent(), String(DONE_AT_FIRST + DEAD_AT_FIRST));
  await page.context().close();
});

test('the filters narrow the list, and the URL carries them', async () => {
  const page = await newPage();
  await page.goto(ui + '/');
  await page.fill('input[name=provider]', 'toran');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/provider=toran/);
  assert.equal(await rowCount(page), 4);
  const providers = await page.locator('#events tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(providers, ['toran', 'toran', 'toran', 'toran']);
  assert.match(await page.locator('#whole-inbox').textContent(), /whole inbox/, 'the counts say they are not filtered');
  await page.selectOption('select[name=state]', 'dead');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/provider=toran.*state=dead/);
  assert.equal(await rowCount(page), 2);
  assert.deepEqual(await page.locator('#events tbody .badge').allTextContents(), ['dead', 'dead']);
  await shot(page, 'filtered');

  // The event filter, alone.
  await page.goto(ui + '/');
  await page.fill('input[name=event]', 'lead.new');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/event=lead\.new/);
  assert.equal(await rowCount(page), 2);
  assert.deepEqual(await page.locator('#events tbody tr td:nth-child(2)').allTextContents(), ['tocc', 'tocc']);

  // The key search: a part of one key finds that one event.
  await page.goto(`${ui}/?key=${sent.dead1.slice(0, 13)}`);
  assert.equal(await rowCount(page), 1);
  assert.equal(await page.locator('#events td.key code').getAttribute('title'), sent.dead1);

  // Nothing matches.
  await page.goto(`${ui}/?provider=tuco&state=dead`);
  assert.equal(await page.locator('#no-events').count(), 1);
  assert.equal(await rowCount(page), 0);
  await page.context().close();
});

test('an event refused until dead shows as dead, with its attempts and last error', async () => {
  const page = await newPage();
  await openEvent(page, sent.dead1);
  assert.equal((await page.locator('#state').textContent()).trim(), 'dead');
  assert.equal((await page.locator('#attempts').textContent()).trim(), String(ATTEMPTS));
  assert.match(await page.locator('#last-error').textContent(), /answered 500/);
  assert.equal(await page.locator('#attempt-list tbody tr').count(), ATTEMPTS);
  const outcomes = await page.locator('#attempt-list tbody tr td:nth-child(4)').allTextContents();
  assert.equal(outcomes.at(-1), 'dead', `outcomes: ${outcomes}`);
  assert.ok((await page.locator('#body').textContent()).includes(`${REFUSE} (first)`));
  assert.equal(await page.locator('dl.facts dt', { hasText: 'Next try' }).count(), 0, 'no next try for a dead event');
  await shot(page, 'dead');
  await page.context().close();
});

test('a body whose metadata.notes is <script> shows as text, and no script runs', async () => {
  const page = await newPage();
  await openEvent(page, sent.script);
  const text = await page.locator('#body').textContent();
  assert.ok(text.includes('<script>window.__pwned = 1</script>'), text);
  assert.ok(text.includes('<img src=x onerror=\\"window.__pwned = 2\\">'), text);
  assert.equal(await page.locator('#body script, #body img').count(), 0);
  assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script on the page');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  const headers = await page.locator('#headers').textContent();
  assert.ok(headers.includes('x-toran-signature'), 'the headers are shown');
  assert.ok(!headers.includes(SECRETS.toran), 'no secret on the page');
  // The list shows the notes nowhere as markup either.
  await page.goto(`${ui}/?provider=toran`);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await shot(page, 'event');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a POST without the CSRF token is refused (403) and changes nothing', async () => {
  const page = await newPage();
  const eventUrl = await openEvent(page, sent.dead1);
  const id = eventUrl.match(/\/events\/(\d+)/)[1];
  const statuses = await page.evaluate(async (eventId) => {
    const post = async (path, fields) => (await fetch(path, { method: 'POST', body: new URLSearchParams(fields) })).status;
    return [
      await post('/replay-dead', { provider: 'toran' }),
      await post('/replay-dead', { provider: 'toran', csrf: 'not-the-token' }),
      await post(`/events/${eventId}/replay`, {}),
    ];
  }, id);
  assert.deepEqual(statuses, [403, 403, 403]);
  // A token from another page's form posted from another origin: refused too.
  const csrf = await page.locator('form[action$="/replay"] input[name=csrf]').getAttribute('value');
  const foreign = await fetch(`${eventUrl}/replay`, {
    method: 'POST',
    headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }),
  });
  assert.equal(foreign.status, 403);

  // The page's own form, with its token removed.
  await page.goto(`${ui}/?provider=toran&state=dead`);
  await page.evaluate(() => document.querySelector('form.replay-dead input[name=csrf]').remove());
  page.once('dialog', (dialog) => dialog.accept());
  const [response] = await Promise.all([page.waitForResponse(/replay-dead/), page.click('#replay-dead')]);
  assert.equal(response.status(), 403);
  assert.match(await page.locator('main').textContent(), /CSRF token/);
  await page.goto(`${ui}/?state=dead`);
  assert.equal(await rowCount(page), DEAD_AT_FIRST, 'nothing was replayed');
  assert.equal(acceptedCount(sent.dead1), 0);
  await page.context().close();
});

test('replay moves a dead event back, and it is forwarded', async () => {
  assert.equal(acceptedCount(sent.dead1), 0, 'refused so far');
  downstream.refusing = false;
  const page = await newPage();
  const eventUrl = await openEvent(page, sent.dead1);
  await page.click('#replay');
  await page.waitForSelector('#replayed');
  assert.match(await page.locator('#replayed').textContent(), /Put back to ready/);
  await eventually(async () => {
    await page.goto(eventUrl);
    assert.equal((await page.locator('#state').textContent()).trim(), 'done');
  });
  assert.equal(acceptedCount(sent.dead1), 1, 'forwarded once after the replay');
  const outcomes = await page.locator('#attempt-list tbody tr td:nth-child(4)').allTextContents();
  assert.equal(outcomes.length, ATTEMPTS + 1, `the refused attempts and the replayed one: ${outcomes}`);
  assert.equal(outcomes.at(-1), 'done');
  assert.equal(await page.locator('#attempt-list tr.replay-mark').count(), 1, 'the replay is marked in the history');
  assert.match(await page.locator('#attempts').textContent(), new RegExp(`^1 since the last replay \\(${ATTEMPTS + 1} recorded in all\\)$`));
  await shot(page, 'replayed');
  await page.context().close();
});

test('replay of all dead events under a filter replays only those', async () => {
  const page = await newPage();
  await page.goto(`${ui}/?provider=toran&state=dead`);
  assert.equal(await rowCount(page), 1);
  page.once('dialog', (dialog) => dialog.accept());
  await page.click('#replay-dead');
  await page.waitForSelector('#replayed');
  assert.match(await page.locator('#replayed').textContent(), /^1 dead event put back/);
  assert.match(page.url(), /provider=toran&state=dead&replayed=1/);
  await page.goto(`${ui}/?key=${sent.dead2}`);
  await eventually(async () => {
    assert.equal(await rowOf(page, sent.dead2).locator('.badge').textContent(), 'done');
  }, { timeout: 30000 });
  assert.equal(acceptedCount(sent.dead2), 1);
  // tocc's dead event was outside the filter: still dead, never forwarded.
  await page.goto(`${ui}/?state=dead`);
  assert.equal(await rowCount(page), 1);
  assert.equal(await rowOf(page, sent.deadTocc).count(), 1);
  assert.equal(acceptedCount(sent.deadTocc), 0);
  assert.equal(await page.locator('#count-done').textContent(), String(DONE_AT_FIRST + 2));
  await page.context().close();
});

test('the list updates itself as events arrive', async () => {
  const page = await newPage();
  await page.goto(ui + '/?provider=toran');
  const before = await rowCount(page);
  const lead = await sendToran('arrived while watching');
  await page.waitForSelector(`#events td.key code[title="${lead}"]`, { timeout: 20000 });
  assert.equal(await rowCount(page), before + 1);
  // And its state follows the forward, without a reload.
  await page.waitForFunction(
    (key) => document.querySelector(`#events td.key code[title="${key}"]`)?.closest('tr').querySelector('.badge')?.textContent === 'done',
    lead,
    { timeout: 20000, polling: 100 },
  );
  assert.equal(acceptedCount(lead), 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a token guards the dashboard: login form, HttpOnly cookie, token never in a URL', async () => {
  const tokenFile = join(work, 'ui-token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const { child, found } = await start(
    ['inbox', 'ui', '--store', store, '--addr', '127.0.0.1:0', '--ui-token-file', tokenFile],
    [/dashboard on (http:\/\/127\.0\.0\.1:\d+)\//],
    baseEnv,
  );
  const guarded = found[0][1];
  const page = await newPage();
  const urls = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`${guarded}/?provider=toran`);
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('#token', 'wrong');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForSelector('.notice.bad', { timeout: 10000 });
  assert.match(await page.locator('.notice.bad').textContent(), /not right/);
  await shot(page, 'login');
  await page.fill('#token', TOKEN);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForSelector('#events');
  assert.match(page.url(), /\/\?provider=toran$/);
  assert.ok(await rowCount(page) >= 4, 'the gateway\'s events');
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  assert.notEqual(cookies[0].value, TOKEN);
  assert.ok(urls.every((u) => !u.includes(TOKEN)), 'no URL carries the token');
  assert.ok(!(await page.content()).includes(TOKEN), 'no page shows the token');
  // Without the cookie, a page is not served.
  const anonymous = await fetch(`${guarded}/`, { redirect: 'manual' });
  assert.ok([302, 303, 401].includes(anonymous.status), `anonymous: ${anonymous.status}`);
  await page.context().close();
  child.kill('SIGTERM');
});

test('a non-loopback --ui or --addr without a token refuses to start', async () => {
  const listen = await run(
    ['listen', '--addr', '127.0.0.1:0', '--store', `sqlite://${join(work, 'refused.db')}`,
      '--forward-to', downstream.url, '--ui', '0.0.0.0:0'],
    gatewayEnv,
  );
  assert.notEqual(listen.status, 0, `listen started: ${listen.stdout}`);
  assert.match(listen.stderr, /not loopback: a token is required/);
  assert.doesNotMatch(listen.stdout, /listening on|dashboard on/);

  const inbox = await run(['inbox', 'ui', '--store', store, '--addr', '0.0.0.0:0'], baseEnv);
  assert.notEqual(inbox.status, 0, `inbox ui started: ${inbox.stdout}`);
  assert.match(inbox.stderr, /not loopback: a token is required/);
  assert.doesNotMatch(inbox.stdout, /dashboard on/);
});
