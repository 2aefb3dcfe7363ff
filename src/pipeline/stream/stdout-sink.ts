/**
 * Predictions as JSON lines on standard output (`--sink stdout`), one per message, in the JSON the broker sinks
 * publish: `{"message_id", "instance", "prediction", "model_name", "model_version", "event_time_ms",
 * "prediction_time_ms"}`. Dead letters are lines on the same output with `"body"` and `"error"` instead of a
 * prediction. A write resolves once the lines are handed to the operating system.
 *
 * A line once written cannot be taken back, so idempotency here is best effort: the ids of the last
 * `rememberIds` messages written are kept, and a redelivery among them prints nothing. After a restart a
 * message may be printed twice; readers that need exactly one line per message keep the first per message_id.
 */
import type { Writable } from 'node:stream';
import { deadLetterText, predictionRecordText } from './prediction-json.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';

export const DEFAULT_REMEMBER_IDS = 100_000;

export class StdoutSink implements StreamSink {
  readonly display = 'stdout';
  readonly inProcess = true;
  private readonly seen = new Set<string>();
  /** The remembered keys in the order they came, as a ring: the slot to reuse next holds the oldest. */
  private readonly ring: string[] = [];
  private next = 0;

  constructor(
    private readonly out: Writable = process.stdout,
    private readonly rememberIds = DEFAULT_REMEMBER_IDS,
  ) {}

  async write(records: readonly PredictionRecord[]): Promise<void> {
    const fresh = records.filter((r) => !this.seen.has(`p:${r.messageId}`));
    await this.print(fresh.map(predictionRecordText));
    this.remember(fresh.map((r) => `p:${r.messageId}`));
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const fresh = letters.filter((l) => !this.seen.has(`d:${l.messageId}`));
    await this.print(fresh.map(deadLetterText));
    this.remember(fresh.map((l) => `d:${l.messageId}`));
  }

  async close(): Promise<void> {}

  /** Only after the write succeeded: a failed write must print its lines on the retry. */
  private remember(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.rememberIds <= 0) return;
      if (this.ring.length < this.rememberIds) this.ring.push(key);
      else {
        this.seen.delete(this.ring[this.next]!);
        this.ring[this.next] = key;
        this.next = (this.next + 1) % this.rememberIds;
      }
      this.seen.add(key);
    }
  }

  /** One write for all the lines, encoded once. */
  private print(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const chunk = Buffer.from(`${lines.join('\n')}\n`);
    return new Promise((resolve, reject) => {
      this.out.write(chunk, (err) => (err === undefined || err === null ? resolve() : reject(err)));
    });
  }
}
