/**
 * The string form of tags and attributes: `["k1=v1","k2=v2"]`, sorted by key (bytewise), no spaces, `[]`
 * when empty (docs/protocol.md §9.4). The same text is the `_tags` key column and `TimeseriesMeta.attributes`.
 */
import { FormatError } from '../protocol/format-error';
import { compareUtf8, type TimeseriesTagPair } from '../protocol/flatbuffer-rows';
import { setOwn } from '../set-own';

export class TagFormatError extends FormatError {
  override readonly name = 'TagFormatError';
}

/** Key rule: printable ASCII `!`..`~` without `"` or `=`; non-empty. */
export function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'tag/attribute name must not be empty';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x3d) {
      return `tag/attribute name ${JSON.stringify(key)} may only hold printable ASCII without '"' or '='`;
    }
  }
  return undefined;
}

/** Value rule: non-empty, no `"` or `=`. */
export function tagValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'tag/attribute value must not be empty';
  if (value.includes('"') || value.includes('='))
    return `tag/attribute value ${JSON.stringify(value)} may not contain '"' or '='`;
  return undefined;
}

/** Sorted name/value pairs of a tag record; throws TagFormatError for invalid names or values. */
export function tagPairs(tags: Readonly<Record<string, string>>): TimeseriesTagPair[] {
  const names = Object.keys(tags).sort(compareUtf8);
  return names.map((name) => {
    const value = tags[name];
    const problem = tagKeyProblem(name) ?? tagValueProblem(value);
    if (problem) throw new TagFormatError(problem);
    return { name, value };
  });
}

export function formatTagPairs(pairs: readonly TimeseriesTagPair[]): string {
  let out = '[';
  for (let i = 0; i < pairs.length; i++) {
    if (i) out += ',';
    out += `"${pairs[i].name}=${pairs[i].value}"`;
  }
  return `${out}]`;
}

/** Record → canonical string form (sorted). */
export function formatTags(tags: Readonly<Record<string, string>>): string {
  return formatTagPairs(tagPairs(tags));
}

/** Parses the string form; `""` counts as empty like the Java and Go parsers. Result is sorted by name. */
export function parseTagPairs(text: string): TimeseriesTagPair[] {
  if (text === '' || text === '[]') return [];
  if (text[0] !== '[' || text[text.length - 1] !== ']')
    throw new TagFormatError(`tags must look like ["k=v",...], got ${JSON.stringify(text)}`);
  const pairs: TimeseriesTagPair[] = [];
  let i = 1;
  const end = text.length - 1;
  while (i < end) {
    if (text[i] !== '"') throw new TagFormatError(`expected '"' at ${i} in ${JSON.stringify(text)}`);
    const close = text.indexOf('"', i + 1);
    if (close < 0 || close >= end) throw new TagFormatError(`unterminated tag in ${JSON.stringify(text)}`);
    const item = text.slice(i + 1, close);
    const eq = item.indexOf('=');
    if (eq <= 0) throw new TagFormatError(`tag ${JSON.stringify(item)} is not name=value`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const problem = tagKeyProblem(name) ?? tagValueProblem(value);
    if (problem) throw new TagFormatError(problem);
    pairs.push({ name, value });
    i = close + 1;
    if (i < end) {
      if (text[i] !== ',') throw new TagFormatError(`expected ',' at ${i} in ${JSON.stringify(text)}`);
      i++;
      if (i >= end) throw new TagFormatError(`trailing ',' in ${JSON.stringify(text)}`);
    }
  }
  pairs.sort((a, b) => compareUtf8(a.name, b.name));
  for (let k = 1; k < pairs.length; k++) {
    if (pairs[k].name === pairs[k - 1].name)
      throw new TagFormatError(`duplicate tag name ${JSON.stringify(pairs[k].name)}`);
  }
  return pairs;
}

export function pairsToRecord(pairs: readonly TimeseriesTagPair[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) setOwn(out, p.name, p.value);
  return out;
}

export function parseTags(text: string): Record<string, string> {
  return pairsToRecord(parseTagPairs(text));
}
