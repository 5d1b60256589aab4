/**
 * RAM policy documents: grammar check and normalisation (single strings become one-element lists), and the
 * system policies Tablestore Local knows by name.
 */

export type Effect = 'Allow' | 'Deny';

/** operator → condition key → accepted values (several values: any may match). */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly effect: Effect;
  /** Exactly one of actions / notActions is set. */
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: ConditionBlock;
}

export interface Policy {
  /** For logs and denial reasons. */
  readonly name: string;
  readonly statements: readonly Statement[];
}

export class PolicyGrammarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyGrammarError';
  }
}

export const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'IpAddress',
  'NotIpAddress',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new PolicyGrammarError(`${where} must not be empty`);
  return list.map((item) => {
    if (typeof item === 'string' && item.length > 0) return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new PolicyGrammarError(`${where} must be a non-empty string or a list of them`);
  });
}

function parseCondition(value: unknown, where: string): ConditionBlock {
  if (!isRecord(value)) throw new PolicyGrammarError(`${where}.Condition must be an object`);
  const block: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!CONDITION_OPERATORS.has(operator)) {
      throw new PolicyGrammarError(`${where}.Condition: unknown operator ${operator}`);
    }
    if (!isRecord(keys) || Object.keys(keys).length === 0) {
      throw new PolicyGrammarError(`${where}.Condition.${operator} must map condition keys to values`);
    }
    const parsed: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(keys)) {
      parsed[key] = stringList(values, `${where}.Condition.${operator}.${key}`);
    }
    block[operator] = parsed;
  }
  return block;
}

const STATEMENT_KEYS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'Condition', 'Sid']);

/** Parse a policy document (JSON text or an already-parsed object); throws PolicyGrammarError. */
export function parsePolicy(document: unknown, name = 'inline'): Policy {
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch {
      throw new PolicyGrammarError('policy is not valid JSON');
    }
  }
  if (!isRecord(doc)) throw new PolicyGrammarError('policy must be a JSON object');
  if (doc.Version !== '1') throw new PolicyGrammarError('policy Version must be "1"');
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : [raw];
  if (raw === undefined || list.length === 0) throw new PolicyGrammarError('policy needs at least one Statement');
  const statements = list.map((s, i): Statement => {
    const where = `Statement[${i}]`;
    if (!isRecord(s)) throw new PolicyGrammarError(`${where} must be an object`);
    for (const key of Object.keys(s)) {
      if (!STATEMENT_KEYS.has(key)) throw new PolicyGrammarError(`${where}: unsupported element ${key}`);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new PolicyGrammarError(`${where}.Effect must be Allow or Deny`);
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new PolicyGrammarError(`${where} needs exactly one of Action and NotAction`);
    }
    if (s.Resource === undefined) throw new PolicyGrammarError(`${where}.Resource is required`);
    return {
      effect: s.Effect,
      ...(s.Action !== undefined ? { actions: stringList(s.Action, `${where}.Action`) } : {}),
      ...(s.NotAction !== undefined ? { notActions: stringList(s.NotAction, `${where}.NotAction`) } : {}),
      resources: stringList(s.Resource, `${where}.Resource`),
      ...(s.Condition !== undefined ? { condition: parseCondition(s.Condition, where) } : {}),
    };
  });
  return { name, statements };
}

const allowAll = (name: string, actions: string[]): Policy =>
  parsePolicy({ Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }, name);

/** System policies as documented (docs/protocol.md §11.5). */
export const SYSTEM_POLICIES: Readonly<Record<string, Policy>> = {
  AliyunOTSFullAccess: allowAll('AliyunOTSFullAccess', ['ots:*']),
  AliyunOTSReadOnlyAccess: allowAll('AliyunOTSReadOnlyAccess', [
    'ots:BatchGet*',
    'ots:Describe*',
    'ots:Get*',
    'ots:List*',
    'ots:Consume*',
    'ots:Search',
    'ots:ComputeSplits',
    'ots:ParallelScan',
    'ots:ComputeSplitPointsBySize',
    'ots:BulkExport',
    'ots:SQL*',
    'ots:Query*',
    'ots:Scan*',
    'ots:SplitTimeseriesScanTask',
  ]),
  AliyunOTSWriteOnlyAccess: allowAll('AliyunOTSWriteOnlyAccess', [
    'ots:Create*',
    'ots:Update*',
    'ots:BatchWrite*',
    'ots:Delete*',
    'ots:Drop*',
    'ots:Put*',
    'ots:Start*',
    'ots:Commit*',
    'ots:Abort*',
    'ots:Add*',
    'ots:BulkImport',
  ]),
  AliyunSTSAssumeRoleAccess: allowAll('AliyunSTSAssumeRoleAccess', ['sts:AssumeRole']),
};
