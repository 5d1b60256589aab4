/**
 * Wide-table options as CreateTable and UpdateTable take them and DescribeTable and UpdateTable report them:
 * defaults and checks, reserved throughput, stream and server-side encryption (docs/protocol.md §8.6).
 */
import {
  SSEKeyType,
  type DescribeTableResponse,
  type SSESpecification,
  type StreamSpecification,
  type TableOptions,
} from '../../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../../errors';
import { validateColumnName, type WideTableDefinition } from './table';

export const DEFAULT_OPTIONS = {
  timeToLive: -1,
  maxVersions: 1,
  deviationCellVersionInSec: 86400,
  allowUpdate: true,
  updateFullRow: false,
};
const MIN_TTL_SECONDS = 86400;

export function mergeOptions(
  base: WideTableDefinition['options'],
  o: TableOptions | undefined,
): WideTableDefinition['options'] {
  const next = {
    timeToLive: o?.time_to_live ?? base.timeToLive,
    maxVersions: o?.max_versions ?? base.maxVersions,
    deviationCellVersionInSec:
      o?.deviation_cell_version_in_sec !== undefined
        ? Number(o.deviation_cell_version_in_sec)
        : base.deviationCellVersionInSec,
    allowUpdate: o?.allow_update ?? base.allowUpdate,
    updateFullRow: o?.update_full_row ?? base.updateFullRow ?? false,
  };
  if (next.timeToLive !== -1 && next.timeToLive < MIN_TTL_SECONDS) {
    throw errors.parameterInvalid(
      `Invalid time_to_live: ${next.timeToLive}. It must be -1 (forever) or at least ${MIN_TTL_SECONDS} seconds.`,
    );
  }
  if (!Number.isInteger(next.maxVersions) || next.maxVersions < 1) {
    throw errors.parameterInvalid(`Invalid max_versions: ${next.maxVersions}. It must be at least 1.`);
  }
  if (!Number.isSafeInteger(next.deviationCellVersionInSec) || next.deviationCellVersionInSec <= 0) {
    throw errors.parameterInvalid(
      `Invalid deviation_cell_version_in_sec: ${next.deviationCellVersionInSec}. It must be greater than 0.`,
    );
  }
  return next;
}

export function checkThroughput(read: number | undefined, write: number | undefined): void {
  for (const [what, v] of [
    ['read', read],
    ['write', write],
  ] as const) {
    if (v !== undefined && (v < 0 || v > 100000))
      throw errors.parameterInvalid(`Invalid reserved ${what} capacity unit: ${v}.`);
  }
}

export function throughputDetails(def: WideTableDefinition): DescribeTableResponse['reserved_throughput_details'] {
  const rt = def.reservedThroughput;
  return {
    capacity_unit: { read: rt.read, write: rt.write },
    last_increase_time: rt.lastIncreaseTime,
    ...(rt.lastDecreaseTime !== undefined ? { last_decrease_time: rt.lastDecreaseTime } : {}),
  };
}

export function tableOptions(def: WideTableDefinition): TableOptions {
  return {
    time_to_live: def.options.timeToLive,
    max_versions: def.options.maxVersions,
    deviation_cell_version_in_sec: def.options.deviationCellVersionInSec,
    allow_update: def.options.allowUpdate,
    update_full_row: def.options.updateFullRow ?? false,
  };
}

export function streamDetails(name: string, def: WideTableDefinition): DescribeTableResponse['stream_details'] {
  if (!def.stream?.enabled) return { enable_stream: false };
  const details: NonNullable<DescribeTableResponse['stream_details']> = {
    enable_stream: true,
    stream_id: `${name}_stream`,
    columns_to_get: [...(def.stream.columnsToGet ?? [])],
  };
  if (def.stream.expirationTime !== undefined) details.expiration_time = def.stream.expirationTime;
  if (def.stream.lastEnableTime !== undefined) details.last_enable_time = def.stream.lastEnableTime;
  return details;
}

/** The stream part of a definition for a CreateTable / UpdateTable `stream_spec` (docs/protocol.md §8.6). */
export function streamOf(spec: StreamSpecification | undefined, nowMs: number): Pick<WideTableDefinition, 'stream'> {
  if (!spec?.enable_stream) return {};
  for (const c of spec.columns_to_get ?? []) validateColumnName(c);
  return {
    stream: {
      enabled: true,
      expirationTime: spec.expiration_time ?? 24,
      lastEnableTime: nowMs * 1000,
      ...(spec.columns_to_get?.length ? { columnsToGet: [...spec.columns_to_get] } : {}),
    },
  };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function sseOf(spec: SSESpecification): NonNullable<WideTableDefinition['sse']> {
  if (
    spec.key_type !== undefined &&
    spec.key_type !== SSEKeyType.SSE_KMS_SERVICE &&
    spec.key_type !== SSEKeyType.SSE_BYOK
  )
    throw errors.parameterInvalid(`Invalid SSE key type: ${spec.key_type}.`);
  return {
    enabled: spec.enable,
    ...(spec.key_type !== undefined ? { keyType: spec.key_type } : {}),
    ...(spec.key_id ? { keyId: b64(spec.key_id) } : {}),
    ...(spec.role_arn ? { roleArn: b64(spec.role_arn) } : {}),
  };
}

/** Always sent: the Java SDK reads `sse_details` without checking that it is there (docs/protocol.md §8.6). */
export function sseDetails(def: WideTableDefinition): SSESpecification {
  const sse = def.sse;
  if (!sse?.enabled) return { enable: false };
  return {
    enable: true,
    ...(sse.keyType !== undefined ? { key_type: sse.keyType } : {}),
    ...(sse.keyId !== undefined ? { key_id: Buffer.from(sse.keyId, 'base64') } : {}),
    ...(sse.roleArn !== undefined ? { role_arn: Buffer.from(sse.roleArn, 'base64') } : {}),
  };
}
