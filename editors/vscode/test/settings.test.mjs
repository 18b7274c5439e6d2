// Unit tests of the extension's pure helpers (src/settings.ts, compiled to out/settings.js by
// `npm run compile`): the initialization options sent to kg-ls and finding the binary.

import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { initializationOptions, resolveServer } = createRequire(import.meta.url)('../out/settings.js');

test('unset settings send no options, so .kg-ls.toml stays in charge', () => {
  assert.deepEqual(initializationOptions({ kg: { paths: [] }, completion: { limit: null }, symbols: { limit: null } }), {});
  assert.deepEqual(initializationOptions({}), {});
});

test('set settings become kg, completion and symbols options', () => {
  assert.deepEqual(
    initializationOptions({ kg: { paths: ['kg', ' ', 'glossary.json'] }, completion: { limit: 20 }, symbols: { limit: 0 } }),
    { kg: { paths: ['kg', 'glossary.json'] }, completion: { limit: 20 } },
  );
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
