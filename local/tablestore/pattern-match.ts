/**
 * Matching of the two wildcard languages Tablestore Local evaluates: search WildcardQuery (`*` any run, `?` one
 * character) and SQL LIKE (`%`, `_`, backslash escapes). Characters are code points. A pattern is matched
 * greedily, going back only to the last run wildcard, so a match costs at most text × pattern steps. (A
 * regular expression built from the pattern backtracks exponentially on patterns like `*a*a*a*a*a*a*b`: one
 * such query held the server's only thread for seconds to minutes.)
 */

/** A compiled pattern: code points to match literally, or ONE (any one character) / RUN (any run, even empty). */
type Token = string | typeof ONE | typeof RUN;
const ONE = 1;
const RUN = 2;

/** Whether `text` matches the whole of the compiled pattern. */
function matches(pattern: readonly Token[], text: string): boolean {
  const chars = Array.from(text);
  let p = 0;
  let t = 0;
  let runAt = -1; // pattern position of the last RUN seen
  let runFrom = 0; // text position that RUN is currently taken to end at
  while (t < chars.length) {
    const tok = pattern[p];
    if (p < pattern.length && tok !== RUN && (tok === ONE || tok === chars[t])) {
      p++;
      t++;
    } else if (tok === RUN) {
      runAt = p++;
      runFrom = t;
    } else if (runAt >= 0) {
      // Let the last run take one more character and retry what follows it.
      p = runAt + 1;
      t = ++runFrom;
    } else {
      return false;
    }
  }
  while (pattern[p] === RUN) p++;
  return p === pattern.length;
}

/** WildcardQuery: `*` any run, `?` any one character, everything else literal. */
export function wildcardMatcher(pattern: string): (text: string) => boolean {
  const tokens: Token[] = Array.from(pattern, (c) => (c === '*' ? RUN : c === '?' ? ONE : c));
  return (text) => matches(tokens, text);
}

/** SQL LIKE: `%` any run, `_` any one character, a backslash makes the next character literal; case-sensitive. */
export function likeMatcher(pattern: string): (text: string) => boolean {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) tokens.push(chars[++i]);
    else tokens.push(c === '%' ? RUN : c === '_' ? ONE : c);
  }
  return (text) => matches(tokens, text);
}
