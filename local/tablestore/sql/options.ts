/**
 * Options of the SQL engine (a leaf module: the server options and the handler context name its types).
 */

/** How one FROM source of a SELECT is read (docs/protocol-sql.md §7). */
export type AccessPlan =
  | { readonly table: string; readonly kind: 'scan' | 'pk-range' }
  | { readonly table: string; readonly kind: 'secondary-index'; readonly index: string; readonly matched: number }
  | {
      readonly table: string;
      readonly kind: 'search-index';
      readonly index: string;
      /**
       * 'count': COUNT(*) answered by the index alone, no row read; 'aggregate': a grouped query's rows taken
       * from the index's documents, no table row read (docs/protocol-sql.md §7.1).
       */
      readonly pushdown?: 'count' | 'aggregate';
    };

export interface SqlEngineOptions {
  /** False: never read through a secondary or search index, only the key range or a scan. Default true. */
  readonly indexes?: boolean;
  /** Told the access plan of every source of every SELECT (there is no EXPLAIN statement to ask for it). */
  readonly onPlan?: (plan: AccessPlan) => void;
}
