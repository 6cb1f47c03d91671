// Every screen, every user, one link for the class (issue 15), as app.test.mjs uses it:
// - `audit`: axe-core's WCAG 2 / 2.1 A and AA rules on the whole page, zero violations;
// - `screens`: a panel at 390×844 and 768×1024 beside the desktop shot, and no sideways page
//   scroll at either width nor at 360 px;
// - `thumbs`: the section nav and the training controls are thumb-sized on a phone;
// - `keyboard`: Tab reaches the controls and the scroll boxes, each with a visible focus ring;
// - `liveRegions`: screen readers hear the notices and the train progress (polite live regions);
// - `classLink`: set up a page, "Copy link", open the link in a fresh browser context and find the
//   same setup, with nothing downloaded; a link with bad values says so and keeps the defaults.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import path from 'node:path';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const SIZES = [[390, 844], [768, 1024]];
/// The narrowest phone the page is for: checked, not photographed.
const NARROWEST = [360, 780];
const DESKTOP = { width: 1280, height: 900 };

function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

/// axe-core on the page as it is; throws on any violation (rule, impact, the first elements).
/// Returns the number of rules that passed, for the log.
export async function audit(page, state) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: axePath });
  }
  const result = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  }), TAGS);
  const lines = result.violations.map((v) => `${v.id} (${v.impact}) on ${v.nodes.length}: ` + v.nodes.slice(0, 4)
    .map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`).join(' | '));
  expect(!lines.length, `axe in state "${state}": ${lines.length} kinds of violations:\n  ${lines.join('\n  ')}`);
  return result.passes.length;
}

/// The page's width at the viewport's width: no horizontal page scroll.
async function pageWidth(page) {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
}

/// The panel `#id` at each of `SIZES` (screenshots `name-390.png`, `name-768.png` in `dir`),
/// asserting the page does not scroll sideways there nor at 360 px; then back to the desktop size.
export async function screens(page, id, name, dir) {
  const widths = {};
  try {
    for (const [width, height] of [NARROWEST, ...SIZES]) {
      await page.setViewportSize({ width, height });
      const w = await pageWidth(page);
      widths[width] = w.scroll;
      expect(w.scroll <= w.client, `${name} at ${width} px: the page is ${w.scroll} px wide (${w.client} px visible)`);
      if (width !== NARROWEST[0]) {
        await page.locator(`#${id}`).screenshot({ path: path.join(dir, `${name}-${width}.png`) });
      }
    }
  } finally {
    await page.setViewportSize(DESKTOP);
  }
  return widths;
}

/// On a phone, every section link and every training control is at least 44 px tall and wide
/// enough to hit (WCAG 2.5.5's size; Apple's and Google's guidance).
export async function thumbs(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const selector of ['nav a', '#train .controls button']) {
      const boxes = await page.locator(selector).evaluateAll((all) => all
        .filter((e) => e.offsetParent !== null)
        .map((e) => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.width, r.height]; }));
      expect(boxes.length > 0, `${selector} on a phone`);
      for (const [text, w, h] of boxes) expect(w >= 44 && h >= 44, `${selector} "${text}" is ${w}×${h} px on a phone`);
    }
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

/// Tab through the page from the top: every stop shows a focus ring (an outline of 2 px or
/// more), and the stops include the header's controls, the nav and a scroll box of the tables.
export async function keyboard(page) {
  // A click on the header's corner (no control there) starts the Tab order at the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.click(2, 2);
  const stops = [];
  for (let i = 0; i < 400 && !stops.some((s) => s.region); i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(() => {
      const e = document.activeElement;
      const style = getComputedStyle(e);
      return {
        what: `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} ${(e.getAttribute('aria-label') ?? e.textContent).trim().slice(0, 30)}`,
        ring: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0,
        region: e.getAttribute('role') === 'region',
        nav: !!e.closest('nav'),
      };
    });
    if (s.what.startsWith('body')) break;
    expect(s.ring >= 2, `a visible focus on ${s.what} (outline ${s.ring} px)`);
    stops.push(s);
  }
  const names = stops.map((s) => s.what);
  expect(names.some((n) => n.includes('#copy-link')), `Tab reaches Copy link: ${names.join(', ')}`);
  expect(stops.some((s) => s.nav), 'Tab reaches the section nav');
  expect(stops.some((s) => s.region), `Tab reaches a scroll box: ${names.join(', ')}`);
  return stops.length;
}

/// The notices and the train progress are live regions, and what the train region says is the
/// run's outcome (`finished`: the words expected, "Training finished.").
export async function liveRegions(page, finished) {
  const live = await page.evaluate(() => [...document.querySelectorAll('#notices, #train-announce')]
    .map((e) => [e.id, e.getAttribute('aria-live') ?? (e.getAttribute('role') === 'status' ? 'polite' : null)]));
  expect(live.length === 2 && live.every(([, v]) => v === 'polite'), `live regions: ${JSON.stringify(live)}`);
  const said = await page.locator('#train-announce').innerText();
  expect(said.startsWith(finished) && /Step \d+ of \d+, loss \d/.test(said), `the train region says: ${said}`);
  return said;
}

/// Every value of the setup as the page shows it, by selector.
async function setupValues(page) {
  const fields = ['#hub-endpoint', '#model-repo', '#model-revision', '#glue-task', '#map-text-a', '#map-text-b', '#map-label'];
  const values = {};
  for (const f of fields) values[f] = await page.locator(f).inputValue();
  values.own_files = await page.locator('#dataset details.own').evaluate((d) => d.open);
  for (const e of await page.locator('#train-form [name]').all()) {
    const name = await e.getAttribute('name');
    values[name] = (await e.getAttribute('type')) === 'checkbox' ? await e.isChecked() : await e.inputValue();
  }
  return values;
}

async function open(browser, link, permissions = []) {
  const ctx = await browser.newContext({ viewport: DESKTOP, permissions });
  const page = await ctx.newPage();
  // Any request for a Hub file or the Hub's API: the page must make none before a click.
  const hub = [];
  page.on('request', (r) => { if (/\/(resolve|api)\//.test(new URL(r.url()).pathname)) hub.push(r.url()); });
  await page.goto(link);
  await page.waitForSelector('#worker-status.ok', { timeout: 60_000 });
  return { ctx, page, hub };
}

async function notices(page, kind) {
  return page.locator(`#notices .notice.${kind} .text`).allInnerTexts();
}

/// The link round trip, then a link with bad values. `url`: the app and the Hub (one server).
export async function classLink(url, executablePath) {
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  try {
    // A teacher sets up the page...
    const teacher = await open(browser, `${url}/?hub=${encodeURIComponent(url)}`, ['clipboard-read', 'clipboard-write']);
    const t = teacher.page;
    const defaults = await setupValues(t);
    await t.fill('#model-repo', 'google/bert_uncased_L-4_H-256_A-4');
    await t.fill('#model-revision', 'v1.0');
    await t.locator('#dataset details.own summary').click();
    await t.fill('#map-text-a', 'question');
    await t.fill('#map-text-b', '');
    await t.fill('#map-label', 'target');
    const form = { learning_rate: '0.00002', num_train_epochs: '1', per_device_train_batch_size: '16', warmup_steps: '10', seed: '7' };
    for (const [name, value] of Object.entries(form)) {
      await t.fill(`#train-form [name="${name}"]`, value);
      await t.locator(`#train-form [name="${name}"]`).dispatchEvent('change');
    }
    await t.selectOption('#train-form [name="eval_strategy"]', 'steps');
    await t.selectOption('#train-form [name="backend"]', 'cpu');
    await t.check('#train-form [name="webgpu_f16"]');
    const set = await setupValues(t);
    for (const k of ['#model-repo', '#model-revision', '#map-text-a', '#map-text-b', '#map-label', 'own_files', 'eval_strategy', 'backend', 'webgpu_f16', ...Object.keys(form)]) {
      expect(set[k] !== defaults[k], `the test changes ${k} (${defaults[k]})`);
    }
    // From the keyboard, as the other actions.
    await t.focus('#copy-link');
    await t.keyboard.press('Enter');
    await t.waitForSelector('#copy-status:text("Copied.")', { timeout: 10_000 });
    const link = await t.evaluate(() => navigator.clipboard.readText());
    expect(link === await t.locator('#class-link').inputValue(), `the box shows the copied link: ${link}`);
    expect(link.startsWith(`${url}/?`) && !link.includes('debug'), `a link to this page: ${link}`);
    expect(teacher.hub.length === 0, `setting up loads nothing: ${teacher.hub.join(' ')}`);
    await teacher.ctx.close();

    // ... a student opens the link, in a browser that has never seen the page.
    const student = await open(browser, link);
    const got = await setupValues(student.page);
    for (const [k, v] of Object.entries(set)) expect(got[k] === v, `the link's ${k}: ${JSON.stringify(got[k])}, set ${JSON.stringify(v)}`);
    await student.page.waitForTimeout(1000);
    expect(student.hub.length === 0, `opening the link downloads nothing: ${student.hub.join(' ')}`);
    expect(await student.page.locator('#model-card').count() === 0, 'no checkpoint is loaded');
    const info = (await notices(student.page, 'info')).join(' ');
    expect(info.includes('Nothing is downloaded until you click'), `the page says what the link did: ${info}`);
    expect((await notices(student.page, 'warn')).length === 0, 'a good link has no warnings');
    await audit(student.page, 'opened from a link');

    // A link with a typo and bad values: a notice for each, and the defaults stay.
    const bad = `${url}/?data=glue/sst2&learning_rate=fast&nosuch=1&backend=tpu&per_device_train_batch_size=-4&model=a/b/c&eval_strategy=never`;
    await student.page.goto(bad);
    await student.page.waitForSelector('#worker-status.ok', { timeout: 60_000 });
    const warns = await notices(student.page, 'warn');
    for (const word of ['learning_rate', 'nosuch', 'backend', 'per_device_train_batch_size', 'model', 'eval_strategy']) {
      expect(warns.some((w) => w.includes(`"${word}"`) || w.includes(`${word}=`)), `a notice for ${word}: ${warns.join(' | ')}`);
    }
    expect(warns.length === 6, `one notice per bad value: ${warns.join(' | ')}`);
    const kept = await setupValues(student.page);
    expect(kept['#glue-task'] === 'sst2', `the good value is taken: ${kept['#glue-task']}`);
    for (const k of ['learning_rate', 'backend', 'per_device_train_batch_size', '#model-repo', 'eval_strategy']) {
      expect(kept[k] === defaults[k], `${k} keeps its default ${defaults[k]}: ${kept[k]}`);
    }
    await audit(student.page, 'a link with bad values');
    await student.ctx.close();
    return { link, warnings: warns.length };
  } finally {
    await browser.close();
  }
}
