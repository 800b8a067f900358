// End-to-end tests of `hookseal inbox ui` in headless Chromium (Debian's /usr/bin/chromium),
// driven by playwright-core. Run by run.sh (which builds the binaries first).
//
// The store is filled by real signed requests: `hookseal send` to a small stand-in gateway
// (the dashboard crate's `demo_gateway` example), which stores them in an SQLite inbox and
// "forwards" them with a worker to a downstream that refuses bodies containing `refuse-me`
// until told to accept.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
const HOOKSEAL = join(target, 'debug', 'hookseal');
const GATEWAY = join(target, 'debug', 'examples', 'demo_gateway');
const SHOTS = join(here, 'screenshots');
const SECRET = 'browser-test-secret-' + randomUUID();
const TOKEN = 'ui-token-' + randomUUID();
const env = { ...process.env, HOOKSEAL_SECRET: SECRET };
delete env.HOOKSEAL_UI_TOKEN;

const work = mkdtempSync(join(tmpdir(), 'hookseal-browser-'));
const store = join(work, 'inbox.db');
const children = [];
let browser;
let gateway;
let ui;

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Starts a process and resolves once a line of its output matches `ready` (bounded). */
function start(command, args, ready, extraEnv = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${command} did not start: ${output}`)), 30000);
    const seen = (chunk) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        ok(child);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${command} exited ${code}: ${output}`));
    });
  });
}

function send(args) {
  const run = spawnSync(HOOKSEAL, ['send', '--no-retry', ...args], { env, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.status, 0, `hookseal send ${args.join(' ')}: ${run.stdout}${run.stderr}`);
}

/** A Toran lead.captured body with a fresh lead id and these notes. */
function toranBody(notes) {
  const lead = randomUUID();
  const body = {
    event: 'lead.captured', lead_id: lead, widget_id: '0299cd05-5ae7-445c-998c-3457fa87cd7d',
    name: 'Test Visitor', email: 'visitor@example.com', phone: '+34 612 345 678', score: 42, tier: 'warm',
    source: 'https://www.example.com/', timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    metadata: { notes, utm_source: 'test' },
  };
  const file = join(work, `${lead}.json`);
  writeFileSync(file, JSON.stringify(body));
  return { lead, file };
}

function sendToran(notes) {
  const { lead, file } = toranBody(notes);
  send(['--provider', 'toran', '--url', `${gateway}/webhooks/toran`, '--body', file]);
  return lead;
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Reloads `url` until `check(page)` is true (bounded: 40 tries, 250 ms apart). */
async function until(page, url, check, what) {
  for (let i = 0; i < 40; i++) {
    await page.goto(url);
    if (await check(page)) {
      return;
    }
    await page.waitForTimeout(250);
  }
  assert.fail(`never: ${what}`);
}

const sent = {};

before(async () => {
  const gatewayPort = await freePort();
  await start(GATEWAY, [store, `127.0.0.1:${gatewayPort}`], /demo gateway on/);
  gateway = `http://127.0.0.1:${gatewayPort}`;
  const uiPort = await freePort();
  await start(HOOKSEAL, ['inbox', 'ui', '--store', `sqlite://${store}`, '--addr', `127.0.0.1:${uiPort}`], /dashboard on http/);
  ui = `http://127.0.0.1:${uiPort}`;

  send(['--provider', 'toran', '--url', `${gateway}/webhooks/toran`, '--event', 'lead.captured', '--fresh']);
  send(['--provider', 'tocc', '--url', `${gateway}/webhooks/tocc`, '--event', 'lead.new', '--fresh']);
  send(['--provider', 'tuco', '--url', `${gateway}/webhooks/tuco`, '--event', 'message.sent', '--fresh']);
  send(['--provider', 'connectgain', '--url', `${gateway}/webhooks/connectgain`, '--event', 'deal.created', '--fresh']);
  sent.script = sendToran('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">');
  sent.dead1 = sendToran('refuse-me (first)');
  sent.dead2 = sendToran('refuse-me (second)');

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
  rmSync(work, { recursive: true, force: true });
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(msg.text()); });
  return page;
}

const rowCount = (page) => page.locator('#events tbody tr').count();

test('the page lists the events sent with hookseal send, newest first', async () => {
  const page = await newPage();
  // Wait until the worker has settled all seven (five done, two dead).
  await until(page, ui + '/', async (p) => (await p.locator('#count-done').textContent()) === '5'
    && (await p.locator('#count-dead').textContent()) === '2', 'five done and two dead');
  assert.equal(await rowCount(page), 7);
  const providers = await page.locator('#events tbody tr td:nth-child(2)').allTextContents();
  for (const p of ['toran', 'tocc', 'tuco', 'connectgain']) {
    assert.ok(providers.includes(p), `${p} listed: ${providers}`);
  }
  const ids = (await page.locator('#events tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id))));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  assert.equal(await page.locator('figure.chart rect').count() > 0, true, 'the chart has bars');
  await shot(page, 'events');
  assert.deepEqual(page.errors, [], 'no script errors or CSP violations');
  await page.context().close();
});

test('the filters narrow the list, and the URL carries them', async () => {
  const page = await newPage();
  await page.goto(ui + '/');
  await page.fill('input[name=provider]', 'toran');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/provider=toran/);
  assert.equal(await rowCount(page), 4);
  await page.selectOption('select[name=state]', 'dead');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/state=dead/);
  assert.equal(await rowCount(page), 2);
  const states = await page.locator('#events tbody .badge').allTextContents();
  assert.deepEqual(states, ['dead', 'dead']);
  await page.goto(`${ui}/?key=${sent.dead1.slice(0, 13)}`);
  assert.equal(await rowCount(page), 1);
  await page.goto(`${ui}/?provider=tuco&state=dead`);
  assert.equal(await page.locator('#no-events').count(), 1);
  await shot(page, 'filtered');
  await page.context().close();
});

test('a body whose metadata.notes is <script> shows as text, and no script runs', async () => {
  const page = await newPage();
  await page.goto(`${ui}/?key=${sent.script}`);
  await page.click('#events tbody tr a >> nth=0');
  await page.waitForSelector('#body');
  const text = await page.locator('#body').textContent();
  assert.ok(text.includes('<script>window.__pwned = 1</script>'), text);
  assert.ok(text.includes('<img src=x onerror=\\"window.__pwned = 2\\">'), text);
  assert.equal(await page.locator('#body script, #body img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  assert.ok((await page.locator('#headers').textContent()).includes('x-toran-signature'), 'the headers are shown');
  await shot(page, 'event');
  await page.context().close();
});

test('a POST without the CSRF token is refused', async () => {
  const page = await newPage();
  await page.goto(`${ui}/?provider=toran&state=dead`);
  const status = await page.evaluate(async () => {
    const answer = await fetch('/replay-dead', { method: 'POST', body: new URLSearchParams({ provider: 'toran' }) });
    return answer.status;
  });
  assert.equal(status, 403);
  // The page's own form, with its token removed.
  await page.evaluate(() => document.querySelector('form.replay-dead input[name=csrf]').remove());
  page.once('dialog', (dialog) => dialog.accept());
  const [response] = await Promise.all([page.waitForResponse(/replay-dead/), page.click('#replay-dead')]);
  assert.equal(response.status(), 403);
  await page.goto(`${ui}/?provider=toran&state=dead`);
  assert.equal(await rowCount(page), 2, 'nothing was replayed');
  await page.context().close();
});

test('replay moves a dead event back, and it is forwarded', async () => {
  const forwarded = async () => (await fetch(`${gateway}/control/forwarded`)).json();
  assert.ok(!(await forwarded()).some((k) => k.includes(sent.dead1)), 'refused so far');
  await fetch(`${gateway}/control/accept`, { method: 'POST' });
  const page = await newPage();
  await page.goto(`${ui}/?key=${sent.dead1}`);
  await page.click('#events tbody tr a >> nth=0');
  const eventUrl = page.url();
  assert.match(await page.locator('#last-error').textContent(), /downstream answered 500/);
  await page.click('#replay');
  await page.waitForSelector('#replayed');
  await until(page, eventUrl, async (p) => (await p.locator('#state').textContent()).trim() === 'done', 'replayed event done');
  assert.ok((await forwarded()).some((k) => k.includes(sent.dead1)), 'forwarded after the replay');
  assert.ok(await page.locator('#attempt-list tbody tr').count() >= 2, 'both attempts in the history');
  await shot(page, 'replayed');

  // The rest of the dead, under a filter.
  await page.goto(`${ui}/?provider=toran&state=dead`);
  assert.equal(await rowCount(page), 1);
  page.once('dialog', (dialog) => dialog.accept());
  await page.click('#replay-dead');
  await page.waitForSelector('#replayed');
  assert.match(await page.locator('#replayed').textContent(), /^1 dead event put back/);
  await until(page, `${ui}/?key=${sent.dead2}`, async (p) => (await p.locator('#events .badge').textContent()) === 'done', 'bulk-replayed event done');
  assert.ok((await forwarded()).some((k) => k.includes(sent.dead2)));
  await page.context().close();
});

test('the list updates itself as events arrive', async () => {
  const page = await newPage();
  await page.goto(ui + '/?provider=toran');
  const before = await rowCount(page);
  const lead = sendToran('arrived while watching');
  await page.waitForSelector(`#events td.key code[title*="${lead}"]`, { timeout: 20000 });
  assert.equal(await rowCount(page), before + 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a token guards the dashboard: login form, HttpOnly cookie, token never in a URL', async () => {
  const port = await freePort();
  const child = await start(HOOKSEAL, ['inbox', 'ui', '--store', `sqlite://${store}`, '--addr', `127.0.0.1:${port}`],
    /dashboard on http/, { HOOKSEAL_UI_TOKEN: TOKEN });
  const page = await newPage();
  const urls = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`http://127.0.0.1:${port}/?provider=toran`);
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
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  assert.notEqual(cookies[0].value, TOKEN);
  assert.ok(urls.every((u) => !u.includes(TOKEN)), 'no URL carries the token');
  assert.ok(!(await page.content()).includes(TOKEN), 'no page shows the token');
  await page.context().close();
  child.kill('SIGTERM');
});

test('a non-loopback --addr without a token refuses to start', () => {
  const run = spawnSync(HOOKSEAL, ['inbox', 'ui', '--store', `sqlite://${store}`, '--addr', '0.0.0.0:0'],
    { env, encoding: 'utf8', timeout: 30000 });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /not loopback: a token is required/);
});
