import { describe, expect, it } from 'vitest';
import { callOptionsOf, grpcStatusOf } from './grpc-call.js';
import { ServingError } from '../../errors/serving-error.js';

describe('callOptionsOf', () => {
  it('reads the call cancelled flag when asked, so a later cancellation is seen', () => {
    const call = { cancelled: false, getDeadline: () => Infinity };
    const options = callOptionsOf(call);
    expect(options.signal?.aborted).toBe(false);
    call.cancelled = true;
    expect(options.signal?.aborted).toBe(true);
  });

  it('passes a finite deadline through as milliseconds, and none for Infinity', () => {
    expect(callOptionsOf({ cancelled: false, getDeadline: () => new Date(1_700_000_000_123) }).deadline).toBe(1_700_000_000_123);
    expect(callOptionsOf({ cancelled: false, getDeadline: () => Infinity }).deadline).toBeUndefined();
  });
});

describe('grpcStatusOf', () => {
  it('maps the canonical code to its gRPC number and keeps the message', () => {
    expect(grpcStatusOf(new ServingError('NOT_FOUND', 'Servable not found for request: Latest(m)'))).toEqual({
      name: 'ServingError',
      message: 'Servable not found for request: Latest(m)',
      code: 5,
      details: 'Servable not found for request: Latest(m)',
    });
  });
});
