/**
 * The wildcard matchers of search WildcardQuery and SQL LIKE (local/tablestore/pattern-match.ts) against the
 * obvious regular expression over random patterns and texts (code points, newlines, regex metacharacters),
 * and on a pattern that makes a backtracking regular expression run for minutes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { likeMatcher, wildcardMatcher } from '../../local/tablestore/pattern-match';

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const wildcardRegex = (p: string) =>
  new RegExp(`^${Array.from(p, (c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('')}$`, 'su');
function likeRegex(p: string): RegExp {
  const chars = Array.from(p);
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) re += escape(chars[++i]);
    else re += c === '%' ? '[\\s\\S]*' : c === '_' ? '[\\s\\S]' : escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

const char = fc.constantFrom('a', 'b', 'ab', '.', '\n', '😀', '(', '$', '*', '?', '%', '_', '\\');
const str = (max: number) => fc.array(char, { maxLength: max }).map((cs) => cs.join(''));

describe('wildcard matching', () => {
  it('WildcardQuery and LIKE match exactly what the regular expression of the pattern matches', () => {
    fc.assert(
      fc.property(str(8), str(12), (pattern, text) => {
        expect(wildcardMatcher(pattern)(text)).toBe(wildcardRegex(pattern).test(text));
        expect(likeMatcher(pattern)(text)).toBe(likeRegex(pattern).test(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers patterns that make a backtracking regular expression run for minutes', () => {
    // Six runs before a final mismatch: the regular expression takes seconds on 60 characters, this takes
    // text × pattern steps.
    const text = 'a'.repeat(20_000);
    expect(wildcardMatcher('*a*a*a*a*a*a*a*a*b')(text)).toBe(false);
    expect(likeMatcher('%a%a%a%a%a%a%a%a%b')(text)).toBe(false);
    expect(likeMatcher('%a%a%a%a%a%a%a%a%')(text)).toBe(true);
  });
});
