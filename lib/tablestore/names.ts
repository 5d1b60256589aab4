/**
 * Tablestore's naming rules, the one copy every layer checks against (docs/protocol.md §1.3):
 * - instance: 3–16 letters, digits and hyphens, starting with a letter and not ending with a hyphen
 *   (case-insensitive: the endpoint host uses it lower-cased);
 * - table and schema column (primary key, predefined column): 1–255 letters, digits and underscores, not
 *   starting with a digit (case-sensitive);
 * - attribute column as written and read: 1–255 characters of any kind except a leading `#` (so `postal code`,
 *   `price-2` and `公司` are names);
 * - region id: lower-case words joined by hyphens, e.g. cn-hangzhou.
 */

/** Source text of the table/column name pattern, for JSON Schemas that embed it. */
export const TABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,254}$';

const INSTANCE_NAME = /^[A-Za-z][A-Za-z0-9-]{1,14}[A-Za-z0-9]$/;
const TABLE_NAME = new RegExp(TABLE_NAME_PATTERN);
const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;

export function isInstanceName(name: string): boolean {
  return INSTANCE_NAME.test(name);
}

export function isTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}

/** Primary-key and predefined column names follow the table-name rule. */
export function isColumnName(name: string): boolean {
  return TABLE_NAME.test(name);
}

/** The service's rule for attribute column names in rows, reads and filters (docs/protocol.md §1.3). */
export function isAttributeColumnName(name: string): boolean {
  if (name.length === 0 || name.startsWith('#')) return false;
  let chars = 0;
  for (const _ of name) if (++chars > 255) return false;
  return true;
}

export function isRegionId(id: string): boolean {
  return REGION_ID.test(id);
}
