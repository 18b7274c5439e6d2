// Unit tests of how a `kg-ls/search` answer becomes Quick Pick items and a title
// (src/search.ts, compiled to out/search.js by `npm run compile`). The answers are in the
// shape of README.md's "Searching the knowledge base".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { escapeIcons, oneLine, searchPick, searchTitle } = require('../out/search.js');

const root = 'file:///home/me/demo/';
const relative = (uri) => (uri.startsWith(root) ? decodeURIComponent(uri.slice(root.length)) : uri);
const range = (line, start, end) => ({ start: { line, character: start }, end: { line, character: end } });

const document = {
  uri: `${root}docs/search.md`,
  kind: 'document',
  title: 'How term search works',
  score: 7.5,
  snippets: [
    {
      text: 'Because the fst shares prefixes and suffixes,\nthousands of terms take only   kilobytes, and a lookup',
      range: range(12, 80, 30),
      highlights: [[74, 83]],
    },
    { text: 'second snippet', range: range(40, 0, 14), highlights: [] },
  ],
  matches: [range(13, 31, 40), range(41, 2, 11)],
};

test('a document hit: title, workspace-relative path, first snippet on one line, first match', () => {
  assert.deepEqual(searchPick(document, relative), {
    label: 'How term search works',
    description: 'docs/search.md',
    detail: 'Because the fst shares prefixes and suffixes, thousands of terms take only kilobytes, and a lookup',
    alwaysShow: true,
    icon: 'file',
    uri: `${root}docs/search.md`,
    range: range(13, 31, 40),
  });
});

test('a concept hit shows as the concept, with its file; no match opens at the snippet', () => {
  const concept = {
    uri: `${root}kg/runtime/future.md`,
    kind: 'concept',
    title: 'future',
    concept: 'future',
    score: 3,
    snippets: [{ text: 'A future is a value', range: range(2, 0, 19), highlights: [[2, 8]] }],
    matches: [],
  };
  const pick = searchPick(concept, relative);
  assert.equal(pick.label, 'future');
  assert.equal(pick.description, 'kg/runtime/future.md');
  assert.equal(pick.icon, 'symbol-key');
  assert.deepEqual(pick.range, range(2, 0, 19));
});

test('without matches or snippets the document opens at its start, with no detail', () => {
  const bare = { uri: `${root}notes%20and%20ideas.md`, kind: 'document', title: '', score: 1, snippets: [], matches: [] };
  const pick = searchPick(bare, relative);
  assert.equal(pick.label, 'notes and ideas.md', 'an empty title falls back to the path');
  assert.equal(pick.detail, undefined);
  assert.deepEqual(pick.range, range(0, 0, 0));
});

test('$(name) in a title or snippet stays text, not a Quick Pick icon', () => {
  assert.equal(escapeIcons('run $(npm bin)/tsc or $(git-branch)'), 'run $(npm bin)/tsc or \\$(git-branch)');
  assert.equal(escapeIcons('costs $5 (about)'), 'costs $5 (about)');
  const pick = searchPick({ ...document, title: 'The $(gear) menu' }, relative);
  assert.equal(pick.label, 'The \\$(gear) menu');
});

test('oneLine joins lines and squeezes blanks', () => {
  assert.equal(oneLine('  a\n\n b\t c  '), 'a b c');
});

test('the title counts the matches and names the concept that widened the query', () => {
  const base = 'kg-ls: Search Knowledge Base';
  assert.equal(searchTitle(base, { expanded: [], total: 0 }, 0), `${base} (no matches)`);
  assert.equal(searchTitle(base, { expanded: [], total: 1 }, 1), `${base} (1 match)`);
  assert.equal(searchTitle(base, { expanded: [], total: 120 }, 50), `${base} (50 of 120 matches)`);
  assert.equal(
    searchTitle(base, { expanded: [{ concept: 'future', term: 'promise', terms: ['future', 'futures', 'Future trait', 'promise'] }], total: 4 }, 4),
    `${base} (4 matches; "promise" is the concept future: also searched future, futures, Future trait)`,
  );
  assert.equal(
    searchTitle(base, { expanded: [{ concept: 'tokio', term: 'Tokio', terms: ['tokio', 'tokio-rs', 'tokio crate'] }], total: 2 }, 2),
    `${base} (2 matches; "Tokio" is a concept: also searched tokio-rs, tokio crate)`,
  );
  const many = Array.from({ length: 9 }, (_, i) => `term ${i}`);
  assert.match(
    searchTitle(base, { expanded: [{ concept: 'c', term: 'x', terms: many }], total: 1 }, 1),
    /also searched term 0, term 1, term 2, term 3, term 4, …\)$/,
  );
});
