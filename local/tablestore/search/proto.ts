/** The search messages' codec, shapes and enums: shared with the lean client (lib/tablestore/search/wire.ts). */
export * from '../../../lib/tablestore/search/wire';
