/**
 * Renders a policy template of this folder for one instance: the ${Region}, ${AccountId} and ${Instance}
 * placeholders are replaced (the instance lower-cased, as RAM resources require).
 *
 *   npx tsx policies/render.ts --region cn-hangzhou --account 1234567890123456 --instance myinst > policy.json
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInstanceName, isRegionId } from '../lib/tablestore/names';

export interface PolicyDocument {
  Version: '1';
  Statement: Array<{ Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string[]; Condition?: unknown }>;
}

export interface PolicyTarget {
  readonly region: string;
  readonly accountId: string;
  readonly instance: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const READ_POLICY_FILE = join(here, 'tablestore-fc-read.json');

export function renderPolicy(target: PolicyTarget, file = READ_POLICY_FILE): PolicyDocument {
  if (!isRegionId(target.region)) throw new Error(`bad region '${target.region}'`);
  if (!/^\d+$/.test(target.accountId)) throw new Error(`bad account id '${target.accountId}'`);
  if (!isInstanceName(target.instance)) throw new Error(`bad instance name '${target.instance}'`);
  const text = readFileSync(file, 'utf8')
    .replaceAll('${Region}', target.region)
    .replaceAll('${AccountId}', target.accountId)
    .replaceAll('${Instance}', target.instance.toLowerCase());
  return JSON.parse(text) as PolicyDocument;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const arg = (name: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i >= 0 ? process.argv[i + 1] : undefined;
    if (!v) {
      console.error('usage: npx tsx policies/render.ts --region <region> --account <account id> --instance <instance>');
      process.exit(2);
    }
    return v;
  };
  process.stdout.write(
    `${JSON.stringify(renderPolicy({ region: arg('region'), accountId: arg('account'), instance: arg('instance') }), null, 2)}\n`,
  );
}
