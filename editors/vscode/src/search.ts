// The shapes of kg-ls's `kg-ls/search` request (README: "Searching the knowledge base") and
// how its answer becomes Quick Pick items: a title, the document's workspace-relative path,
// its first snippet, and where to open it. No `vscode` import, so that the node tests in
// ../test can load the compiled module (out/search.js); extension.ts turns the LSP ranges
// and URIs into VS Code's.

/** An LSP position: a line and a character in the server's negotiated encoding (UTF-16 here). */
export interface Position {
  line: number;
  character: number;
}

/** An LSP range. */
export interface Range {
  start: Position;
  end: Position;
}

/** The params of `kg-ls/search`. */
export interface SearchParams {
  /** Words and "quoted phrases"; the last word also matches as a prefix. */
  query: string;
  limit?: number;
  offset?: number;
  /** Only documents that mention this concept (named by any of its terms). */
  concept?: string;
  /** A glob relative to a workspace folder, e.g. `docs/**\/*.md`. */
  path?: string;
  partialResultToken?: string | number;
  workDoneToken?: string | number;
}

/** A piece of a document's text around its matches. */
export interface Snippet {
  text: string;
  /** Where `text` is in the document. */
  range: Range;
  /** UTF-16 offsets into `text`: [start, end). */
  highlights: [number, number][];
}

/** One ranked hit: a document, or a concept whose definition matched. */
export interface SearchItem {
  uri: string;
  kind: 'document' | 'concept';
  title: string;
  concept?: string;
  score: number;
  snippets: Snippet[];
  /** Every match in the document, in the document's own coordinates. */
  matches: Range[];
}

/** A concept the query named, whose terms were searched too. */
export interface Expansion {
  concept: string;
  term: string;
  terms: string[];
}

/** The result of `kg-ls/search`. */
export interface SearchResult {
  items: SearchItem[];
  expanded: Expansion[];
  total: number;
}

/** What a `$/progress` notification for a `partialResultToken` carries. */
export interface SearchPartialResult {
  items: SearchItem[];
}

/** A Quick Pick item for one hit, with where accepting it goes. */
export interface SearchPick {
  label: string;
  description: string;
  detail: string | undefined;
  /** Always shown: the server has filtered; the Quick Pick's own filter must not hide hits. */
  alwaysShow: true;
  /** The codicon: a concept's (the symbol kind kg-ls gives concepts), else a file's. */
  icon: 'symbol-key' | 'file';
  uri: string;
  /** The first match, else the first snippet's range, else the document's start. */
  range: Range;
}

/** The most terms of an expanded concept that the title lists. */
const MAX_TERMS = 5;

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Quick Pick text renders `$(name)` as an icon; a backslash keeps it as written. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(([A-Za-z0-9-]+(?:~[A-Za-z-]+)?)\)/g, '\\$($1)');
}

/** A snippet on one line: the Quick Pick's detail shows a single line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The Quick Pick item of `item`: label the title, description its path relative to the
 * workspace (`relative` is `vscode.workspace.asRelativePath` in the extension), detail its
 * first snippet.
 */
export function searchPick(item: SearchItem, relative: (uri: string) => string): SearchPick {
  const snippet = item.snippets?.[0];
  return {
    label: escapeIcons(item.title || item.concept || relative(item.uri)),
    description: escapeIcons(relative(item.uri)),
    detail: snippet && oneLine(snippet.text) !== '' ? escapeIcons(oneLine(snippet.text)) : undefined,
    alwaysShow: true,
    icon: item.kind === 'concept' ? 'symbol-key' : 'file',
    uri: item.uri,
    range: item.matches?.[0] ?? snippet?.range ?? START,
  };
}

/** The Quick Pick's title for an answer: how many documents, and which concepts widened it. */
export function searchTitle(base: string, result: Pick<SearchResult, 'expanded' | 'total'>, shown: number): string {
  const parts: string[] = [];
  if (result.total === 0) {
    parts.push('no matches');
  } else if (shown < result.total) {
    parts.push(`${shown} of ${result.total} matches`);
  } else {
    parts.push(result.total === 1 ? '1 match' : `${result.total} matches`);
  }
  for (const e of result.expanded ?? []) {
    const others = e.terms.filter((t) => t.toLowerCase() !== e.term.toLowerCase());
    const listed = others.length > MAX_TERMS ? [...others.slice(0, MAX_TERMS), '…'] : others;
    const what = e.term.toLowerCase() === e.concept.toLowerCase() ? `"${e.term}" is a concept` : `"${e.term}" is the concept ${e.concept}`;
    parts.push(listed.length > 0 ? `${what}: also searched ${listed.join(', ')}` : what);
  }
  return `${base} (${parts.join('; ')})`;
}
