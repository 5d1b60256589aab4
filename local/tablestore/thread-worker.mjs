// Entry of the thread Tablestore Local runs on (thread.ts). Plain JavaScript so that a bare worker can start it
// under tsx, vitest or node alike; it loads the TypeScript sources through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./thread-main.ts', import.meta.url);
