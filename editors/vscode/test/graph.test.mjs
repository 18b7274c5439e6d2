// Unit tests of the concept graph view's pure parts (src/graph.ts, compiled to out/graph.js):
// checking a `kg-ls/graph` answer, merging an expansion, node sizes, the view model, the
// webview's messages; and that the bundled drawing library (out/vendor/d3-force.js, written by
// scripts/vendor.mjs) runs as a plain script with no module system, as in the webview.
// The answers are in the shape of README.md's `kg-ls/graph`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const { checkGraph, mergeGraph, nodeRadius, graphView, viewMessage, MIN_RADIUS, MAX_RADIUS } = require('../out/graph.js');

const root = 'file:///home/me/demo/';
const node = (id, depth, mentions, line = 0) => ({
  id,
  name: id,
  uri: `${root}kg/${encodeURIComponent(id)}.md`,
  path: `kg/${id}.md`,
  line,
  mentions,
  depth,
});

const tokio = {
  root: 'tokio',
  nodes: [node('tokio', 0, 12), node('async runtime', 1, 30), node('future', 2, 3)],
  edges: [
    { from: 'tokio', to: 'async runtime' },
    { from: 'async runtime', to: 'future' },
  ],
  truncated: false,
};

test('checkGraph accepts the documented shape and fills what is missing', () => {
  const r = checkGraph(tokio);
  assert.equal(r.ok, true);
  assert.deepEqual(r.graph, tokio);
  const sparse = checkGraph({ root: null, nodes: [{ id: 'x' }], edges: [] });
  assert.deepEqual(sparse, { ok: true, graph: { root: null, nodes: [{ id: 'x', name: 'x', uri: '', path: '', line: 0, mentions: 0, depth: 0 }], edges: [], truncated: false } });
});

test('checkGraph says what is wrong and where', () => {
  const cases = [
    [null, 'the result is null, not an object'],
    ['graph', 'the result is string, not an object'],
    [{ root: 3, nodes: [], edges: [] }, 'root: not a string or null'],
    [{ root: null, edges: [] }, 'nodes: not an array'],
    [{ root: null, nodes: [] }, 'edges: not an array'],
    [{ root: null, nodes: [node('a', 0, 1), { name: 'b' }], edges: [] }, 'nodes[1].id: not a non-empty string'],
    [{ root: null, nodes: [{ ...node('a', 0, 1), line: '3' }], edges: [] }, 'nodes[0].line: not a number'],
    [{ root: null, nodes: [{ ...node('a', 0, 1), uri: 5 }], edges: [] }, 'nodes[0].uri: not a string'],
    [{ root: null, nodes: [], edges: [{ from: 'a' }] }, 'edges[0]: from and to must be strings'],
  ];
  for (const [value, error] of cases) assert.deepEqual(checkGraph(value), { ok: false, error }, JSON.stringify(value));
});

test('mergeGraph adds the expanded neighbourhood once, with depths counted from the root', () => {
  const around = {
    root: 'future',
    nodes: [node('future', 0, 4), node('async runtime', 1, 31), node('poll', 1, 2)],
    edges: [
      { from: 'async runtime', to: 'future' },
      { from: 'future', to: 'poll' },
    ],
    truncated: true,
  };
  const merged = mergeGraph(tokio, around, 'future');
  assert.deepEqual(
    merged.nodes.map((n) => [n.id, n.depth, n.mentions]),
    [
      ['tokio', 0, 12],
      ['async runtime', 1, 31],
      ['future', 2, 4],
      ['poll', 3, 2],
    ],
  );
  assert.deepEqual(merged.edges, [
    { from: 'tokio', to: 'async runtime' },
    { from: 'async runtime', to: 'future' },
    { from: 'future', to: 'poll' },
  ]);
  assert.equal(merged.root, 'tokio');
  assert.equal(merged.truncated, true);
  // The input is not changed.
  assert.equal(tokio.nodes.length, 3);
  assert.equal(tokio.nodes[1].mentions, 30);
});

test('nodeRadius grows with the square root of mentions, within bounds', () => {
  assert.equal(nodeRadius(0, 30), MIN_RADIUS);
  assert.equal(nodeRadius(5, 0), MIN_RADIUS);
  assert.equal(nodeRadius(30, 30), MAX_RADIUS);
  assert.equal(nodeRadius(300, 30), MAX_RADIUS);
  assert.equal(nodeRadius(30 / 4, 30), (MIN_RADIUS + MAX_RADIUS) / 2);
});

test('graphView: labels, sizes, the root, tooltips; edges to nodes not drawn are left out', () => {
  const g = { ...tokio, edges: [...tokio.edges, { from: 'future', to: 'elsewhere' }, { from: 'tokio', to: 'tokio' }] };
  const v = graphView(g, new Set(['future']));
  assert.deepEqual(v.nodes, [
    { id: 'tokio', label: 'tokio', r: nodeRadius(12, 30), depth: 0, root: true, expanded: true, title: 'tokio\nkg/tokio.md:1\n12 mentions' },
    { id: 'async runtime', label: 'async runtime', r: MAX_RADIUS, depth: 1, root: false, expanded: false, title: 'async runtime\nkg/async runtime.md:1\n30 mentions' },
    { id: 'future', label: 'future', r: nodeRadius(3, 30), depth: 2, root: false, expanded: true, title: 'future\nkg/future.md:1\n3 mentions' },
  ]);
  assert.deepEqual(v.edges, [
    { source: 'tokio', target: 'async runtime' },
    { source: 'async runtime', target: 'future' },
  ]);
  assert.equal(graphView({ root: null, nodes: [{ ...node('x', 0, 1), path: '', uri: '' }], edges: [], truncated: false }, new Set()).nodes[0].title, 'x\n\n1 mention');
});

test('viewMessage keeps only the messages the webview may send', () => {
  assert.deepEqual(viewMessage({ type: 'open', id: 'tokio' }), { type: 'open', id: 'tokio' });
  assert.deepEqual(viewMessage({ type: 'expand', id: 'tokio', extra: 1 }), { type: 'expand', id: 'tokio' });
  assert.deepEqual(viewMessage({ type: 'ready' }), { type: 'ready' });
  for (const bad of [null, 'open', { type: 'open' }, { type: 'open', id: 3 }, { type: 'run', id: 'x' }]) {
    assert.equal(viewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('the bundled d3-force runs as a plain script and lays out a graph', () => {
  const text = readFileSync(new URL('../out/vendor/d3-force.js', import.meta.url), 'utf8');
  // A browser's timers, which d3-timer drives the simulation with.
  const window = { setTimeout, clearTimeout, setInterval, clearInterval, requestAnimationFrame: (f) => setTimeout(f, 16), performance };
  window.globalThis = window;
  window.self = window;
  vm.createContext(window);
  vm.runInContext(text, window);
  const { d3 } = window;
  const nodes = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  const sim = d3
    .forceSimulation(nodes)
    .force('link', d3.forceLink([{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }]).id((n) => n.id))
    .force('charge', d3.forceManyBody())
    .stop();
  sim.tick(100);
  for (const n of nodes) assert.ok(Number.isFinite(n.x) && Number.isFinite(n.y), JSON.stringify(n));
  const licence = readFileSync(new URL('../out/vendor/LICENSE-d3', import.meta.url), 'utf8');
  for (const name of ['d3-dispatch', 'd3-quadtree', 'd3-timer', 'd3-force']) assert.match(licence, new RegExp(`^${name} \\d`, 'm'));
});
