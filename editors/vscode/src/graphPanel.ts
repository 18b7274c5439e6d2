// "kg-ls: Show Concept Graph": asks the server's `kg-ls/graph` for the neighbourhood of the
// concept at the cursor (or, on no term, of a concept name typed in an input box) and shows it
// in one webview panel, drawn by src/webview/graph.ts with d3-force from out/vendor (bundled at
// compile time by scripts/vendor.mjs). A click on a node opens its file at its line; a
// double-click asks for that node's neighbours and merges them in. The webview's
// Content-Security-Policy allows only the extension's own files and scripts with this page's
// nonce: nothing is fetched from the network. Pure parts (shapes, merging, sizes) are in
// src/graph.ts.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { ErrorCodes, LanguageClient, RequestType, ResponseError, State } from 'vscode-languageclient/node';

import { checkGraph, GraphParams, GraphResult, graphView, mergeGraph, viewMessage } from './graph';

const GRAPH_REQUEST = new RequestType<GraphParams, unknown, void>('kg-ls/graph');
const TITLE = 'kg-ls: Show Concept Graph';
/** How far from the concept the first drawing reaches (`kg-ls.graph.depth`); an expansion adds one step. */
function depth(): number {
  const d = vscode.workspace.getConfiguration('kg-ls').get<number>('graph.depth') ?? 1;
  return Number.isInteger(d) ? Math.min(5, Math.max(0, d)) : 1;
}

/** The one graph panel, reused by the next command. */
let current: GraphPanel | undefined;

export async function showGraph(c: LanguageClient | undefined, extensionUri: vscode.Uri, output: vscode.LogOutputChannel): Promise<void> {
  if (!c || c.state !== State.Running) {
    vscode.window.showWarningMessage('kg-ls is not running; run "kg-ls: Restart Server" first.');
    return;
  }
  const editor = vscode.window.activeTextEditor;
  let graph: GraphResult | undefined;
  if (editor) {
    graph = await request(c, output, {
      textDocument: { uri: c.code2ProtocolConverter.asUri(editor.document.uri) },
      position: c.code2ProtocolConverter.asPosition(editor.selection.active),
      depth: depth(),
    });
    if (graph === undefined) return;
  }
  if (!graph || graph.root === null) {
    const name = await vscode.window.showInputBox({
      title: TITLE,
      prompt: editor ? 'The cursor is on no term of the knowledge graph. Which concept?' : 'Which concept?',
      placeHolder: 'a concept name or synonym, e.g. tokio',
      ignoreFocusOut: true,
    });
    if (!name?.trim()) return;
    graph = await request(c, output, { concept: name.trim(), depth: depth() });
    if (graph === undefined) return;
    if (graph.root === null || graph.nodes.length === 0) {
      vscode.window.showInformationMessage(`kg-ls: no concept "${name.trim()}" in the knowledge graph.`);
      return;
    }
  }
  const column = editor?.viewColumn ?? vscode.ViewColumn.One;
  if (current) current.replace(c, graph, column);
  else current = new GraphPanel(c, extensionUri, output, graph, column);
}

/** `kg-ls/graph`, checked; undefined (after telling the user) when it failed. */
async function request(c: LanguageClient, output: vscode.LogOutputChannel, params: GraphParams): Promise<GraphResult | undefined> {
  let answer: unknown;
  try {
    answer = await c.sendRequest(GRAPH_REQUEST, params);
  } catch (e) {
    const version = c.initializeResult?.serverInfo?.version ?? 'unknown';
    // The server says itself what is wrong with the params (`no concept has the term "x"`).
    const why =
      e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound
        ? `this kg-ls (version ${version}) has no kg-ls/graph request; update kg-ls`
        : e instanceof ResponseError && e.code === ErrorCodes.InvalidParams
          ? e.message
          : `the kg-ls/graph request failed: ${e instanceof Error ? e.message : String(e)}`;
    output.warn(`kg-ls/graph ${JSON.stringify(params)}: ${why}`);
    vscode.window.showErrorMessage(`kg-ls: ${why}`);
    return undefined;
  }
  const checked = checkGraph(answer);
  if (!checked.ok) {
    output.warn(`kg-ls/graph ${JSON.stringify(params)}: unexpected answer: ${checked.error}`);
    vscode.window.showErrorMessage(`kg-ls: the kg-ls/graph answer is malformed: ${checked.error}`);
    return undefined;
  }
  return checked.graph;
}

class GraphPanel {
  private readonly panel: vscode.WebviewPanel;
  private expanded = new Set<string>();
  private ready = false;

  constructor(
    private client: LanguageClient,
    extensionUri: vscode.Uri,
    private readonly output: vscode.LogOutputChannel,
    private graph: GraphResult,
    /** Where clicked files open: the editor the command came from. */
    private column: vscode.ViewColumn,
  ) {
    const roots = [vscode.Uri.joinPath(extensionUri, 'out'), vscode.Uri.joinPath(extensionUri, 'media')];
    this.panel = vscode.window.createWebviewPanel(
      'kg-ls.graph',
      this.title(),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: roots, retainContextWhenHidden: true },
    );
    const webview = this.panel.webview;
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
    webview.html = page(webview.cspSource, randomBytes(16).toString('base64'), {
      css: asset('media', 'graph.css'),
      d3: asset('out', 'vendor', 'd3-force.js'),
      script: asset('out', 'webview', 'graph.js'),
    });
    webview.onDidReceiveMessage((m) => this.receive(m));
    this.panel.onDidDispose(() => {
      if (current === this) current = undefined;
    });
  }

  /** Shows a new concept's neighbourhood in this panel. */
  replace(client: LanguageClient, graph: GraphResult, column: vscode.ViewColumn): void {
    this.client = client;
    this.graph = graph;
    this.column = column;
    this.expanded = new Set();
    this.panel.title = this.title();
    this.panel.reveal(undefined, false);
    this.post();
  }

  private title(): string {
    return `Concept Graph: ${this.graph.root ?? '?'}`;
  }

  private post(around?: string): void {
    if (!this.ready) return;
    void this.panel.webview.postMessage({ type: 'graph', view: graphView(this.graph, this.expanded), around });
  }

  private async receive(raw: unknown): Promise<void> {
    const m = viewMessage(raw);
    if (!m) return;
    if (m.type === 'ready') {
      this.ready = true;
      this.post();
      return;
    }
    const node = this.graph.nodes.find((n) => n.id === m.id);
    if (!node) return;
    if (m.type === 'open') {
      if (!node.uri) {
        vscode.window.showInformationMessage(`kg-ls: the concept ${node.name} has no file.`);
        return;
      }
      try {
        const document = await vscode.workspace.openTextDocument(this.client.protocol2CodeConverter.asUri(node.uri));
        const at = new vscode.Position(Math.min(node.line, Math.max(0, document.lineCount - 1)), 0);
        await vscode.window.showTextDocument(document, { viewColumn: this.column, selection: new vscode.Range(at, at) });
      } catch (e) {
        vscode.window.showErrorMessage(`kg-ls: cannot open ${node.uri}: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    if (this.expanded.has(node.id) || node.id === this.graph.root) {
      void this.panel.webview.postMessage({ type: 'status', text: `All neighbours of ${node.name} are shown.` });
      return;
    }
    if (this.client.state !== State.Running) {
      void this.panel.webview.postMessage({ type: 'status', text: 'kg-ls is not running.', error: true });
      return;
    }
    const added = await request(this.client, this.output, { concept: node.id, depth: 1 });
    if (!added) return;
    this.expanded.add(node.id);
    this.graph = mergeGraph(this.graph, added, node.id);
    this.post(node.id);
  }
}

/** The webview's page: only the extension's own stylesheet and its two scripts, by nonce. */
function page(cspSource: string, nonce: string, src: { css: string; d3: string; script: string }): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${src.css}">
<title>Concept Graph</title>
</head>
<body>
<header><span id="status">Loading the graph…</span><button id="fit" type="button" title="Fit the drawing to the panel">Fit</button></header>
<svg id="graph" role="img" aria-label="Concept graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker></defs>
<g id="viewport"><g id="edges"></g><g id="nodes"></g></g>
</svg>
<script nonce="${nonce}" src="${src.d3}"></script>
<script nonce="${nonce}" src="${src.script}"></script>
</body>
</html>`;
}
