// The ledger of handed-out messages that sources without broker redelivery (Kafka, files, stdin) keep.
import { describe, expect, it } from 'vitest';
import { RedeliveryLedger } from '../../../src/pipeline/stream/redelivery-ledger.js';
import type { StreamMessage } from '../../../src/pipeline/stream/stream-contracts.js';

const message = (id: string): StreamMessage => ({ id, body: new Uint8Array(), eventTimeMs: 0, deliveries: 1 });

describe('RedeliveryLedger', () => {
  it('hands out again, oldest first and at most `max`, what was not acknowledged within ackWaitMs', () => {
    let now = 1000;
    const ledger = new RedeliveryLedger<{ message: StreamMessage }>(100, () => now);
    ledger.handOut({ message: message('a') });
    now = 1050;
    ledger.handOut({ message: message('b') });
    ledger.handOut({ message: message('c') });
    expect(ledger.nextDeadline()).toBe(1100);
    expect(ledger.takeExpired(10, (_, m) => ({ message: m }))).toEqual([]);
    now = 1100;
    expect(ledger.takeExpired(10, (_, m) => ({ message: m })).map((e) => [e.message.id, e.message.deliveries])).toEqual([['a', 2]]);
    expect(ledger.nextDeadline()).toBe(1150);
    now = 1300;
    expect(ledger.takeExpired(1, (_, m) => ({ message: m })).map((e) => [e.message.id, e.message.deliveries])).toEqual([['b', 2]]);
    expect(ledger.remove('c')?.message.id).toBe('c');
    expect(ledger.remove('c')).toBeUndefined();
    // 'a' was due again at 1200, 'b' at 1400.
    expect(ledger.takeExpired(10, (_, m) => ({ message: m })).map((e) => [e.message.id, e.message.deliveries])).toEqual([['a', 3]]);
    expect(ledger.size).toBe(2);
    ledger.clear();
    expect([ledger.size, ledger.nextDeadline()]).toEqual([0, undefined]);
  });

  it('refuses a non-positive ack wait', () => {
    expect(() => new RedeliveryLedger(0)).toThrow('ackWaitMs must be positive, got 0');
  });
});
