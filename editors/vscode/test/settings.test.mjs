// Unit tests of the extension's pure helpers (src/settings.ts, compiled to out/settings.js by
// `npm run compile`): the initialization options and configuration changes sent to kg-ls,
// the trace setting, finding the binary (src/settings.ts), and the levels of the server's
// stderr lines (src/serverlog.ts).

import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { configurationSettings, initializationOptions, resolveServer, tracing } = require('../out/settings.js');
const { serverLogLine } = require('../out/serverlog.js');

test('unset settings send no options, so .kg-ls.toml stays in charge', () => {
  assert.deepEqual(initializationOptions({ kg: { paths: [] }, completion: { limit: null }, symbols: { limit: null } }), {});
  assert.deepEqual(initializationOptions({}), {});
  assert.deepEqual(initializationOptions({ checks: {} }), {});
  // A level set in kg-ls.checks reaches the server; an empty or non-string one does not.
  assert.deepEqual(
    initializationOptions({ checks: { 'avoided-term': 'error', 'near-miss': '', 'format-slip': 3 } }),
    { checks: { 'avoided-term': 'error' } },
  );
});

test('set settings become kg, completion and symbols options', () => {
  assert.deepEqual(
    initializationOptions({ kg: { paths: ['kg', ' ', 'glossary.json'] }, completion: { limit: 20 }, symbols: { limit: 0 } }),
    { kg: { paths: ['kg', 'glossary.json'] }, completion: { limit: 20 } },
  );
});

test('kg-ls.navigation settings the user set become [navigation] options, in the server\'s names', () => {
  assert.deepEqual(initializationOptions({ navigation: {} }), {});
  assert.deepEqual(initializationOptions({ navigation: { inlayHints: undefined, semanticTokens: 'yes' } }), {});
  assert.deepEqual(initializationOptions({ navigation: { inlayHints: true, semanticTokensInCode: false } }), {
    navigation: { inlay_hints: true, semantic_tokens_in_code: false },
  });
});

test('didChangeConfiguration carries only set values, under the section name', () => {
  // What VS Code's configuration returns for the kg-ls section with default settings.
  const defaults = {
    path: '/usr/local/bin/kg-ls',
    kg: { paths: [] },
    completion: { limit: null },
    symbols: { limit: null },
    languages: ['markdown', 'plaintext'],
    trace: { server: 'off' },
  };
  assert.deepEqual(configurationSettings(defaults), { 'kg-ls': {} });
  assert.deepEqual(configurationSettings({ ...defaults, kg: { paths: ['notes'] }, symbols: { limit: 10 } }), {
    'kg-ls': { kg: { paths: ['notes'] }, symbols: { limit: 10 } },
  });
});

test('kg-ls.trace.server traces for messages, compact and verbose only', () => {
  for (const [value, on] of [['off', false], ['messages', true], ['compact', true], ['verbose', true], [undefined, false], ['Verbose', false]]) {
    assert.equal(tracing(value), on, String(value));
  }
});

test('the binary is found from the setting, else on PATH, else reported missing', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kg-ls-ext-'));
  const bin = path.join(dir, 'kg-ls');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  const env = { PATH: dir, CARGO_HOME: path.join(dir, 'no-cargo') };
  assert.deepEqual(resolveServer(bin, undefined, env, 'linux'), { ok: true, command: bin });
  assert.deepEqual(resolveServer('./kg-ls', dir, env, 'linux'), { ok: true, command: bin });
  assert.deepEqual(resolveServer('', undefined, env, 'linux'), { ok: true, command: bin });
  assert.equal(resolveServer(path.join(dir, 'nope'), undefined, env, 'linux').ok, false);
  const missing = resolveServer(undefined, undefined, { PATH: path.join(dir, 'empty'), CARGO_HOME: path.join(dir, 'no-cargo') }, 'linux');
  assert.equal(missing.ok, false);
  assert.match(missing.tried, /kg-ls on PATH/);
});

test("the server's stderr lines keep their tracing level; other lines are errors", () => {
  const cases = [
    ['2026-12-01T19:32:46.728850Z  INFO kg_ls::lsp::server: settings changed', 'info', 'kg_ls::lsp::server: settings changed'],
    ['2026-12-01T19:32:46.728850Z  WARN kg_ls::kg: kg/a.md:3:1: no title', 'warn', 'kg_ls::kg: kg/a.md:3:1: no title'],
    ['2026-12-01T19:32:46.728850Z ERROR kg_ls: loading failed', 'error', 'kg_ls: loading failed'],
    ['2026-12-01T19:32:46.728850Z DEBUG kg_ls::lsp: x', 'debug', 'kg_ls::lsp: x'],
    ['\x1b[2m2026-12-01T19:32:46.728850Z\x1b[0m \x1b[32m INFO\x1b[0m kg_ls: coloured', 'info', 'kg_ls: coloured'],
    ["thread 'main' panicked at src/main.rs:1:1:", 'error', "thread 'main' panicked at src/main.rs:1:1:"],
    ['INFORMATION without a level', 'error', 'INFORMATION without a level'],
  ];
  for (const [line, level, text] of cases) {
    assert.deepEqual(serverLogLine(line), { level, text }, line);
  }
});
