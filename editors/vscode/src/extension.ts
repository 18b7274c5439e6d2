// The kg-ls extension: starts the kg-ls language server for markdown and plain text (and the
// languages in `kg-ls.languages`), passes the `kg-ls` settings as initialization options,
// shows the server's log in the `kg-ls` output with the lines' own levels, and offers commands
// to restart the server, show its statistics, search the knowledge base (`kg-ls/search`, in a
// Quick Pick that opens the document at the match), rebuild its index and show the concept
// graph around the cursor (src/graphPanel.ts).
//
// kg-ls reads its settings at `initialize`. The client also sends them through
// `workspace/didChangeConfiguration` (the `synchronize` option below), only the values the user
// set, as at `initialize`; and it restarts the server when one of them changes, so that a value
// the user removes is gone too.

import * as readline from 'readline';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ErrorCodes,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  LSPErrorCodes,
  ProgressType,
  RequestType,
  ResponseError,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { showGraph } from './graphPanel';
import { SearchItem, SearchParams, SearchPartialResult, SearchPick, searchPick, SearchResult, searchTitle } from './search';
import { configurationSettings, initializationOptions, KgLsSettings, resolveServer } from './settings';
import { serverLogLine } from './serverlog';
import { TraceChannel } from './trace';

/** The server command that answers with statistics, in kg-ls versions that have it. */
const STATS_COMMAND = 'kg-ls.stats';

/** The server command that rebuilds the full-text index from scratch. */
const REBUILD_COMMAND = 'kg-ls.rebuildTextIndex';

/** kg-ls's knowledge-base search (README: "Searching the knowledge base"). */
const SEARCH_REQUEST = new RequestType<SearchParams, SearchResult, void>('kg-ls/search');
/** The items a search streams through `$/progress` for its `partialResultToken`. */
const SEARCH_PARTIAL = new ProgressType<SearchPartialResult>();
const SEARCH_TITLE = 'kg-ls: Search Knowledge Base';
/** How long typing must pause before the query goes to the server. */
const SEARCH_DEBOUNCE_MS = 150;
/** The most hits one query asks for. */
const SEARCH_LIMIT = 50;

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let trace: TraceChannel;
let statsChannel: vscode.OutputChannel | undefined;
let extensionUri: vscode.Uri;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionUri = context.extensionUri;
  output = vscode.window.createOutputChannel('kg-ls', { log: true });
  trace = new TraceChannel('kg-ls trace');
  context.subscriptions.push(
    output,
    trace,
    vscode.commands.registerCommand('kg-ls.restartServer', restart),
    vscode.commands.registerCommand('kg-ls.showStatistics', showStatistics),
    vscode.commands.registerCommand('kg-ls.showOutput', () => output.show()),
    vscode.commands.registerCommand('kg-ls.searchKnowledgeBase', searchKnowledgeBase),
    vscode.commands.registerCommand('kg-ls.rebuildSearchIndex', rebuildSearchIndex),
    vscode.commands.registerCommand('kg-ls.showGraph', () => showGraph(client, extensionUri, output)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      const needsRestart = ['path', 'kg', 'completion', 'symbols', 'languages'].some((k) =>
        e.affectsConfiguration(`kg-ls.${k}`),
      );
      if (needsRestart && client) {
        output.info('kg-ls settings changed; restarting the server');
        await restart();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart()),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function settings(): KgLsSettings {
  const c = vscode.workspace.getConfiguration('kg-ls');
  return {
    // In an untrusted workspace only the user's own value of `kg-ls.path` counts.
    path: vscode.workspace.isTrusted ? c.get<string>('path') : c.inspect<string>('path')?.globalValue,
    kg: { paths: c.get<string[]>('kg.paths') ?? [] },
    completion: { limit: c.get<number | null>('completion.limit') ?? null },
    symbols: { limit: c.get<number | null>('symbols.limit') ?? null },
    checks: c.get<Record<string, unknown>>('checks') ?? {},
    // Booleans have no "unset" value of their own: what the user set, in any scope, or nothing
    // (so that `.kg-ls.toml`'s `[navigation]` stays in charge).
    navigation: {
      inlayHints: userValue(c, 'navigation.inlayHints'),
      semanticTokens: userValue(c, 'navigation.semanticTokens'),
      semanticTokensInCode: userValue(c, 'navigation.semanticTokensInCode'),
    },
  };
}

/** The value of `key` the user set (folder, workspace or user settings), not its default. */
function userValue(c: vscode.WorkspaceConfiguration, key: string): unknown {
  const i = c.inspect(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

async function start(): Promise<void> {
  const s = settings();
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const server = resolveServer(s.path, base);
  if (!server.ok) {
    output.error(`kg-ls not found: tried ${server.tried}`);
    await missingBinary(server.tried);
    return;
  }
  output.info(`starting ${server.command}`);

  const serverOptions: ServerOptions = {
    run: { command: server.command, args: ['--stdio'] },
    debug: { command: server.command, args: ['--stdio'], options: { env: { ...process.env, RUST_LOG: 'kg_ls=debug' } } },
  };
  const languages = vscode.workspace.getConfiguration('kg-ls').get<string[]>('languages') ?? ['markdown', 'plaintext'];
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    initializationOptions: () => initializationOptions(settings()),
    synchronize: {
      configurationSection: 'kg-ls',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.md,*.json,.kg-ls.toml}'),
    },
    middleware: {
      workspace: {
        // Instead of the whole section with its defaults: only what the user set.
        didChangeConfiguration: () =>
          started.sendNotification(DidChangeConfigurationNotification.type, {
            settings: configurationSettings(settings()),
          }),
      },
    },
    outputChannel: output,
    traceOutputChannel: trace,
    // The server's log lines keep their level (the default would make every stderr line an error).
    stdioOptions: {
      stdout: (input, channel) => lines(input, (line) => channel.info(line)),
      stderr: (input, channel) =>
        lines(input, (line) => {
          const { level, text } = serverLogLine(line);
          channel[level](text);
        }),
    },
  };
  const started = new LanguageClient('kg-ls', 'kg-ls', serverOptions, clientOptions);
  client = started;
  try {
    await client.start();
    const info = client.initializeResult?.serverInfo;
    output.info(`started ${info?.name ?? 'kg-ls'} ${info?.version ?? ''}`.trim());
  } catch (e) {
    output.error(`kg-ls failed to start: ${String(e)}`);
    const failed = client;
    client = undefined;
    await failed.dispose().catch(() => undefined);
    await missingBinary(server.command, String(e));
  }
}

function lines(input: NodeJS.ReadableStream, each: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', each);
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.needsStop()) {
    await c.stop().catch((e) => output.warn(`stopping kg-ls: ${String(e)}`));
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

/** Says that the binary is missing (or would not start) and how to install it. */
async function missingBinary(tried: string, why?: string): Promise<void> {
  const install = 'Install instructions';
  const configure = 'Set kg-ls.path';
  const message =
    `kg-ls: cannot start the language server (${why ?? `not found: ${tried}`}). ` +
    'Install it with `cargo install --path .` in a kg-ls checkout, or set `kg-ls.path` to the binary.';
  const choice = await vscode.window.showErrorMessage(message, install, configure);
  if (choice === install) {
    // The extension's README carries the install instructions; it is part of the package.
    const readme = vscode.Uri.joinPath(extensionUri, 'README.md').with({ fragment: 'install' });
    await vscode.commands.executeCommand('markdown.showPreview', readme);
  } else if (choice === configure) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'kg-ls.path');
  }
}

/** Runs the server's `kg-ls.stats` command and shows its JSON answer. */
async function showStatistics(): Promise<void> {
  if (!client || client.state !== State.Running) {
    vscode.window.showWarningMessage('kg-ls is not running; run "kg-ls: Restart Server" first.');
    return;
  }
  const version = client.initializeResult?.serverInfo?.version ?? 'unknown';
  const offered = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  if (!offered.includes(STATS_COMMAND)) {
    vscode.window.showInformationMessage(
      `This kg-ls (version ${version}) does not offer statistics (no \`${STATS_COMMAND}\` command). Update kg-ls to get them.`,
    );
    return;
  }
  try {
    const stats = await client.sendRequest(ExecuteCommandRequest.type, { command: STATS_COMMAND, arguments: [] });
    statsChannel ??= vscode.window.createOutputChannel('kg-ls statistics', 'json');
    statsChannel.clear();
    statsChannel.appendLine(JSON.stringify(stats, null, 2));
    statsChannel.show(true);
  } catch (e) {
    const unknown = e instanceof ResponseError && /unknown command/i.test(e.message);
    vscode.window.showErrorMessage(
      unknown
        ? `This kg-ls (version ${version}) does not know the \`${STATS_COMMAND}\` command. Update kg-ls to get statistics.`
        : `kg-ls: the statistics request failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

type SearchQuickPickItem = vscode.QuickPickItem & { pick?: SearchPick };

/** Numbers the searches' partial result tokens. */
let searches = 0;

/**
 * The "kg-ls: Search Knowledge Base" Quick Pick: each pause in typing sends `kg-ls/search`
 * (a key cancels the query on its way), the hits stream in as partial results, and accepting
 * one opens its document with the first match selected. Enter while a query is still on its
 * way opens that query's best hit once it is in.
 */
async function searchKnowledgeBase(): Promise<void> {
  const c = client;
  if (!c || c.state !== State.Running) {
    vscode.window.showWarningMessage('kg-ls is not running; run "kg-ls: Restart Server" first.');
    return;
  }
  const picker = vscode.window.createQuickPick<SearchQuickPickItem>();
  picker.title = SEARCH_TITLE;
  picker.placeholder = 'Words and "quoted phrases"; a concept\'s name also finds its synonyms';
  // The server has ranked and filtered (every item is `alwaysShow`); matching on the detail
  // only highlights the typed words in the snippets.
  picker.matchOnDetail = true;
  /** The latest query's number: an answer to an older one is dropped. */
  let current = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: vscode.CancellationTokenSource | undefined;
  /** Whether the items on screen are not yet the answer to what is typed. */
  let pending = false;
  let acceptWhenDone = false;

  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    running?.cancel();
    running?.dispose();
    running = undefined;
  };
  const relative = (uri: string) => vscode.workspace.asRelativePath(c.protocol2CodeConverter.asUri(uri));
  const show = (items: SearchItem[]) => {
    picker.items = items.map((item) => {
      const pick = searchPick(item, relative);
      const { label, description, detail, alwaysShow } = pick;
      return { label, description, detail, alwaysShow, iconPath: new vscode.ThemeIcon(pick.icon), pick };
    });
  };
  const open = async (pick: SearchPick) => {
    picker.hide();
    try {
      const document = await vscode.workspace.openTextDocument(c.protocol2CodeConverter.asUri(pick.uri));
      await vscode.window.showTextDocument(document, { selection: c.protocol2CodeConverter.asRange(pick.range) });
    } catch (e) {
      vscode.window.showErrorMessage(`kg-ls: cannot open ${pick.uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const done = async (id: number) => {
    if (id !== current) return;
    pending = false;
    picker.busy = false;
    if (acceptWhenDone) {
      acceptWhenDone = false;
      const first = (picker.activeItems[0] ?? picker.items[0])?.pick;
      if (first) await open(first);
    }
  };

  const search = async (id: number, query: string) => {
    if (query.trim() === '') {
      picker.title = SEARCH_TITLE;
      picker.items = [];
      return done(id);
    }
    const source = new vscode.CancellationTokenSource();
    running = source;
    picker.busy = true;
    const token = `kg-ls/search/${++searches}`;
    const items: SearchItem[] = [];
    const partial = c.onProgress(SEARCH_PARTIAL, token, (value) => {
      if (id === current && Array.isArray(value?.items)) {
        items.push(...value.items);
        show(items);
      }
    });
    try {
      const result = await c.sendRequest(SEARCH_REQUEST, { query, limit: SEARCH_LIMIT, partialResultToken: token }, source.token);
      if (id !== current) return;
      items.push(...(result?.items ?? []));
      show(items);
      picker.title = searchTitle(SEARCH_TITLE, { expanded: result?.expanded ?? [], total: result?.total ?? items.length }, items.length);
    } catch (e) {
      if (id !== current) return;
      if (e instanceof ResponseError && (e.code === LSPErrorCodes.RequestCancelled || e.code === LSPErrorCodes.ContentModified)) {
        return;
      }
      picker.items = [];
      const version = c.initializeResult?.serverInfo?.version ?? 'unknown';
      const why =
        e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound
          ? `this kg-ls (version ${version}) has no kg-ls/search; update kg-ls`
          : `the search failed: ${e instanceof Error ? e.message : String(e)}`;
      output.warn(`kg-ls/search ${JSON.stringify(query)}: ${why}`);
      picker.title = `${SEARCH_TITLE} (${why})`;
    } finally {
      partial.dispose();
      if (running === source) running = undefined;
      source.dispose();
      await done(id);
    }
  };

  picker.onDidChangeValue((value) => {
    cancel();
    const id = ++current;
    pending = true;
    timer = setTimeout(() => {
      timer = undefined;
      void search(id, value);
    }, SEARCH_DEBOUNCE_MS);
  });
  picker.onDidAccept(() => {
    const chosen = (picker.selectedItems[0] ?? picker.activeItems[0])?.pick;
    if (pending) {
      // The items on screen answer an earlier query.
      acceptWhenDone = true;
    } else if (chosen) {
      void open(chosen);
    }
  });
  picker.onDidHide(() => {
    current++;
    cancel();
    picker.dispose();
  });
  picker.show();
}

/** Runs the server's `kg-ls.rebuildTextIndex`: the full-text index is emptied and built again. */
async function rebuildSearchIndex(): Promise<void> {
  if (!client || client.state !== State.Running) {
    vscode.window.showWarningMessage('kg-ls is not running; run "kg-ls: Restart Server" first.');
    return;
  }
  const version = client.initializeResult?.serverInfo?.version ?? 'unknown';
  const offered = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  if (!offered.includes(REBUILD_COMMAND)) {
    vscode.window.showInformationMessage(`This kg-ls (version ${version}) has no search index to rebuild. Update kg-ls.`);
    return;
  }
  try {
    await client.sendRequest(ExecuteCommandRequest.type, { command: REBUILD_COMMAND, arguments: [] });
    output.info('rebuilding the search index');
    vscode.window.setStatusBarMessage('kg-ls: rebuilding the search index', 5000);
  } catch (e) {
    vscode.window.showErrorMessage(`kg-ls: the search index was not rebuilt: ${e instanceof Error ? e.message : String(e)}`);
  }
}
