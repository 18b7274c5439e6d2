// The concept graph webview's script (compiled to out/webview/graph.js, loaded with a nonce):
// draws the view model the extension posts (src/graph.ts's GraphView) as SVG with d3-force's
// simulation, and posts back what the user asks: `open` on a click (or Enter), `expand` on a
// double-click (or Space). It keeps node positions across an expansion, fits the drawing to the
// panel until the user pans or zooms, and marks `body[data-settled]` when the layout is still.
// Colours are VS Code's theme variables in media/graph.css, so a theme change repaints it; it
// fetches nothing and talks only to the extension.

interface ViewNode {
  id: string;
  label: string;
  r: number;
  depth: number;
  root: boolean;
  expanded: boolean;
  title: string;
}

interface GraphView {
  root: string | null;
  nodes: ViewNode[];
  edges: { source: string; target: string }[];
  truncated: boolean;
}

type Incoming = { type: 'graph'; view: GraphView; around?: string } | { type: 'statusLine'; text: string; error?: boolean };

interface Vertex extends d3.SimNode, ViewNode {
  el?: SVGGElement;
}

interface Arc {
  source: Vertex | string;
  target: Vertex | string;
  el?: SVGLineElement;
}

const SVG = 'http://www.w3.org/2000/svg';
/** How long a click waits for a second one before it opens the file. */
const CLICK_MS = 280;
/** Pixels a press may move and still be a click, not a drag. */
const DRAG_SLOP = 4;

const vscode = acquireVsCodeApi();
const svg = document.getElementById('graph') as unknown as SVGSVGElement;
const viewport = document.getElementById('viewport') as unknown as SVGGElement;
const edgeLayer = document.getElementById('edges') as unknown as SVGGElement;
const nodeLayer = document.getElementById('nodes') as unknown as SVGGElement;
const statusLine = document.getElementById('status') as HTMLElement;

let nodes: Vertex[] = [];
let links: Arc[] = [];
/** The viewport's transform: scale, then translate. */
const view = { k: 1, x: 0, y: 0 };
/** Whether the user has panned or zoomed: then the drawing is no longer fitted. */
let userMoved = false;

const simulation = d3
  .forceSimulation<Vertex>([])
  .force('link', d3.forceLink<Vertex, Arc>([]).id((n) => n.id).distance((l) => 50 + radius(l.source) + radius(l.target)))
  .force('charge', d3.forceManyBody<Vertex>().strength(-400).distanceMax(800))
  // Room for the label under a circle too, so that labels do not cover other nodes.
  .force('collide', d3.forceCollide<Vertex>().radius((n) => Math.max(n.r + 16, n.label.length * 4 + 6)))
  .force('x', d3.forceX<Vertex>(0).strength(0.04))
  .force('y', d3.forceY<Vertex>(0).strength(0.06))
  .on('tick', draw)
  .on('end', () => {
    document.body.dataset.settled = 'true';
    draw();
  });

function radius(n: Vertex | string): number {
  return typeof n === 'string' ? 10 : n.r;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Replaces the drawing's data with `next`; nodes already drawn keep their place. */
function update(next: GraphView, around: string | undefined): void {
  const old = new Map(nodes.map((n) => [n.id, n]));
  const from = around ? old.get(around) : undefined;
  nodes = next.nodes.map((v, i) => {
    const kept = old.get(v.id);
    if (kept) return Object.assign(kept, v);
    // New nodes start around the node they were expanded from, or on a circle at first.
    const a = (2 * Math.PI * i) / Math.max(1, next.nodes.length);
    const n: Vertex = { ...v, x: (from?.x ?? 0) + 30 * Math.cos(a), y: (from?.y ?? 0) + 30 * Math.sin(a) };
    if (v.root && !from) {
      n.x = 0;
      n.y = 0;
    }
    return n;
  });
  links = next.edges.map((e) => ({ source: e.source, target: e.target }));

  edgeLayer.replaceChildren();
  for (const l of links) {
    l.el = el('line', { class: 'edge', 'marker-end': 'url(#arrow)' });
    edgeLayer.append(l.el);
  }
  nodeLayer.replaceChildren();
  for (const n of nodes) {
    const g = el('g', {
      class: `node depth-${Math.min(n.depth, 3)}${n.root ? ' root' : ''}${n.expanded ? ' expanded' : ''}`,
      tabindex: 0,
      role: 'button',
      'data-id': n.id,
      'aria-label': `${n.label}: click opens its file, double-click shows its neighbours`,
    });
    const title = el('title');
    title.textContent = n.title;
    const label = el('text', { class: 'label', y: n.r + 14, 'text-anchor': 'middle' });
    label.textContent = n.label;
    g.append(title, el('circle', { r: n.r }), label);
    interact(g, n);
    n.el = g;
    nodeLayer.append(g);
  }

  simulation.nodes(nodes);
  (simulation.force('link') as d3.LinkForce<Vertex, Arc>).links(links);
  delete document.body.dataset.settled;
  simulation.alpha(around ? 0.6 : 1).restart();
  const n = nodes.length;
  statusLine.classList.remove('error');
  statusLine.textContent =
    `${n === 1 ? '1 concept' : `${n} concepts`}, ${links.length === 1 ? '1 link' : `${links.length} links`}` +
    (next.truncated ? ' (more than shown: the neighbourhood was cut off)' : '') +
    '. Click a concept to open its file, double-click to show its neighbours.';
}

/** Click, double-click, drag and keys on one node. */
function interact(g: SVGGElement, n: Vertex): void {
  let timer: number | undefined;
  let press: { x: number; y: number; moved: boolean } | undefined;
  g.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.stopPropagation();
    g.setPointerCapture(e.pointerId);
    press = { x: e.clientX, y: e.clientY, moved: false };
  });
  g.addEventListener('pointermove', (e) => {
    if (!press) return;
    if (!press.moved && Math.hypot(e.clientX - press.x, e.clientY - press.y) < DRAG_SLOP) return;
    press.moved = true;
    const p = toGraph(e.clientX, e.clientY);
    n.fx = p.x;
    n.fy = p.y;
    simulation.alphaTarget(0.3).restart();
  });
  const release = () => {
    if (press?.moved) {
      n.fx = null;
      n.fy = null;
      simulation.alphaTarget(0);
    }
  };
  g.addEventListener('pointerup', release);
  g.addEventListener('pointercancel', () => {
    release();
    press = undefined;
  });
  g.addEventListener('click', (e) => {
    const dragged = press?.moved;
    press = undefined;
    if (dragged) return;
    clearTimeout(timer);
    if (e.detail >= 2) {
      timer = undefined;
      vscode.postMessage({ type: 'expand', id: n.id });
    } else {
      timer = window.setTimeout(() => vscode.postMessage({ type: 'open', id: n.id }), CLICK_MS);
    }
  });
  g.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') vscode.postMessage({ type: 'open', id: n.id });
    else if (e.key === ' ' || e.key === '+') vscode.postMessage({ type: 'expand', id: n.id });
    else return;
    e.preventDefault();
  });
}

/** A point of the panel in the drawing's coordinates. */
function toGraph(clientX: number, clientY: number): { x: number; y: number } {
  const box = svg.getBoundingClientRect();
  return { x: (clientX - box.left - view.x) / view.k, y: (clientY - box.top - view.y) / view.k };
}

/** Scales and centres the drawing to the panel, labels included. */
function fit(): void {
  if (nodes.length === 0) return;
  const box = svg.getBoundingClientRect();
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    const half = Math.max(n.r, n.label.length * 4);
    x0 = Math.min(x0, (n.x ?? 0) - half);
    x1 = Math.max(x1, (n.x ?? 0) + half);
    y0 = Math.min(y0, (n.y ?? 0) - n.r);
    y1 = Math.max(y1, (n.y ?? 0) + n.r + 20);
  }
  const pad = 24;
  const k = Math.min(1.25, (box.width - 2 * pad) / Math.max(1, x1 - x0), (box.height - 2 * pad) / Math.max(1, y1 - y0));
  view.k = Math.max(0.1, k);
  view.x = box.width / 2 - view.k * (x0 + x1) / 2;
  view.y = box.height / 2 - view.k * (y0 + y1) / 2;
}

function draw(): void {
  if (!userMoved) fit();
  viewport.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
  for (const l of links) {
    const s = l.source as Vertex;
    const t = l.target as Vertex;
    const dx = (t.x ?? 0) - (s.x ?? 0);
    const dy = (t.y ?? 0) - (s.y ?? 0);
    const d = Math.hypot(dx, dy) || 1;
    // From rim to rim, so that the arrow head shows at the target's edge.
    l.el?.setAttribute('x1', String((s.x ?? 0) + (dx * s.r) / d));
    l.el?.setAttribute('y1', String((s.y ?? 0) + (dy * s.r) / d));
    l.el?.setAttribute('x2', String((t.x ?? 0) - (dx * (t.r + 2)) / d));
    l.el?.setAttribute('y2', String((t.y ?? 0) - (dy * (t.r + 2)) / d));
  }
  for (const n of nodes) n.el?.setAttribute('transform', `translate(${n.x ?? 0},${n.y ?? 0})`);
}

// Panning with the background, zooming with the wheel; the "Fit" button undoes both.
let pan: { x: number; y: number } | undefined;
svg.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  svg.setPointerCapture(e.pointerId);
  pan = { x: e.clientX - view.x, y: e.clientY - view.y };
});
svg.addEventListener('pointermove', (e) => {
  if (!pan) return;
  userMoved = true;
  view.x = e.clientX - pan.x;
  view.y = e.clientY - pan.y;
  draw();
});
svg.addEventListener('pointerup', () => (pan = undefined));
svg.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    userMoved = true;
    const box = svg.getBoundingClientRect();
    const k = Math.min(4, Math.max(0.1, view.k * Math.exp(-e.deltaY / 500)));
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    draw();
  },
  { passive: false },
);
document.getElementById('fit')?.addEventListener('click', () => {
  userMoved = false;
  draw();
});
window.addEventListener('resize', () => draw());

window.addEventListener('message', (e: MessageEvent<Incoming>) => {
  const m = e.data;
  if (m?.type === 'graph') update(m.view, m.around);
  else if (m?.type === 'statusLine') {
    statusLine.textContent = m.text;
    statusLine.classList.toggle('error', m.error === true);
  }
});
vscode.postMessage({ type: 'ready' });
