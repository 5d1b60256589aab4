/**
 * Text analyzers of TEXT fields (docs/protocol-search.md §3). A token keeps its position so MatchPhrase
 * can ask for consecutive tokens; the fuzzy analyzer's positions are character offsets, so a phrase of
 * n-grams at consecutive offsets is a substring.
 */
export interface Token {
  readonly term: string;
  readonly pos: number;
}

export type AnalyzerName = 'single_word' | 'max_word' | 'min_word' | 'split' | 'fuzzy';

export interface AnalyzerSpec {
  readonly name: AnalyzerName;
  readonly caseSensitive?: boolean;
  readonly delimitWord?: boolean;
  readonly delimiter?: string;
  readonly minChars?: number;
  readonly maxChars?: number;
}

// Han, Hiragana, Katakana, Hangul: each character is a word of its own.
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

function wordSplit(text: string, caseSensitive: boolean, delimitWord: boolean): Token[] {
  const out: Token[] = [];
  let current = '';
  const flush = (): void => {
    if (current.length === 0) return;
    if (delimitWord) {
      for (const part of current.match(/\p{N}+|[^\p{N}]+/gu) ?? []) out.push({ term: part, pos: out.length });
    } else out.push({ term: current, pos: out.length });
    current = '';
  };
  for (const ch of caseSensitive ? text : text.toLowerCase()) {
    if (CJK.test(ch)) {
      flush();
      out.push({ term: ch, pos: out.length });
    } else if (WORD_CHAR.test(ch)) current += ch;
    else flush();
  }
  flush();
  return out;
}

function splitBy(text: string, spec: AnalyzerSpec): Token[] {
  const source = spec.caseSensitive ? text : text.toLowerCase();
  const parts = spec.delimiter ? source.split(spec.delimiter) : source.split(/\s+/u);
  const out: Token[] = [];
  for (const p of parts) if (p.length > 0) out.push({ term: p, pos: out.length });
  return out;
}

/** Every substring of minChars..maxChars characters, at its character offset. */
function ngrams(text: string, spec: AnalyzerSpec): Token[] {
  const chars = [...(spec.caseSensitive ? text : text.toLowerCase())];
  const min = spec.minChars ?? 1;
  const max = spec.maxChars ?? 7;
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    for (let n = min; n <= max && i + n <= chars.length; n++)
      out.push({ term: chars.slice(i, i + n).join(''), pos: i });
  }
  return out;
}

/** Tokens of a stored TEXT value. */
export function analyze(text: string, spec: AnalyzerSpec): Token[] {
  switch (spec.name) {
    case 'split':
      return splitBy(text, spec);
    case 'fuzzy':
      return ngrams(text, spec);
    case 'single_word':
      return wordSplit(text, spec.caseSensitive ?? false, spec.delimitWord ?? false);
    default:
      // max_word / min_word: dictionary-free approximation (docs/protocol-search.md §3).
      return wordSplit(text, false, false);
  }
}

/**
 * Tokens of a query text. For the fuzzy analyzer a text up to maxChars is one token; a longer one becomes its
 * maxChars-grams at consecutive offsets, so a phrase match over them is a substring match.
 */
export function analyzeQuery(text: string, spec: AnalyzerSpec): Token[] {
  if (spec.name !== 'fuzzy') return analyze(text, spec);
  const chars = [...(spec.caseSensitive ? text : text.toLowerCase())];
  const max = spec.maxChars ?? 7;
  if (chars.length === 0) return [];
  if (chars.length <= max) return [{ term: chars.join(''), pos: 0 }];
  const out: Token[] = [];
  for (let i = 0; i + max <= chars.length; i++) out.push({ term: chars.slice(i, i + max).join(''), pos: i });
  return out;
}
