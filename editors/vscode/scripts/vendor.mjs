// Copies the graph view's drawing library into the extension at compile time: d3-force and the
// three d3 modules it needs, from node_modules (package-lock.json pins them), concatenated in
// dependency order into out/vendor/d3-force.js with their licences in out/vendor/LICENSE-d3.
// The webview loads that file from the extension itself (webview.asWebviewUri); nothing is
// fetched at run time. It writes only under out/vendor/.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ext = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// d3-force's UMD build reads its dependencies from the global `d3` when there is no module
// system (a webview): they come first.
const modules = ['d3-dispatch', 'd3-quadtree', 'd3-timer', 'd3-force'];

const out = path.join(ext, 'out', 'vendor');
mkdirSync(out, { recursive: true });
const scripts = [];
const licences = [];
for (const name of modules) {
  // npm ci puts all four at the top of node_modules (package-lock.json: one version each).
  const dir = path.join(ext, 'node_modules', name);
  const { version, license } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = path.join(dir, 'dist', `${name}.min.js`);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${name}: no ${file} (run npm ci): ${e.message}`);
  }
  scripts.push(`// ${name} ${version} (${license}): see LICENSE-d3\n${text.trim()}\n`);
  licences.push(`${name} ${version}\n\n${readFileSync(path.join(dir, 'LICENSE'), 'utf8').trim()}\n`);
}
writeFileSync(path.join(out, 'd3-force.js'), scripts.join('\n'));
writeFileSync(path.join(out, 'LICENSE-d3'), licences.join('\n\n'));
