import type { MiddlewareObj } from '@middy/core';
import { ApiError } from './errors';
import { decodePayload } from './http-event';
import type { FcContext, FcTimerEvent } from './types';

/** A timer invocation after parsing: the trigger fields plus the payload string parsed as JSON. */
export interface TimerRequest<TPayload = unknown> {
  readonly triggerTime: string;
  readonly triggerName: string;
  readonly payload: TPayload;
}

export function asTimerEvent(value: unknown): FcTimerEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'InvalidEvent', 'The invocation payload is not an FC timer event: not a JSON object.');
  }
  const e = value as Record<string, unknown>;
  for (const key of ['triggerTime', 'triggerName'] as const) {
    if (typeof e[key] !== 'string')
      throw new ApiError(400, 'InvalidEvent', `The invocation payload is not an FC timer event: ${key} is missing.`);
  }
  if (e.payload !== undefined && e.payload !== null && typeof e.payload !== 'string') {
    throw new ApiError(400, 'InvalidEvent', 'The timer payload must be the configured string.');
  }
  return value as FcTimerEvent;
}

/** The configured payload is a string; when it holds JSON it is parsed a second time. Empty means {}. */
export function parseTimerPayload(payload: string | undefined): unknown {
  if (payload === undefined || payload === null || payload.trim() === '') return {};
  try {
    return JSON.parse(payload);
  } catch {
    throw new ApiError(400, 'InvalidPayload', 'The timer payload is not valid JSON.');
  }
}

/** middy `before`: Buffer → TimerRequest with the payload parsed. */
export function fcTimerEvent(): MiddlewareObj<unknown, unknown, Error, FcContext> {
  return {
    before: (request) => {
      let decoded: unknown;
      try {
        decoded = decodePayload(request.event);
      } catch {
        throw new ApiError(400, 'InvalidEvent', 'The invocation payload is not valid JSON.');
      }
      const event = asTimerEvent(decoded);
      const parsed: TimerRequest = {
        triggerTime: event.triggerTime,
        triggerName: event.triggerName,
        payload: parseTimerPayload(event.payload),
      };
      request.event = parsed;
    },
  };
}
