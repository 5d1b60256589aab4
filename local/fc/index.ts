export { startFcRunner, newRequestId, DEFAULT_ACCOUNT_ID } from './runner';
export type {
  FcRunner,
  FcRunnerOptions,
  InvocationRecord,
  InvocationSource,
  CredentialsRecord,
  InvokeOptions,
  RunnerLogger,
} from './runner';
export { loadProject, SYamlError } from './config';
export type { FunctionSpec, ProjectSpec, TriggerSpec, HttpTriggerSpec, TimerTriggerSpec } from './config';
export type { InvocationOutcome, FcContextData, FcError } from './instance-pool';
export { parseSchedule, parseDuration } from './timers';
export { staticKeyStore } from './invoke-api';
