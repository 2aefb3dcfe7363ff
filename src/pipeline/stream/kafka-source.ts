/**
 * A Kafka consumer group as a stream source: `kafka://[user:password@]broker1[:port],broker2[:port]/TOPIC?group=G`.
 *
 * - Workers with the same `group` share the topic's partitions (the broker's consumer-group protocol).
 * - Message id = `TOPIC:partition:offset`; event time = the message's timestamp; body = its value.
 * - Offsets are never auto-committed: `ack` (after the runner wrote the sink) commits, per partition, the end of
 *   the contiguous acknowledged prefix (AckedPrefixOffsets). A worker that dies leaves the rest uncommitted,
 *   and whoever gets the partition next re-reads it from there — the idempotent sink absorbs the repeats.
 * - Kafka does not redeliver to a live consumer, so a message handed out and not acknowledged within
 *   `ack_wait` is handed out again by this source, with `deliveries` one higher. Kafka keeps no delivery count:
 *   after a restart or rebalance, deliveries start again at 1.
 *
 * Parameters: `group` (default `millrace`), `from` (`earliest`, the default, or `latest`: where a group with
 * no committed offset starts), `ack_wait` (default: the runner's `--claim-idle-ms`, else 30s), `buffer`
 * (default 1000 fetched messages held ahead of `receive`), and the connection parameters of kafka-client.ts.
 * A missing topic is created with the broker's defaults.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import { brokerUrlError, durationParam, integerParam, parseBrokerUrl, rejectUnknownParams, type BrokerUrl } from './broker-url.js';
import { KAFKA_CONNECTION_PARAMS, KAFKA_DEFAULT_PORT, checkTopic, ensureTopics, kafkaClient } from './kafka-client.js';
import { KafkaReceiveQueue } from './kafka-receive-queue.js';
import type { StreamMessage, StreamSource } from './stream-contracts.js';

export interface KafkaSourceSettings {
  readonly url: BrokerUrl;
  readonly topic: string;
  readonly group: string;
  readonly fromBeginning: boolean;
  readonly ackWaitMs: number;
  readonly buffer: number;
}

export interface KafkaSourceOptions {
  /** `ack_wait` when the URL gives none (`--claim-idle-ms`). */
  readonly defaultAckWaitMs?: number | undefined;
  readonly logger?: Logger | undefined;
}

const PARAMS = [...KAFKA_CONNECTION_PARAMS, 'group', 'from', 'ack_wait', 'buffer'];

/** How often a batch callback waiting for room heartbeats and checks that it should still run. */
const WAIT_SLICE_MS = 1000;

export function parseKafkaSourceUrl(text: string, defaultAckWaitMs = 30_000): KafkaSourceSettings {
  const url = parseBrokerUrl(text, KAFKA_DEFAULT_PORT);
  if (url.scheme !== 'kafka') throw brokerUrlError(url.display, 'a Kafka URL starts with kafka://');
  rejectUnknownParams(url, PARAMS);
  checkTopic(url, url.name);
  const group = url.params.get('group') ?? 'millrace';
  if (group.trim() === '') throw brokerUrlError(url.display, 'group= may not be empty');
  const from = url.params.get('from') ?? 'earliest';
  if (from !== 'earliest' && from !== 'latest') throw brokerUrlError(url.display, `from=${from}: give earliest or latest`);
  const ackWaitMs = durationParam(url, 'ack_wait', defaultAckWaitMs, 100);
  const buffer = integerParam(url, 'buffer', 1000, 1, 1_000_000);
  return { url, topic: url.name, group, fromBeginning: from === 'earliest', ackWaitMs, buffer };
}

export class KafkaSource implements StreamSource {
  readonly display: string;
  private commitChain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly settings: KafkaSourceSettings,
    private readonly consumer: Consumer,
    private readonly queue: KafkaReceiveQueue,
  ) {
    this.display = settings.url.display;
  }

  /** Connects, joins the group and starts fetching (into a bounded queue). */
  static async open(text: string, options: KafkaSourceOptions = {}): Promise<KafkaSource> {
    const settings = parseKafkaSourceUrl(text, options.defaultAckWaitMs);
    const kafka: Kafka = kafkaClient(settings.url, options.logger);
    await ensureTopics(kafka, settings.url.display, [settings.topic]);
    const consumer = kafka.consumer({ groupId: settings.group, allowAutoTopicCreation: false });
    const queue = new KafkaReceiveQueue(settings.topic, { capacity: settings.buffer, ackWaitMs: settings.ackWaitMs });
    const source = new KafkaSource(settings, consumer, queue);
    consumer.on(consumer.events.GROUP_JOIN, () => queue.rebalanced());
    consumer.on(consumer.events.CRASH, (event) => {
      // KafkaJS restarts the consumer itself after retriable errors; only a crash it gives up on ends reading.
      if (!event.payload.restart) source.failure = event.payload.error;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [settings.topic], fromBeginning: settings.fromBeginning });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => source.takeBatch(payload) });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw new ServingError('UNAVAILABLE', `${settings.url.display}: cannot join consumer group "${settings.group}": ${(err as Error).message}`);
    }
    return source;
  }

  async receive(max: number, waitMs: number): Promise<StreamMessage[]> {
    if (this.closed) throw new ServingError('FAILED_PRECONDITION', `${this.display}: the source is closed`);
    if (this.failure !== undefined) throw new ServingError('INTERNAL', `${this.display}: the Kafka consumer stopped: ${this.failure.message}`);
    return this.queue.take(max, waitMs);
  }

  async ack(messages: readonly StreamMessage[]): Promise<void> {
    this.queue.acknowledge(messages);
    await this.commit(this.queue.generation);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commitChain;
    // Leaves the group: its partitions go to the other workers, from the offsets committed so far.
    await this.consumer.disconnect();
  }

  /** The eachBatch callback: moves fetched messages into the queue, waiting (heartbeating) while it is full. */
  private async takeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const generation = this.queue.generation;
    const stillCurrent = (): boolean => isRunning() && !isStale() && generation === this.queue.generation;
    for (const message of batch.messages) {
      while (this.queue.full && stillCurrent()) {
        await heartbeat();
        await this.queue.waitForSpace(WAIT_SLICE_MS);
      }
      // Unresolved offsets are fetched again by KafkaJS; a stale batch is re-read by the partition's new owner.
      if (!stillCurrent()) return;
      this.queue.add(batch.partition, message, generation);
      resolveOffset(message.offset);
    }
    await heartbeat();
  }

  /** Commits what the acknowledgements made committable; commits run one at a time, so offsets never go back. */
  private commit(generation: number): Promise<void> {
    const run = async (): Promise<void> => {
      if (generation !== this.queue.generation) return;
      const points = this.queue.commitPoints();
      if (points.length === 0) return;
      await this.consumer.commitOffsets(points.map(({ partition, offset }) => ({ topic: this.settings.topic, partition, offset })));
      this.queue.markCommitted(points, generation);
    };
    const next = this.commitChain.then(run);
    this.commitChain = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      // Typically a rebalance: the partition's next owner re-reads from the last commit and the sink deduplicates.
      throw new ServingError('UNAVAILABLE', `${this.display}: offset commit failed: ${(err as Error).message}`);
    });
  }
}
