/**
 * The explorer's asset manifest, written by build-assets.ts beside the files in dist/http-api/explorer/ and read
 * by serve.ts on the first page request.
 */

export const MANIFEST_FILE = 'manifest.json';

/** Encodings every file is stored in besides identity; the `.br` / `.gz` files sit next to the original. */
export const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
export type Encoding = (typeof ENCODINGS)[number]['name'];

export interface AssetEntry {
  /** File name inside the assets directory. */
  readonly file: string;
  readonly type: string;
  /** Hash of the uncompressed bytes; each encoding's ETag appends its name. */
  readonly hash: string;
  /** Content-hashed names never change content: cached for a year. The page itself is revalidated. */
  readonly immutable: boolean;
}

export interface ExplorerManifest {
  readonly version: 1;
  /** The HTML page, served for `/` and every deep link. */
  readonly page: AssetEntry;
  /** Static files by URL path (`/ui/assets/...`). */
  readonly assets: Readonly<Record<string, AssetEntry>>;
}
