import { buildFunctions } from './scripts/build.ts';
