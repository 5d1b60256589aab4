/**
 * Our own JSON Schema (2020-12) for the fc3 props this project uses, written from the fc3 facts
 * (docs/protocol.md §12.3, §12.4, §12.5) plus the rules fc3 itself skips: trigger configs keyed on triggerType
 * (http authType enum and methods, jwt needs authConfig, timer cron format), memorySize a multiple of 64,
 * runtime pinned to nodejs20, no unknown props (fc3 lets misspelt prop names through).
 */
const REGIONS = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-7',
  'cn-beijing',
  'cn-chengdu',
  'cn-hangzhou',
  'cn-heyuan-acdr-1',
  'cn-hongkong',
  'cn-huhehaote',
  'cn-qingdao',
  'cn-shanghai',
  'cn-shanghai-cloudspe',
  'cn-shanghai-finance-1',
  'cn-shenzhen',
  'cn-wulanchabu',
  'cn-zhangjiakou',
  'eu-central-1',
  'eu-west-1',
  'me-central-1',
  'us-east-1',
  'us-west-1',
];

const CRON_FIELD = '[0-9*?/,LW#A-Za-z-]+';
/** Six fields (second minute hour day-of-month month day-of-week), optional CRON_TZ prefix, or @every. */
export const CRON_PATTERN = `^((CRON_TZ=[A-Za-z_]+(/[A-Za-z_+-]+)* )?${CRON_FIELD}( ${CRON_FIELD}){5}|@every [0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*)$`;

const httpTriggerConfig = {
  type: 'object',
  required: ['authType', 'methods'],
  properties: {
    authType: { enum: ['anonymous', 'function', 'jwt'] },
    methods: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'] },
    },
    disableURLInternet: { type: 'boolean' },
    authConfig: {
      type: 'object',
      required: ['jwks', 'tokenLookup'],
      properties: {
        jwks: {
          type: 'object',
          required: ['keys'],
          properties: {
            keys: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                required: ['kty', 'alg', 'use', 'e', 'n'],
                properties: { kid: { type: 'string' } },
              },
            },
          },
        },
        tokenLookup: {
          anyOf: [
            {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                required: ['readPosition', 'parameterName'],
                properties: {
                  readPosition: { enum: ['header', 'query', 'cookie', 'form'] },
                  parameterName: { type: 'string' },
                  prefix: { type: 'string' },
                },
              },
            },
            { type: 'string' },
          ],
        },
        claimPassBy: {},
        whitelist: { type: 'array', items: { type: 'string' } },
        blacklist: { type: 'array', items: { type: 'string' } },
      },
      // whitelist or blacklist, not both (fc3 checks this in code, not in its schema)
      not: { required: ['whitelist', 'blacklist'] },
    },
  },
  additionalProperties: false,
  if: { properties: { authType: { const: 'jwt' } } },
  then: { required: ['authConfig'] },
} as const;

const timerTriggerConfig = {
  type: 'object',
  required: ['cronExpression', 'enable'],
  properties: {
    cronExpression: { type: 'string', pattern: CRON_PATTERN },
    enable: { type: 'boolean' },
    payload: { type: 'string' },
  },
  additionalProperties: false,
} as const;

const trigger = {
  type: 'object',
  required: ['triggerName', 'triggerType', 'triggerConfig'],
  properties: {
    triggerName: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,127}$' },
    triggerType: { enum: ['http', 'timer', 'oss', 'log', 'mns_topic', 'cdn_events', 'tablestore', 'eventbridge'] },
    triggerConfig: { type: 'object' },
    qualifier: { type: 'string' },
    description: { type: 'string' },
    invocationRole: { type: 'string' },
    sourceArn: { type: 'string' },
  },
  additionalProperties: false,
  allOf: [
    {
      if: { properties: { triggerType: { const: 'http' } } },
      then: { properties: { triggerConfig: httpTriggerConfig } },
    },
    {
      if: { properties: { triggerType: { const: 'timer' } } },
      then: { properties: { triggerConfig: timerTriggerConfig } },
    },
  ],
} as const;

export const fc3PropsSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['region', 'functionName', 'runtime', 'code', 'handler'],
  properties: {
    region: { enum: REGIONS },
    functionName: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    description: { type: 'string', maxLength: 256 },
    runtime: { const: 'nodejs20' },
    code: { type: 'string', minLength: 1 },
    handler: { type: 'string', pattern: '^[A-Za-z0-9_.-]+\\.[A-Za-z_$][A-Za-z0-9_$]*$' },
    memorySize: { type: 'integer', minimum: 128, maximum: 32768, multipleOf: 64 },
    timeout: { type: 'integer', minimum: 1, maximum: 86400 },
    cpu: { type: 'number', minimum: 0.05, maximum: 16 },
    diskSize: { enum: [512, 10240] },
    role: { type: 'string', pattern: '^acs:ram::[0-9]+:role/[A-Za-z0-9.@_-]+$' },
    environmentVariables: {
      type: 'object',
      propertyNames: { pattern: '^(?!FC_)[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
    },
    internetAccess: { type: 'boolean' },
    logConfig: {
      anyOf: [
        { const: 'auto' },
        {
          type: 'object',
          required: ['project', 'logstore'],
          properties: {
            project: { type: 'string' },
            logstore: { type: 'string' },
            enableRequestMetrics: { type: 'boolean' },
            enableInstanceMetrics: { type: 'boolean' },
            logBeginRule: { enum: ['DefaultRegex', 'None'] },
          },
          additionalProperties: false,
        },
      ],
    },
    vpcConfig: {
      anyOf: [
        { const: 'auto' },
        {
          type: 'object',
          required: ['vpcId', 'vSwitchIds', 'securityGroupId'],
          properties: {
            vpcId: { type: 'string' },
            securityGroupId: { type: 'string' },
            vSwitchIds: { anyOf: [{ type: 'array', items: { type: 'string' } }, { const: 'auto' }] },
          },
        },
      ],
    },
    instanceLifecycleConfig: { type: 'object' },
    triggers: { type: 'array', items: trigger },
  },
  additionalProperties: false,
} as const;
