/**
 * The two interfaces every stream adapter implements, whatever the broker or database behind it: a
 * `StreamSource` hands out messages and takes acknowledgements; a `StreamSink` stores predictions and dead
 * letters idempotently by message id. The stream runner (windows, retries, acknowledgement only after the sink
 * write) talks to nothing else, so Redis Streams, NATS JetStream, Kafka, stdin and files are interchangeable.
 */

/** One message as read from a source. */
export interface StreamMessage {
  /**
   * Unique and stable within the source, the same on every redelivery: the Redis entry id, the JetStream stream
   * sequence, `TOPIC:partition:offset` on Kafka, the line number on stdin (`ABSOLUTE_PATH:line` for a file). Sinks deduplicate on it.
   */
  readonly id: string;
  /** The body: one instance as JSON text (the same shapes a line of a JSON lines input may take). */
  readonly body: Uint8Array;
  /** When the message was published (ms since the epoch), as the broker recorded it. */
  readonly eventTimeMs: number;
  /** How many times it has been delivered, this time included (1 on the first delivery). */
  readonly deliveries: number;
}

export interface StreamSource {
  /** The source's URL with any password masked, for logs and errors. */
  readonly display: string;
  /**
   * Up to `max` messages, waiting at most `waitMs` for the first (an empty array when none came). Messages left
   * unacknowledged by a consumer that died are handed out again here (Redis XPENDING IDLE + XCLAIM; broker redelivery on
   * NATS and Kafka), with `deliveries` counting up.
   */
  receive(max: number, waitMs: number): Promise<StreamMessage[]>;
  /** The messages are done (their rows are durably in the sink): never deliver them again. */
  ack(messages: readonly StreamMessage[]): Promise<void>;
  /** Stops reading; unacknowledged messages stay with the broker for redelivery. */
  close(): Promise<void>;
  /**
   * Sources with an end (a file, stdin): true once the input has ended and every message handed out has been
   * acknowledged, so the worker can finish by itself. Absent on brokers, whose streams never end.
   */
  readonly exhausted?: boolean;
}

/** One prediction as a sink stores it. */
export interface PredictionRecord {
  readonly messageId: string;
  /** The instance as JSON text. */
  readonly instance: string;
  /** The prediction as JSON text (one element of a TF Serving row-format `predictions`). */
  readonly prediction: string;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly eventTimeMs: number;
  readonly predictionTimeMs: number;
}

/** A message that could not be decoded or predicted within its attempts. */
export interface DeadLetter {
  readonly messageId: string;
  /** The body as received (UTF-8 text; invalid sequences replaced). */
  readonly body: string;
  /** Why it failed: the canonical code and the message, as `CODE: message`. */
  readonly error: string;
  readonly deliveries: number;
  readonly eventTimeMs: number;
  readonly failedTimeMs: number;
}

export interface StreamSink {
  readonly display: string;
  /**
   * Stores the records and resolves once they are durable. Idempotent by `messageId`: a record whose id is
   * already stored is not stored again (upsert, dedup key or the broker's publish dedup).
   */
  write(records: readonly PredictionRecord[]): Promise<void>;
  /**
   * True when a write costs this process's own CPU (stdout) rather than a server's. The runner then sends the
   * windows in flight in one write: splitting them so that writing overlaps prediction only pays when another
   * process does the writing.
   */
  readonly inProcess?: boolean;
  /**
   * True when `write` and `writeDeadLetters` also acknowledge, at the source and in the same atomic step, the
   * message of each record or letter they take (a Redis sink on its Redis source's server): the runner then
   * sends no acknowledgement of its own for them.
   */
  readonly acknowledgesSource?: boolean;
  /** Stores dead letters, idempotently by `messageId` like `write`. */
  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}
