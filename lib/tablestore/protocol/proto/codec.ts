/**
 * Name-keyed, type-checked protobuf codecs. Each message family (wide tables, time series, ...) declares an
 * interface mapping message names to their plain-object shapes and gets one codec over its protobufjs root:
 * `codec.decode('GetRowRequest', bytes)` is typed `GetRowRequest`, and a misspelt name does not compile.
 *
 * Decoding goes through `toObject` with int64 as bigint (no precision loss), enums as numbers and repeated
 * fields always present as arrays. Encoding goes through `fromObject`, which turns bigint into protobufjs
 * Longs (a raw bigint handed to `encode` would silently become 0).
 */
import type protobuf from 'protobufjs';
import { FormatError } from '../format-error';

/** Malformed bytes or a missing required field in a protobuf message. */
export class ProtoDecodeError extends FormatError {
  override readonly name = 'ProtoDecodeError';
}

export interface ProtoCodec<M> {
  encode<N extends keyof M & string>(name: N, value: M[N]): Uint8Array;
  /** Throws ProtoDecodeError on malformed bytes or missing required fields. */
  decode<N extends keyof M & string>(name: N, bytes: Uint8Array): M[N];
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: BigInt as unknown as typeof String, enums: Number, arrays: true };

export interface ProtoCodecOptions {
  /** Check required fields before encoding (throws a plain Error naming the message and field). */
  readonly verifyOnEncode?: boolean;
}

/** A codec for the messages of `packageName` (e.g. "ots") in `root`. */
export function protoCodec<M>(root: protobuf.Root, packageName: string, options: ProtoCodecOptions = {}): ProtoCodec<M> {
  const types = new Map<string, protobuf.Type>();
  const typeOf = (name: string): protobuf.Type => {
    let t = types.get(name);
    if (!t) {
      t = root.lookupType(`${packageName}.${name}`);
      types.set(name, t);
    }
    return t;
  };
  return {
    encode(name, value) {
      const type = typeOf(name);
      const message = type.fromObject(value as unknown as Record<string, unknown>);
      if (options.verifyOnEncode) {
        const missing = type.verify(message);
        if (missing) throw new Error(`${name}: ${missing}`);
      }
      return type.encode(message).finish();
    },
    decode<N extends keyof M & string>(name: N, bytes: Uint8Array): M[N] {
      const type = typeOf(name);
      try {
        return type.toObject(type.decode(bytes), TO_OBJECT) as unknown as M[N];
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new ProtoDecodeError(`Malformed ${name}: ${detail}`);
      }
    },
  };
}
