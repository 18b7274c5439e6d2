// The kg-ls extension in the real VS Code (code-server in headless Chromium), driven with the
// keys a user presses: completion, a terminology warning and its quick fix, hover, go to
// definition, references, workspace symbols, the outline and the links of a concept file, the
// knowledge-base search and the rebuild of its index, the statistics command, the concept graph
// view (with screenshots), semantic tokens, document highlights, inlay hints (once the setting is
// on), rename through the Refactor Preview and the call hierarchy, on a copy of examples/demo,
// with default settings (only `kg-ls.path`).
//
// run.sh installs the tools, starts code-server and runs this file; it is not meant to be run
// by hand. Environment: KG_E2E_URL (the workbench URL with ?folder=), KG_E2E_SETTINGS (the
// profile's settings.json), KG_E2E_LOGS (code-server's logs folder), KG_E2E_ARTIFACTS (where
// screenshots go), KG_E2E_PLAYWRIGHT (the playwright-core package folder), KG_E2E_PROFILE
// (Chromium's fresh user data folder).
//
// Every check is a step in CHECKS below; a failed step is reported with a screenshot and the
// next steps still run, so one run shows everything that is broken. Every wait has a timeout.
// Exit status: 0 when all checks pass, 1 otherwise.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run e2e/run.sh)`);
  return v;
};
const url = env('KG_E2E_URL');
const logs = env('KG_E2E_LOGS');
const artifacts = env('KG_E2E_ARTIFACTS');
const settingsFile = env('KG_E2E_SETTINGS');
/** The example the workspace is a copy of (run.sh copies examples/demo). */
const demo = fileURLToPath(new URL('../../../examples/demo/', import.meta.url));
const { chromium } = await import(pathToFileURL(path.join(env('KG_E2E_PLAYWRIGHT'), 'index.mjs')).href);

/** The longest a single wait may take; the whole run is bounded by run.sh's timeout too. */
const WAIT = 30_000;
/** The longest the first completion may wait for the server to finish loading the graph. */
const FIRST_LOAD = 60_000;

const browser = await chromium.launchPersistentContext(env('KG_E2E_PROFILE'), {
  executablePath: process.env.KG_E2E_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1400, height: 900 },
  timeout: WAIT,
});
browser.setDefaultTimeout(WAIT);
const page = browser.pages()[0] ?? (await browser.newPage());

// Every notification the workbench shows, also the ones that time out before a check looks.
await page.addInitScript(() => {
  const seen = new Set();
  window.__kgNotifications = seen;
  setInterval(() => {
    for (const el of document.querySelectorAll('.notification-list-item-message')) {
      const text = el.textContent?.trim();
      if (text) seen.add(text);
    }
  }, 200);
});
page.on('pageerror', (e) => console.log(`   (page error: ${e.message})`));

/** The text of the rendered line the cursor is on (the focused editor's current line). */
async function cursorLine(editor) {
  return editor.evaluate((root) => {
    const current = root.querySelector('.view-overlays .current-line');
    const top = current?.parentElement?.style.top;
    const line = [...root.querySelectorAll('.view-lines .view-line')].find((l) => l.style.top === top);
    return line ? line.textContent.replace(/\u00a0/g, ' ') : null;
  });
}

/** Where `word` is on screen in the first rendered line of `editor` that contains `context`. */
// The editor re-renders its lines a moment after a key (Ctrl+Home, a scroll): look again until
// the word is there or WAIT has passed.
async function findWord(editor, context, word) {
  const until = Date.now() + WAIT;
  for (;;) {
    const at = await wordBox(editor, context, word);
    if (at || Date.now() > until) return at;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function wordBox(editor, context, word) {
  return editor.evaluate(
    (root, [context, word]) => {
      for (const line of root.querySelectorAll('.view-lines .view-line')) {
        const text = line.textContent.replace(/\u00a0/g, ' ');
        const at = text.indexOf(context);
        if (at < 0) continue;
        let offset = at + context.indexOf(word);
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (offset < node.length) {
            const range = document.createRange();
            range.setStart(node, offset);
            range.setEnd(node, Math.min(node.length, offset + word.length));
            const r = range.getClientRects()[0];
            return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
          }
          offset -= node.length;
        }
      }
      return null;
    },
    [context, word],
  );
}

/**
 * Puts the cursor on `word` (in the line that has `context`) as a user does, by clicking it.
 * A hover left open by the mouse (the hover check leaves one) can lie over the word and take
 * the click: it is closed first, and the cursor's line is checked before any key is pressed.
 */
async function clickWord(context, word) {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.mouse.move(2, 2);
    await page.locator('.monaco-hover').filter({ visible: true }).first().waitFor({ state: 'hidden', timeout: 2000 }).catch(() => undefined);
    // The word where it stays: a view still scrolling (after Ctrl+Home, say) moves it under
    // the pointer, and the click lands on another line.
    let at = await findWord(activeEditor(), context, word);
    for (let settled = 0; at && settled < 20; settled++) {
      await page.waitForTimeout(100);
      const again = await findWord(activeEditor(), context, word);
      if (again && again.x === at.x && again.y === at.y) break;
      at = again;
    }
    if (!at) fail(`\`${context}\` is not on screen`);
    await page.mouse.click(at.x, at.y);
    await page.keyboard.press('Escape');
    if (await cursorOnLineWith(context)) return at;
    const line = await cursorLine(activeEditor());
    if (attempt === 3) fail(`clicking \`${word}\` leaves the cursor on the line ${JSON.stringify(line)}`);
    console.log(`   (the click on \`${word}\` left the cursor on ${JSON.stringify(line)}: clicking again)`);
  }
}

/**
 * Whether the cursor is on the rendered line that has `context` (one segment of a wrapped line:
 * VS Code highlights each segment of the cursor's line).
 */
async function cursorOnLineWith(context) {
  return activeEditor().evaluate((root, context) => {
    const line = [...root.querySelectorAll('.view-lines .view-line')].find((l) => l.textContent.replace(/\u00a0/g, ' ').includes(context));
    return !!line && [...root.querySelectorAll('.view-overlays .current-line')].some((c) => c.parentElement?.style.top === line.style.top);
  }, context);
}

/**
 * Adds `entry` (`"key": value`) to the user settings as a user does: open the settings file,
 * paste the line, save. (VS Code does not see a change written to the file behind its back.)
 */
async function addUserSetting(entry) {
  await palette('Preferences: Open User Settings (JSON)');
  await page.waitForFunction(() => document.querySelector('.part.editor .tab.active .label-name')?.textContent === 'settings.json', null, {
    timeout: WAIT,
  });
  await activeEditor().locator('textarea').focus();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.insertText(`${entry},`);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  const deadline = Date.now() + WAIT;
  while (!readFileSync(settingsFile, 'utf8').includes(entry)) {
    if (Date.now() > deadline) fail(`settings.json was not saved with ${entry}: ${readFileSync(settingsFile, 'utf8')}`);
    await page.waitForTimeout(200);
  }
}

/** What the editor shows besides a result, for a failure's message: inline messages, peeks. */
async function editorState() {
  return {
    cursorLine: await cursorLine(activeEditor()).catch(() => null),
    messages: await page.locator('.monaco-editor-overlaymessage').filter({ visible: true }).allTextContents().catch(() => []),
    peeks: await page.locator('.zone-widget').count().catch(() => 0),
    focused: await page.evaluate(() => document.activeElement?.className ?? null).catch(() => null),
  };
}

const activeEditor = () => page.locator('.part.editor .editor-instance .monaco-editor').filter({ visible: true }).first();
const activeTab = () => page.locator('.part.editor .tab.active .label-name').first();
const quickInput = () => page.locator('.quick-input-widget').filter({ visible: true });
const quickRows = () => quickInput().locator('.monaco-list-row');

/**
 * Presses `key` until the quick input (Ctrl+P, Ctrl+T, F1) shows: right after the workbench
 * appears, its keybindings may not be in place yet, and a user would press the key again.
 */
async function openQuickInput(key) {
  const input = quickInput().locator('input');
  const deadline = Date.now() + WAIT;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press(key);
    if (await input.waitFor({ timeout: 3000 }).then(() => true, () => false)) return;
    if (Date.now() > deadline) fail(`${key} shows no quick input`);
  }
}

/** Waits up to `ms` for the active editor tab to be `name`; says whether it is. */
const tabIs = (name, ms) =>
  page
    .waitForFunction((n) => document.querySelector('.part.editor .tab.active .label-name')?.textContent === n, name, { timeout: ms })
    .then(() => true, () => false);

/**
 * Opens a file as a user does: Ctrl+P, its name, Enter; again if something took the focus
 * meanwhile (VS Code opens its welcome pages while the workbench starts).
 */
async function quickOpen(name) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    await openQuickInput('Control+p');
    await page.keyboard.type(name, { delay: 20 });
    const row = quickRows().filter({ hasText: name }).first();
    if (await row.waitFor({ timeout: 5000 }).then(() => true, () => false)) {
      await page.keyboard.press('Enter');
      if (await tabIs(name, 5000)) break;
    }
    if (Date.now() > deadline) fail(`Ctrl+P "${name}" does not open it`);
  }
  await activeEditor().locator('textarea').focus();
}

/** Makes `name` the active editor, with the keyboard focus in it. */
async function showFile(name) {
  await page.keyboard.press('Escape');
  if (await tabIs(name, 100)) await activeEditor().locator('textarea').focus();
  else await quickOpen(name);
}

/** Runs a command by its title from the command palette (F1). */
async function palette(title) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    await openQuickInput('F1');
    await page.keyboard.type(title, { delay: 20 });
    if (await quickRows().filter({ hasText: title }).first().waitFor({ timeout: 5000 }).then(() => true, () => false)) break;
    // The palette closes when something takes the focus while it opens; a user opens it again.
    const typed = await quickInput().locator('input').inputValue().catch(() => null);
    if (Date.now() > deadline) fail(`F1 "${title}" finds no command (the palette holds ${JSON.stringify(typed)})`);
    console.log(`   (F1 "${title}": no such row, the palette holds ${JSON.stringify(typed)}; again)`);
  }
  await page.keyboard.press('Enter');
}

/** The 1-based line and column (UTF-16, as VS Code counts) where `word` first is in `file`. */
function lineCol(file, word) {
  const lines = readFileSync(path.join(demo, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(word));
  if (line < 0) throw new Error(`${word} is not in examples/demo/${file}`);
  return { line: line + 1, col: lines[line].indexOf(word) + 1 };
}

/** The texts of the status bar's items (e.g. "Ln 9, Col 262 (9 selected)"). */
const statusItems = () => page.locator('.part.statusbar .statusbar-item').allTextContents();

/**
 * Opens "kg-ls: Search Knowledge Base" and types `query`; waits until a row has every text of
 * `texts`. The full-text index may still be building when the first answer comes: a user who
 * sees nothing types the last letter again.
 */
async function searchFor(query, texts) {
  await palette('kg-ls: Search Knowledge Base');
  const title = quickInput().locator('.quick-input-title');
  try {
    await title.filter({ hasText: 'Search Knowledge Base' }).waitFor();
  } catch {
    fail(`no "Search Knowledge Base" Quick Pick; the quick input's title is ${JSON.stringify(await title.textContent().catch(() => null))}`);
  }
  await page.keyboard.type(query, { delay: 30 });
  let row = quickRows();
  for (const text of texts) row = row.filter({ hasText: text });
  const deadline = Date.now() + FIRST_LOAD;
  for (;;) {
    if (await row.first().waitFor({ timeout: 5000 }).then(() => true, () => false)) return row.first();
    // An error shows in the title: asking again does not help.
    if (Date.now() > deadline || /has no kg-ls\/search|search failed/.test((await title.textContent().catch(() => '')) ?? '')) {
      const rows = await quickRows().allTextContents().catch(() => []);
      fail(`"${query}" lists ${JSON.stringify(rows)} under ${JSON.stringify(await title.textContent().catch(() => null))}, no row with ${texts.map(String).join(", ")}`);
    }
    await page.keyboard.press('Backspace');
    await page.keyboard.type(query.slice(-1));
  }
}

/** All files under `dir` (code-server's logs), with their text. */
function logFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

/** The lines of the log files whose name ends with `suffix`. */
const logLines = (suffix) =>
  logFiles(logs)
    .filter((f) => f.path.endsWith(suffix))
    .flatMap((f) => f.text.split('\n').map((line) => ({ file: path.relative(logs, f.path), line })));

/** The server's debug lines (kg-ls.log) about `method`: what each such request got. */
const serverSaid = (method) =>
  logLines('kg-ls.log')
    .map((l) => l.line)
    .filter((l) => l.includes(method))
    .slice(-6);

// ---- The concept graph view ("kg-ls: Show Concept Graph"): helpers of its checks below. ----

/** The webview frame that draws the concept graph (code-server nests it in two iframes). */
async function graphFrame() {
  const deadline = Date.now() + FIRST_LOAD;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.locator('svg#graph').count().catch(() => 0)) return frame;
    }
    if (Date.now() > deadline) {
      const toasts = await page.evaluate(() => [...window.__kgNotifications]);
      fail(`no concept graph webview; tabs ${JSON.stringify(await page.locator('.part.editor .tab .label-name').allTextContents())}, notifications ${JSON.stringify(toasts)}`);
    }
    await page.waitForTimeout(200);
  }
}

/** The labels the drawing shows, once its layout is still. */
async function graphLabels(frame) {
  await frame.locator('body[data-settled]').waitFor({ state: 'attached', timeout: WAIT });
  return frame.locator('#nodes .node .label').allTextContents();
}

/** An `rgb(r, g, b)` colour as [r, g, b]. */
const rgb = (css) => (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);

/**
 * A screenshot of the drawing area, saved as `name` in the artifacts folder, and its pixels
 * counted (in a blank page of the browser, which decodes PNG): the most frequent colour (the
 * background), the share of pixels far from it, and how many are near `mark` (the root's fill).
 */
async function graphShot(frame, name, mark) {
  const file = path.join(artifacts, name);
  const png = await frame.locator('svg#graph').screenshot({ path: file });
  const blank = await browser.newPage();
  try {
    const counts = await blank.evaluate(
      async ([b64, mark]) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, img.width, img.height).data;
        const freq = new Map();
        for (let i = 0; i < d.length; i += 4) {
          const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
          freq.set(k, (freq.get(k) ?? 0) + 1);
        }
        const bg = [...freq.entries()].sort((a, b) => b[1] - a[1])[0][0];
        const b = [bg >> 16, (bg >> 8) & 255, bg & 255];
        const far = (i, c, t) => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) > t;
        let drawn = 0;
        let marked = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (far(i, b, 48)) drawn++;
          if (!far(i, mark, 24)) marked++;
        }
        return { width: img.width, height: img.height, background: b, drawn: drawn / (d.length / 4), marked };
      },
      [png.toString('base64'), mark],
    );
    return { file, ...counts };
  } finally {
    await blank.close();
  }
}

/** The computed fill of the root's circle and the page's background, in the webview. */
const graphColours = (frame) =>
  frame.evaluate(() => ({
    root: getComputedStyle(document.querySelector('#nodes .node.root circle')).fill,
    background: getComputedStyle(document.body).backgroundColor,
  }));

/**
 * Waits up to `ms` for the graph's tab titled `title` to be the active tab of its editor group
 * (it opens beside the editor: the first group's active tab stays the document's).
 */
const graphTabIs = (title, ms) =>
  page
    .waitForFunction(
      (t) => [...document.querySelectorAll('.part.editor .tab.active .label-name')].some((l) => l.textContent === t),
      title,
      { timeout: ms },
    )
    .then(() => true, () => false);

/** The titles of the editor tabs. */
const tabTitles = () => page.locator('.part.editor .tab .label-name').allTextContents();

/** Closes the graph's tab (its editor group goes with it when it is the last tab there). */
async function closeGraph() {
  const tab = page.locator('.part.editor .tab').filter({ hasText: 'Concept Graph' });
  if ((await tab.count()) === 0) return;
  await tab.first().click();
  await page.keyboard.press('Control+w');
  if (!(await tab.first().waitFor({ state: 'detached' }).then(() => true, () => false))) fail('the graph tab does not close');
}

/**
 * Picks the colour theme `name` with "Preferences: Color Theme", as a user does; returns the
 * theme that was current (the picker opens on it).
 */
async function colorTheme(name) {
  await openQuickInput('F1');
  await page.keyboard.type('Preferences: Color Theme', { delay: 20 });
  // Not "Browse Color Themes in Marketplace", which fuzzy-matches too.
  const command = quickRows().filter({ has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) });
  await command.first().click();
  const focused = quickInput().locator('.monaco-list-row.focused .label-name');
  await focused.first().waitFor();
  const was = (await focused.first().textContent())?.trim();
  await page.keyboard.type(name, { delay: 20 });
  const row = quickRows().filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) });
  await row.first().waitFor();
  await row.first().click();
  await quickInput().waitFor({ state: 'hidden' });
  return was;
}

/** The concepts tokio's file names in `related::` (examples/demo): all in its neighbourhood. */
const TOKIO_RELATED = readFileSync(path.join(demo, 'kg/runtime/tokio.md'), 'utf8')
  .match(/^related::(.*)$/m)[1]
  .split(',')
  .map((s) => s.trim());

const fail = (message) => {
  throw new Error(message);
};

// The checks, in the order a new user tries the features; `needs` names a check whose
// failure makes this one meaningless (it is then reported as not run).
const CHECKS = [
  {
    name: 'workbench opens the folder and docs/runtime-guide.md (Ctrl+P)',
    fatal: true,
    async run() {
      await page.goto(url, { timeout: WAIT });
      await page.locator('.monaco-workbench').waitFor();
      await page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: 'docs' }).first().waitFor();
      // The welcome page opens as the workbench starts; a file opened before it loses the focus.
      await page.locator('.part.editor .tab').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
      await quickOpen('runtime-guide.md');
      await activeEditor().locator('.view-line').filter({ hasText: 'Runtime guide' }).first().waitFor();
    },
  },
  {
    name: 'completion: `async ru` + Ctrl+Space offers `async runtime` from kg-ls',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('async ru', { delay: 30 });
      const widget = page.locator('.editor-widget.suggest-widget.visible');
      const row = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^async runtime$/ }) });
      // The server may still be loading the graph: a user who sees only words asks again.
      const deadline = Date.now() + FIRST_LOAD;
      let labels = [];
      for (;;) {
        await page.keyboard.press('Control+Space');
        await widget.waitFor().catch(() => undefined);
        if (await row.first().isVisible().catch(() => false)) break;
        labels = await widget.locator('.monaco-list-row .label-name').allTextContents().catch(() => []);
        if (Date.now() > deadline) {
          fail(`the suggestion widget offers ${JSON.stringify(labels)}, not \`async runtime\``);
        }
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1000);
      }
      labels = await widget.locator('.monaco-list-row .label-name').allTextContents();
      console.log(`   suggestions: ${JSON.stringify(labels.slice(0, 8))}`);
      // VS Code's word suggestions are single words: a label with a space is the server's.
      // It must come first, and its documentation (completionItem/resolve) is the concept's.
      const focused = widget.locator('.monaco-list-row.focused .label-name');
      const first = (await focused.textContent())?.trim();
      if (first !== 'async runtime') fail(`the first suggestion is ${JSON.stringify(first)}, not \`async runtime\``);
      // Once the item is resolved (it can expand), Ctrl+Space again shows its details.
      await widget.locator('.monaco-list-row.focused .right.can-expand-details').waitFor();
      await page.keyboard.press('Control+Space');
      const details = page.locator('.suggest-details-container .suggest-details').filter({ visible: true });
      await details.filter({ hasText: 'An async runtime is the library' }).waitFor();
    },
  },
  {
    name: 'completion: Enter inserts `async runtime`',
    needs: 'completion: `async ru` + Ctrl+Space offers `async runtime` from kg-ls',
    async run() {
      await page.keyboard.press('Enter');
      await page.locator('.editor-widget.suggest-widget.visible').waitFor({ state: 'hidden' });
      const line = await cursorLine(activeEditor());
      if (line !== 'async runtime') fail(`the line reads ${JSON.stringify(line)}, not "async runtime"`);
    },
  },
  {
    name: 'completion: typing `[[` opens the suggestions by itself (the `[` trigger character), with kg-ls terms',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('See [[', { delay: 80 });
      const widget = page.locator('.editor-widget.suggest-widget.visible');
      // Multi-word labels are the server's (VS Code's word suggestions are single words).
      const serverRow = widget.locator('.monaco-list-row .label-name', { hasText: / / });
      try {
        await serverRow.first().waitFor();
      } catch {
        const labels = await widget.locator('.monaco-list-row .label-name').allTextContents().catch(() => []);
        fail(`after typing "[[" the suggestion widget offers ${JSON.stringify(labels)}, no kg-ls term`);
      }
      const labels = await widget.locator('.monaco-list-row .label-name').allTextContents();
      console.log(`   suggestions after [[: ${JSON.stringify(labels.slice(0, 8))}, line ${JSON.stringify(await cursorLine(activeEditor()))}`);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await page.keyboard.press('Delete');
    },
  },
  {
    name: 'checks: typing `async engine` (avoided in the example) underlines it with a struck-through warning',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('The async engine is fast', { delay: 20 });
      const editor = activeEditor();
      const squiggle = editor.locator('.view-overlays .squiggly-warning, .view-overlays .cdr.squiggly-warning');
      try {
        await squiggle.first().waitFor({ state: 'attached', timeout: FIRST_LOAD });
      } catch {
        fail('no warning squiggle in the editor');
      }
      // The Deprecated tag: VS Code strikes the words through.
      if (!(await editor.locator('.squiggly-inline-deprecated').first().waitFor({ state: 'attached' }).then(() => true, () => false))) {
        fail('the warning is not struck through (no Deprecated tag)');
      }
      // The Problems panel (Ctrl+Shift+M) lists it with its code.
      await page.keyboard.press('Control+Shift+m');
      const problem = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'avoided term' });
      try {
        await problem.first().waitFor();
      } catch {
        fail(`the Problems panel lists ${JSON.stringify(await page.locator('.markers-panel .monaco-list-row').allTextContents().catch(() => []))}`);
      }
      console.log(`   problem: ${(await problem.first().textContent())?.slice(0, 160)}`);
      await page.keyboard.press('Control+Shift+m');
    },
  },
  {
    name: 'checks: Ctrl+. on it offers "Replace with “async runtime”", and Enter writes it',
    needs: 'checks: typing `async engine` (avoided in the example) underlines it with a struck-through warning',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Home');
      for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Control+.');
      const widget = page.locator('.action-widget').filter({ visible: true });
      const fix = widget.locator('.monaco-list-row').filter({ hasText: 'Replace with “async runtime”' });
      try {
        await fix.first().waitFor();
      } catch {
        fail(`Ctrl+. shows ${JSON.stringify(await widget.locator('.monaco-list-row').allTextContents().catch(() => []))}`);
      }
      console.log(`   actions: ${JSON.stringify(await widget.locator('.monaco-list-row').allTextContents())}`);
      // The fix is focused (it is the preferred one): Enter applies it.
      if (!(await fix.first().getAttribute("class"))?.includes("focused")) fail("the fix is not the focused action");
      await page.keyboard.press("Enter");
      const deadline = Date.now() + WAIT;
      let line;
      while ((line = await cursorLine(activeEditor())) !== 'The async runtime is fast') {
        if (Date.now() > deadline) fail(`the line reads ${JSON.stringify(line)}`);
        await page.waitForTimeout(100);
      }
      const squiggle = activeEditor().locator('.view-overlays .squiggly-warning');
      if (!(await squiggle.first().waitFor({ state: 'detached' }).then(() => true, () => false))) fail('the warning stays');
    },
  },
  {
    name: 'hover: the mouse over `tokio` shows its definition',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      const at = await findWord(activeEditor(), 'configure tokio for', 'tokio');
      if (!at) fail('`configure tokio for` is not on screen');
      await page.mouse.move(at.x - 40, at.y + 200);
      await page.mouse.move(at.x, at.y, { steps: 5 });
      const hover = page.locator('.monaco-hover').filter({ visible: true });
      try {
        await hover.filter({ hasText: 'Tokio is the most widely used asynchronous runtime for Rust' }).waitFor();
      } catch {
        const shown = await hover.allTextContents().catch(() => []);
        fail(`no hover with tokio's definition; hover widgets show ${JSON.stringify(shown)}`);
      }
      console.log(`   hover: ${(await hover.first().textContent())?.slice(0, 160)}`);
    },
  },
  {
    name: 'references: Shift+F12 on `tokio` peeks at its mentions in the other documents',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      await clickWord('configure tokio for', 'tokio');
      await page.keyboard.press('Shift+F12');
      const peek = page.locator('.reference-zone-widget');
      const rows = async () => peek.locator('.monaco-list-row').evaluateAll((rs) => rs.map((r) => r.textContent));
      const until = Date.now() + WAIT;
      let seen = [];
      for (;;) {
        seen = await rows().catch(() => []);
        if (seen.some((r) => r.includes('getting-started.md')) && seen.some((r) => r.includes('architecture.md'))) break;
        if (Date.now() > until) {
          fail(`the references peek lists ${JSON.stringify(seen)}, not getting-started.md and architecture.md; the editor: ${JSON.stringify(await editorState())}; the server: ${JSON.stringify(serverSaid('textDocument/references'))}`);
        }
        await page.waitForTimeout(200);
      }
      console.log(`   references: ${JSON.stringify(seen.slice(0, 6))}`);
      await page.keyboard.press('Escape');
      await peek.waitFor({ state: 'hidden', timeout: WAIT }).catch(() => undefined);
    },
  },
  {
    name: 'definition: F12 on `tokio` opens kg/runtime/tokio.md',
    async run() {
      await clickWord('configure tokio for', 'tokio');
      await page.keyboard.press('F12');
      try {
        await page.waitForFunction(() => document.querySelector('.part.editor .tab.active .label-name')?.textContent === 'tokio.md', null, {
          timeout: WAIT,
        });
      } catch {
        fail(`the active editor is ${JSON.stringify(await activeTab().textContent())}, not tokio.md`);
      }
      await activeEditor().locator('.view-line').filter({ hasText: 'Tokio is the most widely used' }).first().waitFor();
      // The breadcrumbs above the editor name the file's folders.
      const crumbs = await page
        .locator('.part.editor .editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item .label-name')
        .allTextContents();
      if (crumbs.slice(0, 3).join('/') !== 'kg/runtime/tokio.md') {
        fail(`the breadcrumbs read ${JSON.stringify(crumbs)}, not kg › runtime › tokio.md`);
      }
    },
  },
  {
    name: 'workspace symbols: Ctrl+T `tkrt` finds the concept `tokio runtime`',
    async run() {
      await activeEditor().locator('textarea').focus();
      await openQuickInput('Control+t');
      await page.keyboard.type('tkrt', { delay: 30 });
      // kg-ls gives concepts the symbol kind Key, headings String: the heading `# tokio
      // runtime` of the concept's file is there even when the graph is empty.
      const rows = async () =>
        quickRows().evaluateAll((rs) =>
          rs.map((r) => `${r.textContent} [${r.querySelector('.quick-input-list-icon')?.className.match(/codicon-symbol-\w+/)?.[0]}]`),
        );
      const hit = quickRows().filter({ hasText: 'tokio runtime', has: page.locator('.quick-input-list-icon.codicon-symbol-key') });
      try {
        await hit.first().waitFor();
      } catch {
        const value = await quickInput().locator('input').inputValue().catch(() => '?');
        fail(`Ctrl+T "${value}" lists ${JSON.stringify(await rows().catch(() => []))}, no concept \`tokio runtime\``);
      }
      console.log(`   symbols: ${JSON.stringify((await rows()).slice(0, 5))}`);
      await page.keyboard.press('Escape');
    },
  },
  {
    name: 'outline: Ctrl+Shift+O on kg/runtime/tokio.md lists its synonyms, related concepts and properties',
    async run() {
      await showFile('tokio.md');
      await openQuickInput('Control+Shift+o');
      const rows = async () => quickRows().evaluateAll((rs) => rs.map((r) => r.textContent));
      const want = ['tokio-rs', 'tokio crate', 'join set', 'category'];
      const until = Date.now() + WAIT;
      let seen = [];
      for (;;) {
        seen = await rows().catch(() => []);
        if (want.every((w) => seen.some((r) => r.includes(w)))) break;
        if (Date.now() > until) fail(`Ctrl+Shift+O lists ${JSON.stringify(seen)}, not all of ${JSON.stringify(want)}`);
        await page.waitForTimeout(200);
      }
      console.log(`   outline: ${JSON.stringify(seen.slice(0, 10))}`);
      await page.keyboard.press('Escape');
    },
  },
  {
    name: 'links: in kg/runtime/tokio.md the related entry `join set` is a link (its hover says so), and Ctrl+click opens join set.md',
    async run() {
      await showFile('tokio.md');
      await page.keyboard.press('Control+End');
      const at = await findWord(activeEditor(), 'channel, join set', 'join set');
      if (!at) fail('`channel, join set` is not on screen');
      await page.mouse.move(at.x - 40, at.y + 200);
      await page.mouse.move(at.x, at.y, { steps: 5 });
      const hover = page.locator('.monaco-hover').filter({ visible: true });
      // VS Code shows a link's tooltip as "TOOLTIP (ctrl + click)".
      try {
        await hover.filter({ hasText: /join set \(ctrl \+ click\)/i }).waitFor();
      } catch {
        fail(`no link hover on \`join set\`; hover widgets show ${JSON.stringify(await hover.allTextContents().catch(() => []))}`);
      }
      await page.keyboard.down('Control');
      await page.mouse.click(at.x, at.y);
      await page.keyboard.up('Control');
      if (!(await tabIs('join set.md', WAIT))) fail(`Ctrl+click opened ${JSON.stringify(await activeTab().textContent())}, not join set.md`);
    },
  },
  {
    name: 'search: "kg-ls: Search Knowledge Base" `kilobytes` shows the snippet of docs/search.md',
    async run() {
      // `kilobytes` is in the prose of docs/search.md and is no concept's term: only the
      // full-text index knows it.
      await showFile('runtime-guide.md');
      const row = await searchFor('kilobytes', ['How term search works', 'docs/search.md', 'kilobytes']);
      console.log(`   search row: ${(await row.textContent())?.slice(0, 160)}`);
      const first = quickRows().first();
      const top = await first.textContent();
      if (!top?.includes('How term search works')) fail(`the first row is ${JSON.stringify(top)}, not docs/search.md's`);
    },
  },
  {
    name: 'search: Enter opens docs/search.md with `kilobytes` selected',
    needs: 'search: "kg-ls: Search Knowledge Base" `kilobytes` shows the snippet of docs/search.md',
    async run() {
      await page.keyboard.press('Enter');
      if (!(await tabIs('search.md', WAIT))) fail(`the active editor is ${JSON.stringify(await activeTab().textContent())}, not search.md`);
      await quickInput().waitFor({ state: 'hidden' });
      const { line, col } = lineCol('docs/search.md', 'kilobytes');
      const want = `Ln ${line}, Col ${col + 'kilobytes'.length} (${'kilobytes'.length} selected)`;
      const deadline = Date.now() + WAIT;
      let items = [];
      while (!(items = await statusItems()).some((t) => t.trim() === want)) {
        if (Date.now() > deadline) fail(`the status bar reads ${JSON.stringify(items)}, not "${want}"`);
        await page.waitForTimeout(100);
      }
      // The word is on screen, under the selection.
      const word = await findWord(activeEditor(), 'kilobytes', 'kilobytes');
      if (!word) fail('`kilobytes` is not on screen');
      const selected = await activeEditor().evaluate(
        (root, { x, y }) =>
          [...root.querySelectorAll('.view-overlays .selected-text')].some((el) => {
            const r = el.getBoundingClientRect();
            return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
          }),
        word,
      );
      if (!selected) fail('`kilobytes` is on screen but not selected');
      console.log(`   status bar: ${want}`);
    },
  },
  {
    name: 'search: `promise` (a synonym of future) finds what says "future", and the title says future widened it',
    async run() {
      // `promise` is only on future.md's synonyms line, which is not searched as text: every
      // hit comes from the concept's other terms.
      const row = await searchFor('promise', [/future/i]);
      // The rows stream in as partial results; the title comes with the final answer.
      const title = quickInput().locator('.quick-input-title');
      if (!(await title.filter({ hasText: 'concept future' }).waitFor().then(() => true, () => false))) {
        fail(`the title reads ${JSON.stringify(await title.textContent())}, naming no concept future`);
      }
      const text = await title.textContent();
      console.log(`   title: ${text}`);
      console.log(`   row: ${(await row.textContent())?.slice(0, 160)}`);
      await page.keyboard.press('Escape');
      await quickInput().waitFor({ state: 'hidden' });
    },
  },
  {
    name: 'search: "kg-ls: Rebuild Search Index", then `kilobytes` is found again',
    async run() {
      await palette('kg-ls: Rebuild Search Index');
      // The output channel's log file says so once the server has answered the command.
      const deadline = Date.now() + WAIT;
      while (!logLines('kg-ls.log').some((l) => l.line.includes('rebuilding the search index'))) {
        const bad = (await page.evaluate(() => [...window.__kgNotifications])).filter((t) => /search index/i.test(t));
        if (bad.length > 0) fail(`notifications: ${JSON.stringify(bad)}`);
        if (Date.now() > deadline) fail('the "kg-ls" output does not say that the index is being rebuilt');
        await page.waitForTimeout(200);
      }
      await searchFor('kilobytes', ['How term search works', 'docs/search.md', 'kilobytes']);
      await page.keyboard.press('Escape');
      await quickInput().waitFor({ state: 'hidden' });
    },
  },
  {
    name: 'command palette: "kg-ls: Show Server Statistics" shows the statistics',
    async run() {
      await palette('kg-ls: Show Server Statistics');
      const panel = page.locator('.part.panel').filter({ visible: true });
      const text = panel.locator('.monaco-editor .view-lines');
      try {
        await text.filter({ hasText: /"[a-z_.]+":/ }).first().waitFor();
      } catch {
        const toasts = await page.evaluate(() => [...window.__kgNotifications]);
        fail(`no statistics JSON in the panel; notifications: ${JSON.stringify(toasts)}`);
      }
      const channel = await panel.locator('select.monaco-select-box').first().inputValue().catch(() => null);
      if (channel !== null && !/statistics/.test(channel)) fail(`the output shown is ${JSON.stringify(channel)}`);
      // The whole answer is in the channel's log file: it is JSON, about the loaded graph.
      const answer = logLines('kg-ls statistics.log').map((l) => l.line).join('\n');
      let stats;
      try {
        stats = JSON.parse(answer);
      } catch (e) {
        fail(`the "kg-ls statistics" output is not JSON (${e.message}): ${answer.slice(0, 300)}`);
      }
      console.log(`   statistics: workspace ${JSON.stringify(stats.workspace)}`);
      if (!(stats.workspace?.concepts > 0)) fail(`the statistics count no concepts: ${JSON.stringify(stats.workspace)}`);
    },
  },
  {
    name: 'graph: "kg-ls: Show Concept Graph" on `tokio` draws its neighbourhood in a webview (screenshot)',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      await clickWord('configure tokio for', 'tokio');
      await palette('kg-ls: Show Concept Graph');
      if (!(await graphTabIs('Concept Graph: tokio', WAIT))) fail(`no graph tab; the tabs are ${JSON.stringify(await tabTitles())}`);
      const frame = await graphFrame();
      const labels = await graphLabels(frame);
      console.log(`   graph labels: ${JSON.stringify(labels)}`);
      const missing = ['tokio', ...TOKIO_RELATED].filter((l) => !labels.includes(l));
      if (missing.length > 0) fail(`the drawing has no node ${JSON.stringify(missing)}; it has ${JSON.stringify(labels)}`);
      const root = await frame.locator('#nodes .node.root .label').allTextContents();
      if (root.join() !== 'tokio') fail(`the highlighted root is ${JSON.stringify(root)}, not tokio`);
      // Bigger circles for concepts the documents mention more: not all the same size.
      const radii = new Set(await frame.locator('#nodes .node circle').evaluateAll((cs) => cs.map((c) => c.getAttribute('r'))));
      if (radii.size < 2) fail(`every node has the radius ${[...radii]}`);
      // The script and the library come from the extension, under a CSP that allows nothing else.
      const scripts = await frame.locator('script').evaluateAll((ss) => ss.map((s) => s.src));
      const csp = await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      // Scripts: only this page's nonce (no 'unsafe-inline', no host to load from).
      if (!/(^|; )default-src 'none'(;|$)/.test(csp ?? '') || !/(^|; )script-src 'nonce-[A-Za-z0-9+/=]+'(;|$)/.test(csp ?? '')) fail(`CSP: ${csp}`);
      if (!scripts.some((s) => s.endsWith('/out/vendor/d3-force.js'))) fail(`the webview loads ${JSON.stringify(scripts)}, not out/vendor/d3-force.js`);
      const colours = await graphColours(frame);
      const shot = await graphShot(frame, 'graph.png', rgb(colours.root));
      console.log(`   screenshot ${shot.file}: ${shot.width}x${shot.height}, background ${shot.background}, ${(shot.drawn * 100).toFixed(1)}% drawn, ${shot.marked} root pixels`);
      if (shot.background.join() !== rgb(colours.background).join()) {
        fail(`the drawing's background is ${shot.background}, not the editor's ${colours.background}`);
      }
      if (shot.drawn < 0.01) fail(`the screenshot is blank: ${(shot.drawn * 100).toFixed(2)}% of its pixels are not the background`);
      if (shot.marked < 100) fail(`the root's colour ${colours.root} shows on ${shot.marked} pixels only`);
    },
  },
  {
    name: 'graph: the drawing follows the colour theme (Dark Modern or Light Modern, then back)',
    needs: 'graph: "kg-ls: Show Concept Graph" on `tokio` draws its neighbourhood in a webview (screenshot)',
    async run() {
      const frame = await graphFrame();
      const before = await graphColours(frame);
      const light = rgb(before.background).reduce((a, b) => a + b, 0) > 3 * 128;
      const other = light ? 'Dark Modern' : 'Light Modern';
      const was = await colorTheme(other);
      try {
        const deadline = Date.now() + WAIT;
        let now;
        while ((now = await graphColours(frame)).background === before.background) {
          if (Date.now() > deadline) fail(`the webview's background stays ${before.background} in ${other}`);
          await page.waitForTimeout(200);
        }
        const shot = await graphShot(frame, `graph-${light ? 'dark' : 'light'}.png`, rgb(now.root));
        console.log(`   ${other} (was ${was}): background ${now.background} (was ${before.background}), ${(shot.drawn * 100).toFixed(1)}% drawn, ${shot.marked} root pixels`);
        if (shot.background.join() !== rgb(now.background).join()) fail(`the screenshot's background is ${shot.background}, not ${now.background}`);
        if (shot.drawn < 0.01 || shot.marked < 100) fail(`the ${other} drawing is blank or has no root: ${JSON.stringify(shot)}`);
        // The labels are the theme's foreground, readable on its background.
        const label = await frame.locator('#nodes .node .label').first().evaluate((t) => getComputedStyle(t).fill);
        const [a, b] = [rgb(label), rgb(now.background)];
        if (Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) < 200) fail(`labels ${label} on ${now.background}`);
      } finally {
        if (was) await colorTheme(was);
      }
    },
  },
  {
    name: 'graph: double-clicking a concept brings its neighbours in',
    needs: 'graph: "kg-ls: Show Concept Graph" on `tokio` draws its neighbourhood in a webview (screenshot)',
    async run() {
      const frame = await graphFrame();
      const before = await graphLabels(frame);
      // A concept at the edge of the drawing, whose neighbours are not all there yet.
      const edge = frame.locator('#nodes .node:not(.expanded)');
      if ((await edge.count()) === 0) fail(`every node is expanded already: ${JSON.stringify(before)}`);
      const id = await edge.first().getAttribute('data-id');
      await edge.first().locator('circle').dblclick();
      const node = frame.locator(`#nodes .node.expanded[data-id="${id}"]`);
      if (!(await node.waitFor({ timeout: WAIT }).then(() => true, () => false))) fail(`${id} is not expanded after a double-click`);
      const after = await graphLabels(frame);
      console.log(`   double-click ${id}: ${before.length} -> ${after.length} nodes, new ${JSON.stringify(after.filter((l) => !before.includes(l)))}`);
      if (before.some((l) => !after.includes(l))) fail(`nodes went missing: ${JSON.stringify(before.filter((l) => !after.includes(l)))}`);
      if (!(await graphTabIs('Concept Graph: tokio', 100))) fail(`the double-click left the graph: the tabs are ${JSON.stringify(await tabTitles())}`);
    },
  },
  {
    name: 'graph: on no term, "kg-ls: Show Concept Graph" asks for a concept (`future`)',
    async run() {
      // The graph opens beside the editor: closed, the editor is alone again.
      await closeGraph();
      await showFile('runtime-guide.md');
      // A new empty line: no term under the cursor.
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await palette('kg-ls: Show Concept Graph');
      const box = quickInput().filter({ hasText: 'no term' });
      if (!(await box.first().waitFor().then(() => true, () => false))) {
        fail(`no input box asking for a concept; the quick input reads ${JSON.stringify(await quickInput().allTextContents())}`);
      }
      await page.keyboard.type('future', { delay: 20 });
      await page.keyboard.press('Enter');
      if (!(await graphTabIs('Concept Graph: future', WAIT))) fail(`no graph tab for future; the tabs are ${JSON.stringify(await tabTitles())}`);
      const frame = await graphFrame();
      const deadline = Date.now() + WAIT;
      let root;
      while ((root = await frame.locator('#nodes .node.root .label').allTextContents()).join() !== 'future') {
        if (Date.now() > deadline) fail(`the root is ${JSON.stringify(root)}, not future`);
        await page.waitForTimeout(200);
      }
    },
  },
  {
    name: 'graph: clicking a concept opens its file (`executor` -> kg/runtime/executor.md)',
    needs: 'graph: on no term, "kg-ls: Show Concept Graph" asks for a concept (`future`)',
    async run() {
      const frame = await graphFrame();
      const node = frame.locator('#nodes .node[data-id="executor"] circle');
      if (!(await node.waitFor().then(() => true, () => false))) fail(`no node executor: ${JSON.stringify(await graphLabels(frame))}`);
      await frame.locator('body[data-settled]').waitFor({ state: 'attached' });
      await node.click();
      if (!(await tabIs('executor.md', WAIT))) fail(`the active tab is ${JSON.stringify(await activeTab().textContent())}, not executor.md`);
      await activeEditor().locator('.view-line').filter({ hasText: 'executor' }).first().waitFor();
    },
  },
  {
    name: 'graph: closing the graph leaves one editor group, as the checks after it expect',
    async run() {
      await closeGraph();
      const groups = await page.locator('.part.editor .editor-group-container').count();
      if (groups !== 1) fail(`${groups} editor groups are left`);
    },
  },
  {
    name: 'trace: "kg-ls.trace.server": "messages" in settings.json alone traces to "kg-ls trace"',
    async run() {
      await addUserSetting('"kg-ls.trace.server": "messages"');
      const traced = () => logLines('kg-ls trace.log').filter((l) => l.line.includes("Sending request 'workspace/symbol"));
      // The setting reaches the extension host a moment after the save: search again until
      // the request shows in the trace.
      const traceDeadline = Date.now() + WAIT;
      while (traced().length === 0) {
        if (Date.now() > traceDeadline) {
          fail(`no workspace/symbol request in the "kg-ls trace" log: ${JSON.stringify(logLines('kg-ls trace.log').slice(0, 5))}`);
        }
        await openQuickInput('Control+t');
        await page.keyboard.type('tkrt', { delay: 30 });
        await quickRows().first().waitFor().catch(() => undefined);
        await page.keyboard.press('Escape');
        await page.waitForTimeout(500);
      }
      console.log(`   trace: ${traced()[0].line}`);
    },
  },
  {
    name: 'semantic tokens: a typed `tokio` takes another colour than the plain words around it',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('Colours of tokio before', { delay: 20 });
      // The colour of the rendered span that holds `word` in the line that has `context`.
      const colour = (word) =>
        activeEditor().evaluate(
          (root, word) => {
            for (const line of root.querySelectorAll('.view-lines .view-line')) {
              const text = line.textContent.replace(/\u00a0/g, ' ');
              if (!text.includes('Colours of tokio before')) continue;
              for (const span of line.querySelectorAll('span span')) {
                if (span.textContent.includes(word)) return getComputedStyle(span).color;
              }
            }
            return null;
          },
          word,
        );
      const deadline = Date.now() + WAIT;
      let seen;
      for (;;) {
        seen = { tokio: await colour('tokio'), before: await colour('before') };
        if (seen.tokio && seen.before && seen.tokio !== seen.before) break;
        if (Date.now() > deadline) fail(`the colours are ${JSON.stringify(seen)}`);
        await page.waitForTimeout(250);
      }
      console.log(`   colours: ${JSON.stringify(seen)}`);
    },
  },
  {
    name: 'highlights: the cursor on `tokio` marks its mentions in the document, `Tokio` too (any case)',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      await clickWord('configure tokio for', 'tokio');
      // The text of the rendered lines that have a highlight (VS Code draws document
      // highlights in the overlay layer, one per range, at their line's top). VS Code's own
      // word highlighter would match `tokio` in this case only; kg-ls's match `Tokio` too.
      const marked = () =>
        activeEditor().evaluate((root) => {
          const tops = new Set(
            [...root.querySelectorAll('.view-overlays [class*="wordHighlight"]')].map((d) => d.parentElement?.style.top),
          );
          return [...root.querySelectorAll('.view-lines .view-line')]
            .filter((l) => tops.has(l.style.top))
            .map((l) => l.textContent.replace(/\u00a0/g, ' '));
        });
      const want = ['configure tokio for', 'tokio calls it', "Tokio's network"];
      const until = Date.now() + WAIT;
      let seen = [];
      for (;;) {
        seen = await marked();
        if (want.every((w) => seen.some((l) => l.includes(w)))) break;
        if (Date.now() > until) fail(`the highlighted lines are ${JSON.stringify(seen.map((l) => l.slice(0, 80)))}; the server: ${JSON.stringify(serverSaid('documentHighlight'))}`);
        await page.waitForTimeout(200);
      }
      const stray = seen.filter((l) => !/tokio/i.test(l));
      if (stray.length > 0) fail(`lines without tokio are highlighted: ${JSON.stringify(stray)}`);
      console.log(`   highlighted lines: ${JSON.stringify(seen.map((l) => l.slice(0, 60)))}`);
    },
  },
  {
    name: 'inlay hints: "kg-ls.navigation.inlayHints": true shows `→ waker` after the synonym `task waker`',
    async run() {
      await addUserSetting('"kg-ls.navigation.inlayHints": true');
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('The task waker wakes it', { delay: 20 });
      // An inlay hint is text VS Code injects into the line: the line reads `task waker → waker`.
      const line = () =>
        activeEditor().evaluate((root) =>
          [...root.querySelectorAll('.view-lines .view-line')]
            .map((l) => l.textContent.replace(/\u00a0/g, ' '))
            .find((t) => t.includes('The task waker')) ?? null,
        );
      const until = Date.now() + WAIT;
      let seen;
      while (!(seen = await line())?.includes('→ waker')) {
        if (Date.now() > until) fail(`the line reads ${JSON.stringify(seen)}; the server: ${JSON.stringify(serverSaid('inlayHint'))}`);
        await page.waitForTimeout(250);
      }
      console.log(`   line: ${JSON.stringify(seen)}`);
    },
  },
  {
    name: 'rename: F2 on `waker`, `wake signal`, Enter previews it; ticking the mention in prose and Apply renames kg/runtime/waker.md and the mention',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      await clickWord("calls a task's waker once", 'waker');
      await page.keyboard.press('F2');
      const input = page.locator('.rename-box input, .rename-box .rename-input').filter({ visible: true }).first();
      try {
        await input.waitFor();
      } catch {
        fail(`F2 shows no rename box; the editor: ${JSON.stringify(await editorState())}; the server: ${JSON.stringify(serverSaid('prepareRename'))}`);
      }
      // The box holds the term, selected, and takes the keyboard focus a moment after it shows:
      // typing then replaces the term. (Typed before, the keys would edit the document.)
      const boxState = () => input.evaluate((el) => ({ focused: el === document.activeElement || el.contains(document.activeElement), value: el.value ?? el.textContent }));
      const focusUntil = Date.now() + 5000;
      let box;
      while (!(box = await boxState()).focused && Date.now() < focusUntil) await page.waitForTimeout(100);
      if (!box.focused || box.value !== 'waker') fail(`the rename box ${box.focused ? 'has the focus' : 'has no focus'} and holds ${JSON.stringify(box.value)}`);
      await page.keyboard.type('wake signal', { delay: 20 });
      await page.keyboard.press('Enter');
      // Mentions in prose need confirmation: VS Code shows them in its Refactor Preview,
      // where the user presses Apply.
      const apply = page.locator('.bulk-edit-panel .monaco-button, .refactor-preview .monaco-button').filter({ hasText: /^Apply/ }).first();
      const previewed = await apply.waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (!previewed) fail(`no Refactor Preview with an Apply button; the server: ${JSON.stringify(serverSaid('textDocument/rename'))}`);
      const rows = page.locator('.bulk-edit-panel .monaco-list-row');
      console.log(`   refactor preview: ${JSON.stringify((await rows.allTextContents()).slice(0, 10))}`);
      // The mention in prose waits for the user's tick; the concept files' edits are ticked.
      const prose = rows.filter({ hasText: "calls a task's" }).first().locator('input.edit-checkbox');
      if (await prose.isChecked()) fail('the mention in prose is ticked before the user confirmed it');
      const related = rows.filter({ hasText: 'async runtime.md' }).first().locator('input.edit-checkbox');
      if (!(await related.isChecked())) fail('the related:: entry in async runtime.md is not ticked');
      // As a user who wants the documents renamed too: tick runtime-guide.md, then Apply.
      await rows.filter({ hasText: 'runtime-guide.md' }).first().locator('input.edit-checkbox').click();
      // The tree draws its rows again a moment later.
      const tickUntil = Date.now() + 5000;
      while (!(await prose.isChecked().catch(() => false))) {
        if (Date.now() > tickUntil) fail('ticking runtime-guide.md does not tick its mention');
        await page.waitForTimeout(100);
      }
      await apply.click();
      const folder = new URL(url).searchParams.get('folder');
      const renamed = path.join(folder, 'kg/runtime/wake signal.md');
      const until = Date.now() + WAIT;
      while (!existsSync(renamed)) {
        if (Date.now() > until) fail(`kg/runtime has ${JSON.stringify(readdirSync(path.join(folder, 'kg/runtime')))}; the server: ${JSON.stringify(serverSaid('rename'))}`);
        await page.waitForTimeout(200);
      }
      if (existsSync(path.join(folder, 'kg/runtime/waker.md'))) fail('kg/runtime/waker.md is still there');
      // The renamed file's heading: VS Code saves the files a rename opened.
      const lineUntil = Date.now() + WAIT;
      let line;
      for (;;) {
        line = await activeEditor().evaluate((root) =>
          [...root.querySelectorAll('.view-lines .view-line')].map((l) => l.textContent.replace(/\u00a0/g, ' ')).find((t) => t.includes("calls a task's")) ?? null,
        );
        if (line?.includes("a task's wake signal once")) break;
        if (Date.now() > lineUntil) fail(`the mention's line reads ${JSON.stringify(line)}`);
        await page.waitForTimeout(200);
      }
      console.log(`   files: ${JSON.stringify(readdirSync(path.join(folder, 'kg/runtime')).filter((f) => f.startsWith('wak')))}`);
    },
  },
  {
    name: 'rename: the renamed concept file starts with `# wake signal`',
    needs: 'rename: F2 on `waker`, `wake signal`, Enter previews it; ticking the mention in prose and Apply renames kg/runtime/waker.md and the mention',
    async run() {
      await showFile('wake signal.md');
      const until = Date.now() + WAIT;
      let first;
      while ((first = await activeEditor().locator('.view-line').first().textContent().catch(() => null))?.replace(/\u00a0/g, ' ') !== '# wake signal') {
        if (Date.now() > until) fail(`its first line reads ${JSON.stringify(first)}`);
        await page.waitForTimeout(200);
      }
    },
  },
  {
    name: 'call hierarchy: Shift+Alt+H on `tokio` lists the concepts that name it (`async runtime`) and the documents that mention it',
    async run() {
      await showFile('runtime-guide.md');
      await page.keyboard.press('Control+Home');
      await clickWord('configure tokio for', 'tokio');
      await page.keyboard.press('Shift+Alt+H');
      // VS Code shows it in the side bar's References view, titled "Callers Of".
      const view = page.locator('.part.sidebar').filter({ visible: true });
      const rows = async () => view.locator('.monaco-list-row').filter({ visible: true }).evaluateAll((rs) => rs.map((r) => r.textContent));
      try {
        const until = Date.now() + WAIT;
        let seen = [];
        let title = '';
        for (;;) {
          // The side bar's rendered text (innerText leaves hidden views out) starts with the
          // view's title; only then are its visible rows the call hierarchy's (and not, say,
          // the Explorer's files).
          title = (await view.evaluate((el) => el.innerText).catch(() => '')).split('\n')[0];
          seen = /callers of/i.test(title) ? await rows().catch(() => []) : [];
          if (seen.some((r) => r.includes('async runtime')) && seen.some((r) => r.includes('getting-started.md'))) break;
          if (Date.now() > until) {
            fail(`the side bar, titled ${JSON.stringify(title)}, lists ${JSON.stringify(seen)}; the editor: ${JSON.stringify(await editorState())}; the server: ${JSON.stringify(serverSaid('incomingCalls'))}`);
          }
          await page.waitForTimeout(200);
        }
        console.log(`   ${title}: ${JSON.stringify(seen.slice(0, 12))}`);
      } finally {
        // Back to the editor, with the side bar closed as the checks after it expect.
        await page.keyboard.press('Escape');
        if (await view.count()) await page.keyboard.press('Control+b');
        await activeEditor().locator('textarea').focus();
      }
    },
  },
  {
    name: 'kg-ls output: no [error] lines (the server logs INFO lines, not errors)',
    async run() {
      const errors = logLines('kg-ls.log').filter((l) => l.line.includes('[error]') && !l.file.includes('trace'));
      if (errors.length > 0) fail(errors.map((l) => `${l.file}: ${l.line}`).join('\n'));
    },
  },
  {
    name: 'no notification says the knowledge graph is empty (or any kg-ls warning or error)',
    async run() {
      const seen = await page.evaluate(() => [...window.__kgNotifications]);
      console.log(`   notifications: ${JSON.stringify(seen)}`);
      const bad = seen.filter((t) => /kg-ls|knowledge graph/i.test(t));
      if (bad.length > 0) fail(`notifications: ${JSON.stringify(bad)}`);
    },
  },
  {
    name: 'logs: no "Progress handler for token kg-ls/indexing already registered"',
    async run() {
      const hits = logFiles(logs).flatMap((f) =>
        f.text
          .split('\n')
          .filter((l) => l.includes('already registered'))
          .map((l) => `${path.relative(logs, f.path)}: ${l}`),
      );
      if (hits.length > 0) fail(hits.join('\n'));
    },
  },
];

const results = new Map();
let shot = 0;
for (const check of CHECKS) {
  if (check.needs && results.get(check.needs) !== 'pass') {
    results.set(check.name, 'not run');
    console.log(`-- NOT RUN ${check.name} (needs: ${check.needs})`);
    continue;
  }
  try {
    await check.run();
    results.set(check.name, 'pass');
    console.log(`ok   ${check.name}`);
  } catch (e) {
    results.set(check.name, 'FAIL');
    const file = path.join(artifacts, `${String(++shot).padStart(2, '0')}-failed.png`);
    await page.screenshot({ path: file, timeout: WAIT }).catch(() => undefined);
    console.log(`FAIL ${check.name}\n     ${String(e.message ?? e).split('\n').join('\n     ')}\n     screenshot: ${file}`);
    if (check.fatal) break;
  }
}

// The server's side of the story, for whoever reads a failure: the kg-ls output channel.
// Its start (the load) always; after a failure, its end too (what the last requests got).
const anyFailed = [...results.values()].some((r) => r === 'FAIL');
for (const f of logFiles(logs).filter((f) => f.path.endsWith('kg-ls.log'))) {
  const lines = f.text.trimEnd().split('\n');
  console.log(`== ${path.relative(logs, f.path)} (${lines.length} lines)`);
  console.log(lines.slice(0, 40).join('\n'));
  if (anyFailed && lines.length > 40) console.log(`   ...\n${lines.slice(Math.max(40, lines.length - 120)).join('\n')}`);
}
await browser.close().catch(() => undefined);

const failed = [...results.values()].filter((r) => r !== 'pass').length + (CHECKS.length - results.size);
console.log(`${CHECKS.length - failed}/${CHECKS.length} checks passed`);
process.exit(failed === 0 ? 0 : 1);
