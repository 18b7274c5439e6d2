// Pure helpers of the concept graph view: the shapes of kg-ls's `kg-ls/graph` request, checking
// an answer, merging an expanded node's neighbourhood into the drawing, and the view model the
// webview draws (label, radius by mention count, root). No `vscode` import and no DOM, so that
// the node tests in ../test can load the compiled module (out/graph.js).

/** `kg-ls/graph` by concept name. */
export interface GraphByConcept {
  concept: string;
  depth: number;
}

/** `kg-ls/graph` at a position in a document: the concept of the term there. */
export interface GraphAtPosition {
  textDocument: { uri: string };
  position: { line: number; character: number };
  depth: number;
}

export type GraphParams = GraphByConcept | GraphAtPosition;

/** A concept of the neighbourhood. */
export interface GraphNode {
  id: string;
  name: string;
  /** The concept's file. */
  uri: string;
  path: string;
  /** 0-based line of the concept's definition in its file. */
  line: number;
  /** How often the workspace's documents mention it. */
  mentions: number;
  /** Steps from the root. */
  depth: number;
}

/** A `related::` link: `from` names `to`. */
export interface GraphEdge {
  from: string;
  to: string;
}

/** The result of `kg-ls/graph`. `root` is null when the position is on no term. */
export interface GraphResult {
  root: string | null;
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

/** A node as the webview draws it. */
export interface ViewNode {
  id: string;
  label: string;
  /** Radius in pixels: grows with the square root of the mention count. */
  r: number;
  depth: number;
  root: boolean;
  /** Double-clicked already: its neighbours are in. */
  expanded: boolean;
  /** The tooltip: path and mentions. */
  title: string;
}

export interface ViewEdge {
  source: string;
  target: string;
}

/** What the extension posts to the webview (`{type: 'graph', ...}`). */
export interface GraphView {
  root: string | null;
  nodes: ViewNode[];
  edges: ViewEdge[];
  truncated: boolean;
}

/** The smallest and largest radius of a node. */
export const MIN_RADIUS = 6;
export const MAX_RADIUS = 22;

/**
 * Checks that `value` has the shape of a `kg-ls/graph` result; returns the result or says what
 * is wrong and where (`nodes[3].id: not a string`). Edges whose ends are not nodes are kept out
 * of the drawing later (`graphView`), not refused here.
 */
export function checkGraph(value: unknown): { ok: true; graph: GraphResult } | { ok: false; error: string } {
  const bad = (error: string) => ({ ok: false as const, error });
  if (typeof value !== 'object' || value === null) return bad(`the result is ${value === null ? 'null' : typeof value}, not an object`);
  const v = value as Record<string, unknown>;
  if (v.root !== null && v.root !== undefined && typeof v.root !== 'string') return bad('root: not a string or null');
  if (!Array.isArray(v.nodes)) return bad('nodes: not an array');
  if (!Array.isArray(v.edges)) return bad('edges: not an array');
  const nodes: GraphNode[] = [];
  for (const [i, n] of v.nodes.entries()) {
    if (typeof n !== 'object' || n === null) return bad(`nodes[${i}]: not an object`);
    const o = n as Record<string, unknown>;
    if (typeof o.id !== 'string' || o.id === '') return bad(`nodes[${i}].id: not a non-empty string`);
    for (const key of ['uri', 'path'] as const) {
      if (o[key] !== undefined && o[key] !== null && typeof o[key] !== 'string') return bad(`nodes[${i}].${key}: not a string`);
    }
    for (const key of ['line', 'mentions', 'depth'] as const) {
      if (o[key] !== undefined && o[key] !== null && (typeof o[key] !== 'number' || !Number.isFinite(o[key]))) {
        return bad(`nodes[${i}].${key}: not a number`);
      }
    }
    nodes.push({
      id: o.id,
      name: typeof o.name === 'string' && o.name !== '' ? o.name : o.id,
      uri: (o.uri as string | undefined) ?? '',
      path: (o.path as string | undefined) ?? '',
      line: Math.max(0, (o.line as number | undefined) ?? 0),
      mentions: Math.max(0, (o.mentions as number | undefined) ?? 0),
      depth: Math.max(0, (o.depth as number | undefined) ?? 0),
    });
  }
  const edges: GraphEdge[] = [];
  for (const [i, e] of v.edges.entries()) {
    if (typeof e !== 'object' || e === null) return bad(`edges[${i}]: not an object`);
    const o = e as Record<string, unknown>;
    if (typeof o.from !== 'string' || typeof o.to !== 'string') return bad(`edges[${i}]: from and to must be strings`);
    edges.push({ from: o.from, to: o.to });
  }
  return { ok: true, graph: { root: (v.root as string | null | undefined) ?? null, nodes, edges, truncated: v.truncated === true } };
}

/**
 * `current` with `added` (the neighbourhood of the node `around`, expanded) merged in: a node
 * already drawn keeps its depth unless the new answer puts it nearer the root (depth counts
 * from `around`, which is `current`'s depth of `around` away from the root); mention counts
 * take the newer answer. Edges are kept once each. The root stays `current`'s.
 */
export function mergeGraph(current: GraphResult, added: GraphResult, around: string): GraphResult {
  const base = current.nodes.find((n) => n.id === around)?.depth ?? 0;
  const nodes = new Map(current.nodes.map((n) => [n.id, { ...n }]));
  for (const n of added.nodes) {
    const depth = base + n.depth;
    const old = nodes.get(n.id);
    if (old) {
      old.mentions = n.mentions;
      old.depth = Math.min(old.depth, depth);
    } else {
      nodes.set(n.id, { ...n, depth });
    }
  }
  const key = (e: GraphEdge) => `${e.from}\u0000${e.to}`;
  const edges = new Map(current.edges.map((e) => [key(e), e]));
  for (const e of added.edges) if (!edges.has(key(e))) edges.set(key(e), e);
  return { root: current.root, nodes: [...nodes.values()], edges: [...edges.values()], truncated: current.truncated || added.truncated };
}

/** Radius for `mentions` when the most mentioned node of the drawing has `max`. */
export function nodeRadius(mentions: number, max: number): number {
  if (max <= 0 || mentions <= 0) return MIN_RADIUS;
  return Math.round((MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(Math.min(mentions, max) / max)) * 10) / 10;
}

/** What the webview draws for `graph`; `expanded` names the nodes already double-clicked. */
export function graphView(graph: GraphResult, expanded: ReadonlySet<string>): GraphView {
  const max = Math.max(0, ...graph.nodes.map((n) => n.mentions));
  const ids = new Set(graph.nodes.map((n) => n.id));
  const mention = (n: number) => (n === 1 ? '1 mention' : `${n} mentions`);
  return {
    root: graph.root,
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      label: n.name,
      r: nodeRadius(n.mentions, max),
      depth: n.depth,
      root: n.id === graph.root,
      expanded: expanded.has(n.id) || n.id === graph.root,
      title: `${n.name}\n${n.path || n.uri}${n.path || n.uri ? `:${n.line + 1}` : ''}\n${mention(n.mentions)}`,
    })),
    edges: graph.edges
      .filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to)
      .map((e) => ({ source: e.from, target: e.to })),
    truncated: graph.truncated,
  };
}

/** What the webview may post back; anything else is ignored. */
export type ViewMessage = { type: 'open'; id: string } | { type: 'expand'; id: string } | { type: 'ready' };

export function viewMessage(value: unknown): ViewMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type === 'ready') return { type: 'ready' };
  if ((v.type === 'open' || v.type === 'expand') && typeof v.id === 'string') return { type: v.type, id: v.id };
  return undefined;
}
