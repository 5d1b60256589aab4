/**
 * Request validators for @middy/validator, one per schema id. In tests and `tsx` runs they are compiled
 * from the schema on first use (ajv, through @middy/validator's transpiler). Bundles never compile: at
 * build time scripts/build.ts generates ajv standalone code for every id in validator-schemas.ts and puts
 * it in place of this module, so no Ajv (and no schema compilation) reaches a function's cold start.
 */
import { transpileSchema } from '@middy/validator/transpile';

/** An ajv validate function: true when valid, else false with `errors` set. */
export type EventValidator = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/**
 * The ajv options of every validator, here and in the build's standalone code (scripts/build.ts).
 * `coerceTypes: true`: query values arrive as strings (lib/fc/http-event.ts accepts only a map of strings)
 * and become the schema's numbers and booleans; nothing is wrapped into arrays. Defaults fill in absent or
 * empty values.
 */
export const VALIDATOR_OPTIONS = {
  strict: true,
  coerceTypes: true,
  allErrors: true,
  useDefaults: 'empty',
  messages: true,
} as const;

const compiled = new Map<string, EventValidator>();

/** The validator of schema `id`; `schema` is what the build compiled for that id. */
export function eventValidator(id: string, schema: Record<string, unknown>): EventValidator {
  let v = compiled.get(id);
  if (!v) {
    v = transpileSchema(schema, VALIDATOR_OPTIONS) as unknown as EventValidator;
    compiled.set(id, v);
  }
  return v;
}
