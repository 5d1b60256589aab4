/**
 * A search request, schema or query that does not have the documented shape, with `pointer` (a JSON
 * pointer such as `/query/bool/must/0/term/value`) naming the bad part. Told apart by `name`, so it is
 * recognized also where two copies of this module meet (a lazily loaded bundle part, scripts/build.ts).
 */
export class SearchInputError extends TypeError {
  override readonly name = 'SearchInputError';
  constructor(
    readonly pointer: string,
    readonly detail: string,
  ) {
    super(`${pointer || '/'} ${detail}`);
  }
}

/** Throws the SearchInputError of `pointer` (the encoders' one way to refuse input). */
export const failAt = (pointer: string, message: string): never => {
  throw new SearchInputError(pointer, message);
};

export const isSearchInputError = (err: unknown): err is SearchInputError =>
  err instanceof Error && err.name === 'SearchInputError' && typeof (err as { pointer?: unknown }).pointer === 'string';
