// Drives the real kg-ls binary with Microsoft's protocol packages (`vscode-jsonrpc` and
// `vscode-languageserver-protocol`, what VS Code's language client is built on) on the bundled
// example workspace: initialize with VS Code's capabilities, completion, hover, workspace
// symbols, a workspace symbol request cancelled through a CancellationTokenSource (which sends
// `$/cancelRequest`), the knowledge-base search `kg-ls/search` (with and without partial
// results, as the extension's Quick Pick sends it), shutdown and exit.
//
//   KG_LS=/path/to/kg-ls node --test test/     (default: ../../target/debug/kg-ls)

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  CancellationTokenSource,
  CompletionRequest,
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  ProgressType,
  RequestType,
  ResponseError,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  WorkspaceSymbolRequest,
} from 'vscode-languageserver-protocol/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '../../..');
const bin = path.resolve(process.env.KG_LS ?? path.join(top, 'target/debug/kg-ls'));
const demo = path.join(top, 'examples/demo');
const uri = (p) => pathToFileURL(p).href;

/** The extension's request (src/search.ts has its types). */
const SearchRequest = new RequestType('kg-ls/search');
const SearchPartial = new ProgressType();

/** Where `word` first is in `file`, as an LSP range in UTF-16 code units. */
function rangeOf(file, word) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(word));
  assert.ok(line >= 0, `${word} is not in ${file}`);
  const character = lines[line].indexOf(word);
  return { start: { line, character }, end: { line, character: character + word.length } };
}

/** Completes within `ms` or fails the test with `what`, so that a hung server cannot hang CI. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A writer that remembers the method of every message it sends. */
class RecordingWriter extends StreamMessageWriter {
  sent = [];
  write(msg) {
    if (msg.method) this.sent.push(msg.method);
    return super.write(msg);
  }
}

/** What VS Code 1.9x's language client announces, trimmed to what matters to kg-ls. */
const vscodeCapabilities = {
  general: {
    positionEncodings: ['utf-16'],
    markdown: { parser: 'marked', version: '1.1.0' },
    staleRequestSupport: { cancel: true, retryOnContentModified: [] },
  },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: true } } },
  workspace: {
    applyEdit: true,
    workspaceFolders: true,
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    executeCommand: { dynamicRegistration: true },
    symbol: {
      dynamicRegistration: true,
      symbolKind: { valueSet: Array.from({ length: 26 }, (_, i) => i + 1) },
      tagSupport: { valueSet: [1] },
      resolveSupport: { properties: ['location.range'] },
    },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    completion: {
      dynamicRegistration: true,
      contextSupport: true,
      completionItem: {
        snippetSupport: true,
        commitCharactersSupport: true,
        documentationFormat: ['markdown', 'plaintext'],
        deprecatedSupport: true,
        preselectSupport: true,
        tagSupport: { valueSet: [1] },
        insertReplaceSupport: true,
        resolveSupport: { properties: ['documentation', 'detail', 'additionalTextEdits'] },
        insertTextModeSupport: { valueSet: [1, 2] },
        labelDetailsSupport: true,
      },
      insertTextMode: 2,
      completionItemKind: { valueSet: Array.from({ length: 25 }, (_, i) => i + 1) },
      completionList: { itemDefaults: ['commitCharacters', 'editRange', 'insertTextFormat', 'insertTextMode', 'data'] },
    },
    hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
    definition: { dynamicRegistration: true, linkSupport: true },
  },
};

describe(`kg-ls over vscode-languageserver-protocol (${path.relative(process.cwd(), bin)})`, () => {
  let server;
  let connection;
  let writer;
  let exited;
  const messages = [];
  const progress = [];
  let progressEnded;
  const progressEnd = new Promise((resolve) => (progressEnded = resolve));
  const doc = path.join(demo, 'docs', 'client-test.md');
  const text = 'Configure tokio before you pick an async ru';

  before(async () => {
    assert.ok(existsSync(bin), `no kg-ls binary at ${bin}; build it with \`cargo build\` or set KG_LS`);
    server = spawn(bin, ['--stdio'], { stdio: ['pipe', 'pipe', process.env.KG_LS_TEST_STDERR ? 'inherit' : 'ignore'] });
    exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
    writer = new RecordingWriter(server.stdin);
    connection = createProtocolConnection(new StreamMessageReader(server.stdout), writer);
    connection.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      connection.onProgress(WorkDoneProgress.type, token, (value) => {
        progress.push(value.kind);
        if (value.kind === 'end') progressEnded();
      });
      return null;
    });
    connection.onNotification(ShowMessageNotification.type, (m) => messages.push(m));
    connection.onNotification(LogMessageNotification.type, () => {});
    connection.listen();

    const init = await within(10000, 'initialize', connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code', version: '1.91.0' },
      locale: 'en',
      rootPath: demo,
      rootUri: uri(demo),
      capabilities: vscodeCapabilities,
      // What the extension sends when no kg-ls setting is set: .kg-ls.toml stays in charge.
      initializationOptions: {},
      trace: 'off',
      workspaceFolders: [{ uri: uri(demo), name: 'demo' }],
    }));
    assert.equal(init.serverInfo?.name, 'kg-ls');
    assert.equal(init.capabilities.positionEncoding ?? 'utf-16', 'utf-16');
    assert.ok(init.capabilities.completionProvider, 'completionProvider');
    assert.ok(init.capabilities.hoverProvider, 'hoverProvider');
    assert.ok(init.capabilities.workspaceSymbolProvider, 'workspaceSymbolProvider');
    await connection.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    if (server.exitCode === null) server.kill();
    connection?.dispose();
  });

  test('a cancelled workspace/symbol request settles and sends $/cancelRequest', async () => {
    // Sent while the workspace may still be loading, when requests wait: the cancellation
    // usually wins, but a result is fine too if the server was faster.
    const source = new CancellationTokenSource();
    const request = connection.sendRequest(WorkspaceSymbolRequest.type, { query: 'runtime' }, source.token);
    source.cancel();
    const outcome = await within(10000, 'cancelled workspace/symbol', request.then(
      (result) => ({ result }),
      (error) => ({ error }),
    ));
    if (outcome.error) {
      assert.ok(outcome.error instanceof ResponseError, String(outcome.error));
      assert.equal(outcome.error.code, -32800, `expected RequestCancelled, got ${outcome.error.message}`);
    } else {
      assert.ok(Array.isArray(outcome.result), 'a finished request answers with symbols');
    }
    assert.ok(writer.sent.includes('$/cancelRequest'), `sent: ${writer.sent.join(', ')}`);
    console.log(`# cancelled request settled with ${outcome.error ? `error ${outcome.error.code}` : 'a result'}`);
  });

  test('completion of "async ru" offers "async runtime" first', async () => {
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: uri(doc), languageId: 'markdown', version: 1, text },
    });
    const list = await within(10000, 'completion', connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: uri(doc) },
      position: { line: 0, character: text.length },
      context: { triggerKind: 1 },
    }));
    const items = Array.isArray(list) ? list : list?.items ?? [];
    assert.ok(items.length > 0, 'no completion items');
    assert.equal(items[0].label, 'async runtime');
    // The edit replaces both typed words: the item's own edit, else the list's default
    // (this client declares itemDefaults.editRange, as VS Code does).
    const range = items[0].textEdit?.range ?? items[0].textEdit?.replace ?? list.itemDefaults?.editRange;
    assert.deepEqual(range, { start: { line: 0, character: text.length - 'async ru'.length }, end: { line: 0, character: text.length } });
  });

  test('hover on "tokio" shows its concept in markdown', async () => {
    const hover = await within(10000, 'hover', connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: uri(doc) },
      position: { line: 0, character: 'Configure to'.length },
    }));
    assert.ok(hover, 'no hover');
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /### tokio/);
    assert.match(hover.contents.value, /tokio-rs/);
    assert.deepEqual(hover.range, { start: { line: 0, character: 10 }, end: { line: 0, character: 15 } });
  });

  test('workspace/symbol "tkrt" finds the tokio runtime concept first', async () => {
    const symbols = await within(10000, 'workspace/symbol', connection.sendRequest(WorkspaceSymbolRequest.type, { query: 'tkrt' }));
    assert.ok(Array.isArray(symbols) && symbols.length > 0, 'no symbols');
    assert.match(symbols[0].name.toLowerCase(), /tokio/);
    assert.match(symbols[0].location.uri, /tokio%20runtime\.md$/);
    assert.ok(symbols.some((s) => s.location.uri.endsWith('docs/runtime-guide.md')), 'headings of docs/ are symbols too');
  });

  // The full-text index may still be building when the first query comes: ask again, as a
  // user would, until the answer has items (or the time is up).
  async function search(params, token) {
    const deadline = Date.now() + 20000;
    for (;;) {
      const result = await within(10000, `kg-ls/search ${JSON.stringify(params)}`, connection.sendRequest(SearchRequest, params, token));
      if (result.items.length > 0 || Date.now() > deadline) return result;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  test('kg-ls/search "kilobytes" (a word of the prose, no concept) finds docs/search.md at the word', async () => {
    const file = path.join(demo, 'docs', 'search.md');
    const result = await search({ query: 'kilobytes' });
    assert.ok(result.items.length > 0, `no items: ${JSON.stringify(result)}`);
    const [first] = result.items;
    assert.equal(first.uri, uri(file));
    assert.equal(first.kind, 'document');
    assert.equal(first.title, 'How term search works');
    assert.deepEqual(first.matches[0], rangeOf(file, 'kilobytes'));
    const snippet = first.snippets[0];
    assert.ok(snippet.highlights.length > 0, 'the snippet highlights the match');
    const [start, end] = snippet.highlights[0];
    assert.equal(snippet.text.slice(start, end).toLowerCase(), 'kilobytes');
    assert.deepEqual(result.expanded, []);
    assert.ok(result.total >= 1);
  });

  test('kg-ls/search "promise" (a synonym of future) finds the documents about futures, and says so', async () => {
    const result = await search({ query: 'promise' });
    const expansion = result.expanded.find((e) => e.concept === 'future');
    assert.ok(expansion, `expanded: ${JSON.stringify(result.expanded)}`);
    assert.equal(expansion.term.toLowerCase(), 'promise');
    assert.ok(expansion.terms.includes('futures'), JSON.stringify(expansion.terms));
    const uris = result.items.map((i) => i.uri);
    // docs/cancellation.md says "future" many times and "promise" never.
    assert.ok(uris.includes(uri(path.join(demo, 'docs', 'cancellation.md'))), JSON.stringify(uris));
  });

  test('kg-ls/search with a partialResultToken streams the same items through $/progress', async () => {
    const whole = await search({ query: 'future', limit: 5 });
    const token = 'client-test-search';
    const streamed = [];
    const listener = connection.onProgress(SearchPartial, token, (value) => streamed.push(...value.items));
    try {
      const last = await within(10000, 'kg-ls/search with partial results',
        connection.sendRequest(SearchRequest, { query: 'future', limit: 5, partialResultToken: token }));
      const all = [...streamed, ...last.items];
      assert.deepEqual(all.map((i) => i.uri), whole.items.map((i) => i.uri));
      assert.equal(last.total, whole.total);
    } finally {
      listener.dispose();
    }
  });

  test('kg-ls/search with an empty query answers no items', async () => {
    const result = await within(10000, 'kg-ls/search ""', connection.sendRequest(SearchRequest, { query: '   ' }));
    assert.deepEqual(result.items, []);
  });

  test('a cancelled kg-ls/search settles (RequestCancelled, or its answer)', async () => {
    const source = new CancellationTokenSource();
    const request = connection.sendRequest(SearchRequest, { query: 'runtime' }, source.token);
    source.cancel();
    const outcome = await within(10000, 'cancelled kg-ls/search', request.then((result) => ({ result }), (error) => ({ error })));
    if (outcome.error) {
      assert.ok(outcome.error instanceof ResponseError, String(outcome.error));
      assert.equal(outcome.error.code, -32800, outcome.error.message);
    } else {
      assert.ok(Array.isArray(outcome.result.items));
    }
  });

  test('the example workspace loads without warnings, with indexing progress', async () => {
    // The end of the progress may follow the first answers: requests are served once loaded.
    await within(10000, 'the end of the indexing progress', progressEnd);
    const problems = messages.filter((m) => m.type <= 2).map((m) => m.message);
    assert.deepEqual(problems, []);
    assert.ok(progress.includes('begin') && progress.includes('end'), `progress: ${progress.join(', ')}`);
  });

  test('shutdown and exit end the process with status 0', async () => {
    await within(10000, 'shutdown', connection.sendRequest(ShutdownRequest.type));
    await connection.sendNotification(ExitNotification.type);
    const { code, signal } = await within(10000, 'exit', exited);
    assert.equal(signal, null);
    assert.equal(code, 0);
  });
});
