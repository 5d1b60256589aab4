import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { validatorSchemas } from './lib/api/validator-schemas';
const ajv = new (Ajv2020 as any)({ strict: true, coerceTypes: 'array', allErrors: true, useDefaults: 'empty', messages: true, code: { source: true, esm: true } });
const schemas = validatorSchemas();
const map: Record<string,string> = {};
Object.entries(schemas).forEach(([id, s], i) => { ajv.addSchema(s, id); map[`v${i}`] = id; });
const code = (standaloneCode as any)(ajv, map);
console.log(code.length); console.log(code.slice(0, 600)); console.log([...code.matchAll(/require\([^)]*\)|import [^;]*;/g)].map(m=>m[0]).slice(0,10));
