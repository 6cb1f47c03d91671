// Wick's end-to-end test: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded) clicks through the course's chapter 3 in the
// built app, served by `wick hub serve --app dist` next to a Hub-shaped folder (make_hub.py).
//
//   node app.test.mjs --url http://127.0.0.1:PORT --out DIR [--steps 30]
//
// Writes DIR/export/* (the exported model and trainer_state.json), DIR/browser.json (what the
// page showed: token ids, the pair's logits, per-step losses, timings) and a screenshot of
// every panel under tests/e2e/screenshots/. run.sh then checks the export natively.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const url = arg('url');
const out = arg('out', fs.mkdtempSync(path.join(os.tmpdir(), 'wick-e2e-')));
const steps = Number(arg('steps', '30'));
const model = arg('model', 'sentence-transformers/all-MiniLM-L6-v2');
const shots = path.join(here, 'screenshots');
if (!url) throw new Error('--url http://127.0.0.1:PORT (wick hub serve --app dist) is required');
fs.mkdirSync(shots, { recursive: true });
fs.mkdirSync(path.join(out, 'export'), { recursive: true });

const MINUTE = 60_000;
const log = (...a) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
const started = Date.now();
const result = { url, steps, model, timings: {} };

function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wick-chromium-'));
  // A persistent context is how playwright takes a fresh --user-data-dir.
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu',
    ],
  });
}

/// Fail at once when the page shows an error notice.
async function noErrors(page, during) {
  const errors = await page.locator('#notices .notice.error .text').allInnerTexts();
  if (errors.length) throw new Error(`${during}: the page shows an error: ${errors.join(' | ')}`);
}

/// Wait for a selector, failing early (with the message) if an error notice shows up.
async function waitFor(page, selector, during, timeout = 5 * MINUTE) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.locator(selector).count()) return;
    await noErrors(page, during);
    await page.waitForTimeout(200);
  }
  throw new Error(`${during}: ${selector} did not appear in ${timeout / 1000}s`);
}

async function shot(page, panel) {
  const file = path.join(shots, `${panel}.png`);
  await page.locator(`#${panel}`).screenshot({ path: file });
  log('screenshot', path.relative(process.cwd(), file));
}

async function openApp(ctx) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`console.${m.type()}:`, m.text()); });
  page.on('pageerror', (e) => log('pageerror:', e.message));
  const opened = Date.now();
  await page.goto(`${url}/?hub=${encodeURIComponent(url)}`);
  await waitFor(page, '#worker-status.ok', 'starting the worker', MINUTE);
  return { page, opened };
}

async function loadModel(page) {
  await page.fill('#model-repo', model);
  await page.click('#model-load');
  await waitFor(page, '#model-card', 'loading the checkpoint');
  const report = await page.locator('#load-report').innerText();
  expect(report.includes('classifier.weight') && report.includes('classifier.bias'), `the load report names the new head: ${report}`);
}

async function loadData(page) {
  await page.selectOption('#glue-task', 'mrpc');
  await page.click('#glue-load');
  await waitFor(page, '#dataset-summary', 'loading MRPC');
  await waitFor(page, '#row-browser', 'showing rows');
  const summary = await page.locator('#dataset-summary').innerText();
  expect(/train\s+3668/.test(summary) && /validation\s+408/.test(summary), `MRPC splits: ${summary}`);
  expect(summary.includes('not_equivalent') && summary.includes('equivalent'), 'label names');
}

async function tokenizeAndMap(page) {
  await page.click('#tok-run');
  await waitFor(page, '#tokens', 'tokenizing the course example');
  const dict = await page.locator('pre.dict').innerText();
  // The course's example with the bert-base-uncased vocabulary (MiniLM's).
  expect(dict.includes('[101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102, 2023, 2607, 2003, 6429, 999, 102]'), `input_ids: ${dict}`);
  expect(dict.includes(`[${Array(16).fill(0).concat(Array(6).fill(1)).join(', ')}]`), `token_type_ids: ${dict}`);
  await page.click('#map-run');
  await waitFor(page, '#mapped', 'mapping the tokenizer over the splits');
}

async function train(page, form) {
  for (const [name, value] of Object.entries(form)) {
    const field = page.locator(`#train-form [name="${name}"]`);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(String(value));
    else { await field.fill(String(value)); await field.dispatchEvent('change'); }
  }
  await page.click('#train-start');
}

async function main() {
  let ctx = await launch();
  try {
    // --- first visit: everything downloads ---
    let { page, opened } = await openApp(ctx);
    result.timings.worker_ready_s = (Date.now() - opened) / 1000;
    log('worker ready');
    await loadModel(page);
    await shot(page, 'checkpoint');
    await loadData(page);
    await shot(page, 'dataset');
    await tokenizeAndMap(page);
    await shot(page, 'tokenize');

    await page.click('#batches-show');
    await waitFor(page, '#batch-grids', 'drawing batches');
    const saved = await page.locator('#padding-saved').innerText();
    expect(/saves \d+%/.test(saved), `padding saved: ${saved}`);
    await shot(page, 'batches');

    const trainStart = Date.now();
    await train(page, {
      max_steps: steps, logging_steps: 1, eval_strategy: 'steps', eval_steps: steps,
      seed: 42, per_device_train_batch_size: 8, backend: 'cpu',
    });
    await waitFor(page, '#train-state:text("Finished")', 'training', 30 * MINUTE);
    result.timings.train_s = (Date.now() - trainStart) / 1000;
    result.progress = await page.locator('#train-progress').innerText();
    log('trained:', result.progress);
    await shot(page, 'train');

    await page.click('#predict-run');
    await waitFor(page, '#predictions', 'predicting the validation split');
    await waitFor(page, '#confusion', 'the confusion matrix');
    result.metrics = await page.locator('#evaluate h3').first().innerText();
    await shot(page, 'evaluate');

    await page.fill('#try-a', 'The company said profits rose 5% in the third quarter.');
    await page.fill('#try-b', 'Third-quarter profits were up 5 percent, the company said.');
    await page.click('#try-run');
    await waitFor(page, '#try-result', 'classifying a pair');
    const logits = await page.locator('#try-result td.num:has-text("logit")').allInnerTexts();
    result.pair_logits = logits.map((t) => Number(t.replace('logit', '').trim()));
    await shot(page, 'try');

    await page.click('#export-run');
    await waitFor(page, '#export-files a', 'exporting');
    for (const link of await page.locator('#export-files a').all()) {
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const name = await link.getAttribute('download');
      await download.saveAs(path.join(out, 'export', name));
    }
    await shot(page, 'export');
    await noErrors(page, 'the whole run');

    // --- second visit: the checkpoint comes from the Cache API ---
    await page.reload();
    opened = Date.now();
    await waitFor(page, '#worker-status.ok', 'restarting the worker', MINUTE);
    await loadModel(page);
    const cached = await page.locator('#checkpoint .downloads').innerText();
    expect(cached.includes('from cache'), `a reload takes the checkpoint from the cache: ${cached}`);
    await loadData(page);
    await page.click('#map-run');
    await waitFor(page, '#mapped', 'mapping again');
    await train(page, { max_steps: 3, logging_steps: 1, eval_strategy: 'no' });
    // `:has-text`: the progress line's text sits in a child element.
    await waitFor(page, '#train-progress:has-text("step 1 /")', 'the first step after a reload', 5 * MINUTE);
    result.timings.open_to_first_step_cached_s = (Date.now() - opened) / 1000;
    await waitFor(page, '#train-state:text("Finished")', 'the short run', 5 * MINUTE);
  } finally {
    await ctx.close();
  }
  fs.writeFileSync(path.join(out, 'browser.json'), JSON.stringify(result, null, 2));
  log('ok', JSON.stringify(result.timings));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
