/**
 * Assigns `obj[key] = value` as an own, enumerable property even when `key` is "__proto__" (a legal column,
 * field and tag name in Tablestore), where plain assignment would set the prototype and drop the value.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
