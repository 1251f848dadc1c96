// The console in a real browser: Debian's Chromium driven by playwright-core (no browser
// download). Run by tests/integration/console.rs against the local stack, with one JSON
// argument:
//   { base, shots, refreshMs, events: [{source, id}], hostile: {source, id},
//     pretty: {source, id, text}, dead: {source, id}, redeliver: {source, id}, send: "src/event" }
// Prints one JSON line per step and a last line {"ok":true,...}; exits 1 at the first failure.
// Every wait is bounded; the whole run is stopped after 240 s.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const spec = JSON.parse(process.argv[2]);
const STEP_MS = 20_000;
const OUTCOME_MS = 90_000;
setTimeout(() => { console.error('console.mjs: over 240 s, stopping'); process.exit(2); }, 240_000).unref();

const executablePath = process.env.HOOKWELL_CHROMIUM || '/usr/bin/chromium';
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hookwell-chromium-'));
const problems = [];
let browser;

function step(name, extra = {}) {
  console.log(JSON.stringify({ step: name, ...extra }));
}
function check(cond, what) {
  if (!cond) throw new Error(what);
}
const rowSel = (e) => `tr[data-source="${e.source}"][data-event-id="${e.id}"]`;
const eventUrl = (e) => `${spec.base}/event?${new URLSearchParams({ source: e.source, id: e.id })}`;

async function main() {
  // As root Chromium needs --no-sandbox; the rest keep it off this machine's closed network.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  browser = context;
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
  // A CSP violation or a script error fails the run.
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx it loads ("Failed to load resource"): the 404 of an event not yet
    // claimed, the 403 of the cross-site step. Anything else (a CSP refusal, a script error) counts.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });

  // 1. The history lists every event sent.
  await page.goto(spec.base + '/');
  await page.waitForSelector('#events');
  for (const e of spec.events) {
    await page.waitForSelector(rowSel(e), { timeout: OUTCOME_MS });
  }
  const dlqCount = await page.textContent('#dlq-depth');
  step('history', { rows: await page.locator('#events tbody tr').count(), dlq: dlqCount });
  // The README's picture: the last 15 minutes (wider bars than the default hour).
  await page.click('.ranges a[href*="since=15m"]');
  await page.waitForURL(/since=15m/);
  await page.waitForSelector(rowSel(spec.dead));
  await page.screenshot({ path: path.join(spec.shots, 'console-history.png') });
  await page.goto(spec.base + '/');

  // 2. A refresh never resets a form being typed into.
  await page.fill('#f-source', 'grou');
  const before = await page.getAttribute('#live', 'data-updated');
  await page.waitForFunction((b) => document.getElementById('live').getAttribute('data-updated') !== b,
    before, { timeout: spec.refreshMs * 4 + 5000 });
  check(await page.inputValue('#f-source') === 'grou', 'a refresh reset the filter being typed');
  step('refresh keeps the form');

  // 3. Filter by source and status: the URL carries the filter, the table holds only matches.
  await page.fill('#f-source', spec.dead.source);
  await page.selectOption('#f-status', 'FAILED');
  await Promise.all([page.waitForURL(/\?source=[^&]+&status=FAILED$/), page.click('#f-apply')]);
  await page.waitForSelector(rowSel(spec.dead));
  const rows = await page.$$eval('#events tbody tr', (trs) => trs.map((t) => [t.dataset.source, t.dataset.status]));
  check(rows.length > 0 && rows.every(([s, st]) => s === spec.dead.source && st === 'FAILED'),
    `filtered rows: ${JSON.stringify(rows)}`);
  check((await page.textContent('li.failed b')).trim() !== '0', 'failed count');
  step('filter', { url: page.url(), rows: rows.length });

  // 4. One event: its payload, pretty JSON (keys as sent), via the link in the table.
  await page.goto(spec.base + '/');
  await Promise.all([page.waitForURL(/\/event\?/), page.click(`${rowSel(spec.pretty)} td.id a`)]);
  await page.waitForSelector('#payload');
  check(await page.getAttribute('#payload', 'data-kind') === 'JSON', 'payload shown as JSON');
  const text = await page.textContent('#payload');
  check(text.includes(spec.pretty.text), `payload shows ${spec.pretty.text}`);
  check((await page.textContent('#event-id')).trim() === spec.pretty.id, 'event id');
  step('event', { bytes: text.length });
  await page.screenshot({ path: path.join(spec.shots, 'console-event.png'), fullPage: true });

  // 5. A hostile payload is text, never markup.
  await page.goto(eventUrl(spec.hostile));
  const hostile = await page.textContent('#payload');
  check(hostile.includes('<script>window.__pwned=1</script>'), 'hostile payload shown as text');
  check(await page.locator('#payload script, #payload img').count() === 0, 'no element from the payload');
  check(await page.evaluate(() => window.__pwned) === undefined, 'the payload ran');
  step('hostile payload inert');

  // 6. Replay the dead-lettered event from the DLQ page, through the confirmation; the event
  //    page then refreshes by itself until the event completed.
  await page.click('nav a[href="/dlq"]');
  await page.waitForSelector(`#letters ${rowSel(spec.dead)}`, { timeout: OUTCOME_MS });
  const reason = await page.textContent(`#letters ${rowSel(spec.dead)} td.err`);
  await Promise.all([page.waitForURL(/\/confirm\/replay\?/), page.click(`#letters ${rowSel(spec.dead)} a[data-replay]`)]);
  await Promise.all([page.waitForURL(/done=replayed/), page.click('#confirm')]);
  await page.waitForSelector('.notice');
  await page.waitForSelector('#facts[data-status="COMPLETED"]', { timeout: OUTCOME_MS });
  step('replay', { reason: reason.trim(), attempts: (await page.textContent('#attempts')).trim() });

  // 7. Re-deliver a completed event, through the confirmation: counted on the event.
  await page.goto(eventUrl(spec.redeliver));
  await Promise.all([page.waitForURL(/\/confirm\/redeliver\?/), page.click('#redeliver')]);
  await Promise.all([page.waitForURL(/done=redelivered/), page.click('#confirm')]);
  await page.waitForFunction(() => {
    const f = document.getElementById('facts');
    return f && f.dataset.status === 'COMPLETED' && document.getElementById('redeliveries').textContent.trim().startsWith('1');
  }, null, { timeout: OUTCOME_MS });
  step('redeliver');

  // 8. Send test: a signed sample, through the confirmation, shows up completed.
  await page.goto(spec.base + '/send');
  await page.selectOption('#s-sample', spec.send);
  await Promise.all([page.waitForURL(/\/confirm\/send\?/), page.click('#s-next')]);
  await Promise.all([page.waitForURL(/done=sent/), page.click('#confirm')]);
  await page.waitForSelector('#facts[data-status="COMPLETED"]', { timeout: OUTCOME_MS });
  const sent = new URL(page.url()).searchParams;
  step('send test', { source: sent.get('source'), id: sent.get('id') });

  // 9. A cross-site page posting to the console (even with the right token) is refused.
  const confirm = await page.request.get(`${spec.base}/confirm/redeliver?${new URLSearchParams({ source: spec.redeliver.source, id: spec.redeliver.id })}`);
  const token = /name="token" value="([0-9a-f]+)"/.exec(await confirm.text())[1];
  const evil = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form id=f method=post action="${spec.base}/actions/redeliver">
      <input name=token value="${token}"><input name=source value="${spec.redeliver.source}">
      <input name=id value="${spec.redeliver.id}"></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((ok) => evil.listen(0, '127.0.0.1', ok));
  const evilUrl = `http://localhost:${evil.address().port}/`;
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/actions/redeliver')),
    page.goto(evilUrl),
  ]);
  evil.close();
  check(answer.status() === 403, `cross-site POST answered ${answer.status()}`);
  step('cross-site refused', { status: answer.status() });

  check(problems.length === 0, problems.join('; '));
  console.log(JSON.stringify({ ok: true, sent: { source: sent.get('source'), id: sent.get('id') } }));
}

main()
  .then(() => browser.close())
  .then(() => { fs.rmSync(profile, { recursive: true, force: true }); process.exit(0); })
  .catch(async (e) => {
    console.error(`console.mjs: ${e.stack || e}`);
    if (problems.length) console.error(`also: ${problems.join('; ')}`);
    try {
      const p = browser && browser.pages()[0];
      if (p) await p.screenshot({ path: path.join(spec.shots, 'failure.png'), fullPage: true });
    } catch (_) { /* best effort */ }
    try { if (browser) await browser.close(); } catch (_) { /* ignore */ }
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  });
