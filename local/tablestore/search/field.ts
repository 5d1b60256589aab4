/**
 * One field of a search index's schema as the engine keeps it (docs/protocol-search.md). A module of its own
 * so that schema.ts and sort-spec.ts can both use it without importing each other.
 */
import type { AnalyzerSpec } from './analyzer';
import type { FieldType } from './proto';

export type FieldTypeCode = (typeof FieldType)[keyof typeof FieldType];

export interface IndexField {
  readonly name: string;
  readonly type: FieldTypeCode;
  readonly index: boolean;
  readonly docValues: boolean;
  readonly store: boolean;
  readonly isArray: boolean;
  readonly analyzer?: AnalyzerSpec;
  readonly dateFormats?: readonly string[];
  readonly enableHighlighting?: boolean;
  /** NESTED only. */
  readonly fields?: readonly IndexField[];
}
