// Wick's end-to-end test: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded) clicks through the course's chapter 3 in the
// built app, served by `wick hub serve --app dist` next to a Hub-shaped folder (make_hub.py).
//
//   node app.test.mjs --url http://127.0.0.1:PORT --out DIR [--steps 30]
//
// Writes DIR/export/* (the exported model and trainer_state.json), DIR/browser.json (what the
// page showed: token ids, the pair's logits, per-step losses, timings) and a screenshot of
// every panel under DIR/screenshots/. run.sh then checks the export natively.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { audit, classLink, keyboard, liveRegions, screens, thumbs } from './classroom.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const url = arg('url');
const out = arg('out', fs.mkdtempSync(path.join(os.tmpdir(), 'wick-e2e-')));
const steps = Number(arg('steps', '30'));
const model = arg('model', 'sentence-transformers/all-MiniLM-L6-v2');
const shots = path.join(out, 'screenshots');
if (!url) throw new Error('--url http://127.0.0.1:PORT (wick hub serve --app dist) is required');
fs.mkdirSync(shots, { recursive: true });
fs.mkdirSync(path.join(out, 'export'), { recursive: true });

const MINUTE = 60_000;
const log = (...a) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
const started = Date.now();
const result = { url, steps, model, timings: {}, page_widths: {}, axe_states: [] };

function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

async function launch() {
  const profile = fs.mkdtempSync(path.join(out, 'chromium-'));
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

/// Wait for a selector, failing early (with the message) if an error notice shows up;
/// `onPoll` runs at each look.
async function waitFor(page, selector, during, timeout = 5 * MINUTE, onPoll = null) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.locator(selector).count()) return;
    await noErrors(page, during);
    if (onPoll) await onPoll();
    await page.waitForTimeout(200);
  }
  throw new Error(`${during}: ${selector} did not appear in ${timeout / 1000}s`);
}

/// The panel at the desktop size, then at a phone's and a tablet's (no sideways page scroll).
async function shot(page, panel, name = panel) {
  const file = path.join(shots, `${name}.png`);
  await page.locator(`#${panel}`).screenshot({ path: file });
  result.page_widths[name] = await screens(page, panel, name, shots);
  log('screenshot', path.relative(process.cwd(), file), 'and at', JSON.stringify(result.page_widths[name]));
}

/// axe-core (WCAG 2 A/AA) on the page in this state: no violations.
async function accessible(page, state) {
  const passed = await audit(page, state);
  result.axe_states.push(state);
  log(`axe, ${state}: no violations (${passed} rules pass)`);
}

async function openApp(ctx) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`console.${m.type()}:`, m.text()); });
  page.on('pageerror', (e) => log('pageerror:', e.message));
  const opened = Date.now();
  // debug=1 shows the "Simulate a lost GPU" button.
  await page.goto(`${url}/?hub=${encodeURIComponent(url)}&debug=1`);
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

/// Wait for an error notice that includes `text`, then dismiss it (an expected error).
async function expectError(page, text, during) {
  const notice = page.locator('#notices .notice.error', { hasText: text });
  await notice.first().waitFor({ timeout: 2 * MINUTE }).catch(async () => {
    const all = await page.locator('#notices .notice').allInnerTexts();
    throw new Error(`${during}: no error notice with "${text}" (notices: ${all.join(' | ') || 'none'})`);
  });
  const message = await notice.first().locator('.text').innerText();
  await notice.first().locator('button.close').click();
  log(`${during}: the page says`, JSON.stringify(message));
  return message;
}

/// Pause mid-run: the step count holds still until Resume. (The run's losses must still equal
/// the native run's: compare.py.)
async function pauseAndResume(page) {
  await waitFor(page, '#train-progress:has-text("step 3 /")', 'the third step');
  await page.click('#train-pause');
  await waitFor(page, '#train-state:text("Paused")', 'pausing');
  const held = await page.locator('#train-progress').innerText();
  await page.waitForTimeout(3000);
  expect(await page.locator('#train-progress').innerText() === held, `no steps while paused: ${held}`);
  await page.click('#train-resume');
  await waitFor(page, '#train-state:text("Running")', 'resuming');
}

/// The user's own files with a column mapping, then files that are wrong, a missing Hub repo,
/// and a worker crash: each a clear message, and the page goes on.
async function ownFilesAndErrors(page, dir) {
  const train = path.join(dir, 'pairs_train.csv');
  const rows = [['question', 'answer', 'target']];
  for (let i = 0; i < 12; i++) {
    rows.push([`"Is ${i}, the number, even?"`, i % 2 ? 'It is odd.' : 'It is even.', String(1 - (i % 2))]);
  }
  fs.writeFileSync(train, rows.map((r) => r.join(',')).join('\n') + '\n');
  const validation = path.join(dir, 'pairs_validation.jsonl');
  fs.writeFileSync(validation, [0, 1, 2, 3].map((i) => JSON.stringify({ question: `Is ${i} even?`, answer: 'Yes.', target: 1 - (i % 2) })).join('\n') + '\n');
  await page.locator('#dataset details.own summary').click();
  await page.setInputFiles('#data-train', train);
  await page.setInputFiles('#data-validation', validation);
  await page.fill('#map-text-a', 'question');
  await page.fill('#map-text-b', 'answer');
  await page.fill('#map-label', 'target');
  await page.click('#data-files-load');
  await waitFor(page, '#dataset-summary:has-text("pairs_train")', 'loading your own files');
  const summary = await page.locator('#dataset-summary').innerText();
  expect(/train\s+12/.test(summary) && /validation\s+4/.test(summary), `own splits: ${summary}`);
  await page.click('#map-run');
  await waitFor(page, '#mapped:has-text("Columns now")', 'mapping your own files');
  expect(await page.locator('#mapped svg').count() > 0, 'a histogram of sequence lengths');
  await shot(page, 'dataset', 'dataset-own-files');

  // A project with the user's own data: over the allowance, the page asks before copying it in.
  await page.fill('#project-max-mb', '0');
  await page.locator('#project-max-mb').dispatchEvent('change');
  await page.click('#project-export');
  await waitFor(page, '#project-ask', 'asking before copying own data into the project');
  await page.click('#project-copy-anyway');
  await waitFor(page, '#project-files li:has-text("wick-project/data/train.jsonl")', 'the project with own data');

  // A label column that is not there: the message names the file, the line and the columns.
  await page.fill('#map-label', 'gold');
  await page.click('#data-files-load');
  const missing = await expectError(page, 'gold', 'a missing column');
  expect(missing.includes('pairs_train.csv') && missing.includes('question, answer, target'), `which file, which columns: ${missing}`);

  await page.fill('#model-repo', 'wick-test/no-such-model');
  await page.click('#model-load');
  const notFound = await expectError(page, 'not found', 'a repository that is not there');
  expect(notFound.includes('wick-test/no-such-model'), `names the repository: ${notFound}`);

  await page.click('#debug-crash');
  await expectError(page, 'worker crashed', 'a panic in the worker');
  await waitFor(page, '#worker-status.ok', 'a new worker after the crash', MINUTE);
  expect(await page.locator('#train-log').count() > 0, 'the page keeps what it showed');
}

/// "Run it on a GPU server": the zip goes to DIR/wick-project.zip (run.sh runs its train.py
/// with PyTorch); the page shows the launch lines, with Wick's effective batch on 2 processes.
async function exportProject(page) {
  await page.click('#project-export');
  await waitFor(page, '#project-download', 'exporting the project');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#project-download')]);
  await download.saveAs(path.join(out, 'wick-project.zip'));
  const launch = await page.locator('#project-launch').innerText();
  expect(launch.includes('torchrun --nproc_per_node 2 train.py --per-device-train-batch-size 4')
    && launch.includes('python train.py --from-wick-weights'), `launch lines: ${launch}`);
  const files = await page.locator('#project-files li').allTextContents(); // in a closed <details>
  expect(files.some((f) => f.includes('wick-project/wick_model/model.safetensors')), `the trained weights: ${files}`);
  result.project_launch = launch;
}

/// Per-step losses of the last run, from the log table (full values in data-loss).
async function losses(page) {
  return page.locator('#train-log tbody tr').evaluateAll((rows) => rows
    .filter((r) => r.dataset.loss !== '')
    .map((r) => [Number(r.dataset.step), Number(r.dataset.loss)]));
}

/// The speed the log history gives (the trainer's examples/s, to the device's completion)
/// against the worker's wall clock between the logs of steps 1 and 3: within 20 %.
async function loggedSpeed(page, batch) {
  const rows = await page.locator('#train-log tbody tr').evaluateAll((rs) => rs
    .filter((r) => r.dataset.examplesPerSecond !== '')
    .map((r) => ({ step: Number(r.dataset.step), rate: Number(r.dataset.examplesPerSecond), wall: Number(r.dataset.wall) })));
  expect(rows.length >= 3, `a log per step: ${JSON.stringify(rows)}`);
  const [first, ...rest] = rows;
  const logged = rest.reduce((s, r) => s + batch / r.rate, 0);
  const wall = rest[rest.length - 1].wall - first.wall;
  const ratio = logged / wall;
  log(`WebGPU speed: the log says ${logged.toFixed(2)} s for steps 2-${rows.length}, the wall clock ${wall.toFixed(2)} s (ratio ${ratio.toFixed(3)})`);
  expect(ratio > 0.8 && ratio < 1.2, `the logged speed agrees with the wall clock within 20 %: ${ratio}`);
  return { logged_s: logged, wall_s: wall, ratio, rows };
}

/// Checkpoints a course reader swaps in, from the local Hub: one fine-tuned for 3 labels (on
/// MRPC it needs "Ignore mismatched sizes", and the load report lists both shapes), and an
/// older repo with vocab.txt and no tokenizer.json (the tokenizer is built from it, with the
/// ids Python gives).
async function otherCheckpoints(page) {
  await page.fill('#model-repo', 'wick-test/minilm-3-labels');
  await page.click('#model-load');
  const mismatch = await expectError(page, 'size mismatch for classifier.weight', 'a head for 3 labels on MRPC');
  expect(mismatch.includes('[3, 384]') && mismatch.includes('[2, 384]') && mismatch.includes('Ignore mismatched sizes'),
    `both shapes, and what to do: ${mismatch}`);
  await page.check('#model-ignore-mismatched');
  await page.click('#model-load');
  await waitFor(page, '#load-mismatched', 'loading with ignore_mismatched_sizes');
  const report = await page.locator('#load-report').innerText();
  expect(report.includes('classifier.weight: found shape [3, 384] in the checkpoint and [2, 384] in the model instantiated')
    && report.includes('config.json has 3 labels (entailment, neutral, contradiction)'), `the load report: ${report}`);
  await shot(page, 'checkpoint', 'checkpoint-mismatched');
  await page.uncheck('#model-ignore-mismatched');

  await page.fill('#model-repo', 'wick-test/minilm-vocab-only');
  await page.click('#model-load');
  await waitFor(page, '#model-card:has-text("built from vocab.txt")', 'a checkpoint with vocab.txt only');
  await page.fill('#tok-a', "I've been waiting for a HuggingFace course my whole life.");
  await page.fill('#tok-b', 'This course is amazing!');
  await page.click('#tok-run');
  await waitFor(page, '#tokens', 'tokenizing with the tokenizer built from vocab.txt');
  const dict = await page.locator('pre.dict').innerText();
  expect(dict.includes('[101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102, 2023, 2607, 2003, 6429, 999, 102]'),
    `the ids Python's AutoTokenizer gives: ${dict}`);
}

/// The same short run on the CPU, on WebGPU (SwiftShader here), and on WebGPU with the device
/// destroyed during the run (it must go on on the CPU from the last log). compare.py checks the
/// losses.
async function webgpu(page) {
  const run = { max_steps: 3, logging_steps: 1, eval_strategy: 'no', per_device_train_batch_size: 2, seed: 42 };
  const timed = async (form, during, onProgress) => {
    const t = Date.now();
    await train(page, form);
    const poll = onProgress && (async () => onProgress(await page.locator('#train-progress').innerText()));
    await waitFor(page, '#train-state:text("Finished")', during, 20 * MINUTE, poll);
    const backend = await page.locator('#train-backend').innerText();
    log(during, `${((Date.now() - t) / 1000).toFixed(1)} s:`, backend);
    return { seconds: (Date.now() - t) / 1000, backend, losses: await losses(page) };
  };
  const gpu = { cpu: await timed({ ...run, backend: 'cpu' }, 'cpu, batch 2') };
  gpu.webgpu = await timed({ ...run, backend: 'webgpu' }, 'webgpu, batch 2');
  expect(gpu.webgpu.backend.startsWith('WebGPU'), `trained on WebGPU: ${gpu.webgpu.backend}`);
  gpu.webgpu.speed = await loggedSpeed(page, run.per_device_train_batch_size);
  await shot(page, 'train', 'train-webgpu');
  let lost = false;
  // The click lands while step 2 runs; the device goes before the next step.
  gpu.lost = await timed({ ...run, backend: 'webgpu' }, 'webgpu, GPU lost', async (progress) => {
    if (!lost && progress.includes('step 1 /')) {
      lost = true;
      await page.click('#train-lose-gpu');
    }
  });
  const resumed = /goes on on the CPU from step (\d+)/.exec(gpu.lost.backend);
  expect(lost && resumed, `fell back to the CPU: ${gpu.lost.backend}`);
  gpu.lost.resumed_from = Number(resumed[1]);
  return gpu;
}

async function main() {
  let ctx = await launch();
  try {
    // --- first visit: everything downloads ---
    let { page, opened } = await openApp(ctx);
    result.timings.worker_ready_s = (Date.now() - opened) / 1000;
    log('worker ready');
    await accessible(page, 'loaded');
    await loadModel(page);
    await shot(page, 'checkpoint');
    await loadData(page);
    await shot(page, 'dataset');
    await tokenizeAndMap(page);
    await shot(page, 'tokenize');
    await accessible(page, 'mapped');

    await page.click('#batches-show');
    await waitFor(page, '#batch-grids', 'drawing batches');
    const saved = await page.locator('#padding-saved').innerText();
    expect(/saves \d+%/.test(saved), `padding saved: ${saved}`);
    await shot(page, 'batches');
    await accessible(page, 'batches drawn');
    log('keyboard: a visible focus on each of', await keyboard(page), 'tab stops to the first scroll box');

    const trainStart = Date.now();
    await train(page, {
      max_steps: steps, logging_steps: 1, eval_strategy: 'steps', eval_steps: steps,
      seed: 42, per_device_train_batch_size: 8, backend: 'cpu',
    });
    await pauseAndResume(page);
    await waitFor(page, '#train-state:text("Finished")', 'training', 30 * MINUTE);
    result.timings.train_s = (Date.now() - trainStart) / 1000;
    result.progress = await page.locator('#train-progress').innerText();
    log('trained:', result.progress);
    await shot(page, 'train');
    await accessible(page, 'trained');
    await thumbs(page);
    log('a screen reader hears:', await liveRegions(page, 'Training finished.'));

    await page.click('#predict-run');
    await waitFor(page, '#predictions', 'predicting the validation split');
    await waitFor(page, '#confusion', 'the confusion matrix');
    result.metrics = await page.locator('#evaluate h3').first().innerText();
    const heads = await page.locator('#metric-table tr').first().locator('th').allInnerTexts();
    expect(heads.filter((h) => h.trim() === 'epoch').length === 1, `one epoch column: ${heads.join(' | ')}`);
    await shot(page, 'evaluate');

    await page.fill('#try-a', 'The company said profits rose 5% in the third quarter.');
    await page.fill('#try-b', 'Third-quarter profits were up 5 percent, the company said.');
    await page.click('#try-run');
    await waitFor(page, '#try-result', 'classifying a pair');
    const logits = await page.locator('#try-result td.num:has-text("logit")').allInnerTexts();
    result.pair_logits = logits.map((t) => Number(t.replace('logit', '').trim()));
    await shot(page, 'try');
    await accessible(page, 'predictions');

    await page.click('#export-run');
    await waitFor(page, '#export-files a', 'exporting');
    for (const link of await page.locator('#export-files a').all()) {
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const name = await link.getAttribute('download');
      await download.saveAs(path.join(out, 'export', name));
    }
    await exportProject(page);
    await shot(page, 'export');
    await accessible(page, 'export');
    // A projector's dark scheme: the same checks on every colour.
    await page.emulateMedia({ colorScheme: 'dark' });
    await accessible(page, 'export, dark');
    await shot(page, 'evaluate', 'evaluate-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await noErrors(page, 'the whole run');
    await ownFilesAndErrors(page, out);

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
    await train(page, { max_steps: 3, logging_steps: 1, eval_strategy: 'no', backend: 'cpu' });
    // `:has-text`: the progress line's text sits in a child element.
    await waitFor(page, '#train-progress:has-text("step 1 /")', 'the first step after a reload', 5 * MINUTE);
    result.timings.open_to_first_step_cached_s = (Date.now() - opened) / 1000;
    await waitFor(page, '#train-state:text("Finished")', 'the short run', 5 * MINUTE);

    // Stop keeps what was trained: Try it still answers.
    await train(page, { max_steps: 100, logging_steps: 1, eval_strategy: 'no', per_device_train_batch_size: 2, backend: 'cpu' });
    await waitFor(page, '#train-progress:has-text("step 2 /")', 'two steps before Stop');
    await page.click('#train-stop');
    await waitFor(page, '#train-state:text("Stopped")', 'stopping');
    await page.click('#try-run');
    await waitFor(page, '#try-result', 'Try it after Stop');

    result.webgpu = await webgpu(page);
    await otherCheckpoints(page);
  } finally {
    await ctx.close();
  }
  result.class_link = await classLink(url, process.env.CHROMIUM || '/usr/bin/chromium');
  log('class link round trip:', result.class_link.link);
  fs.writeFileSync(path.join(out, 'browser.json'), JSON.stringify(result, null, 2));
  log('ok', JSON.stringify(result.timings));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
