/**
 * A Kafka topic as a stream sink: `kafka://[user:password@]broker1[:port],broker2[:port]/TOPIC`.
 *
 * Each prediction is produced to TOPIC as one JSON object (see prediction-json.ts) keyed by its message id;
 * each dead letter to `TOPIC.dead`, keyed the same way (in the dead-letter role, `--dead-letter kafka://…/T`,
 * to T itself). `write` resolves once every in-sync replica has the records (acks = all).
 *
 * Idempotence: the producer is KafkaJS's idempotent producer, so its own retries never write a record twice.
 * A message redelivered to the stream worker (after a crash or rebalance) is produced again, though: Kafka has
 * no publish dedup across producer sessions. Downstream idempotence is therefore by key — all copies of a
 * message carry the same key, land in the same partition, and a compacted topic or a consumer that upserts by
 * key keeps one. Missing topics are created with the broker's defaults.
 */
import type { Producer } from 'kafkajs';
import { ServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import { brokerUrlError, parseBrokerUrl, rejectUnknownParams, type BrokerUrl } from './broker-url.js';
import { KAFKA_CONNECTION_PARAMS, KAFKA_DEFAULT_PORT, checkTopic, ensureTopics, kafkaClient } from './kafka-client.js';
import { deadLetterJson, predictionRecordJson } from './prediction-json.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';
import type { SinkRole } from './stream-endpoints.js';

export interface KafkaSinkSettings {
  readonly url: BrokerUrl;
  /** Where predictions go; undefined for a sink of dead letters only. */
  readonly topic: string | undefined;
  readonly deadLetterTopic: string;
}

export function parseKafkaSinkUrl(text: string, role: SinkRole = 'predictions'): KafkaSinkSettings {
  const url = parseBrokerUrl(text, KAFKA_DEFAULT_PORT);
  if (url.scheme !== 'kafka') throw brokerUrlError(url.display, 'a Kafka URL starts with kafka://');
  rejectUnknownParams(url, KAFKA_CONNECTION_PARAMS);
  checkTopic(url, url.name);
  if (role === 'dead-letters') return { url, topic: undefined, deadLetterTopic: url.name };
  checkTopic(url, `${url.name}.dead`);
  return { url, topic: url.name, deadLetterTopic: `${url.name}.dead` };
}

export class KafkaSink implements StreamSink {
  readonly display: string;

  private constructor(
    private readonly settings: KafkaSinkSettings,
    private readonly producer: Producer,
  ) {
    this.display = settings.url.display;
  }

  static async open(text: string, options: { readonly role?: SinkRole; readonly logger?: Logger | undefined } = {}): Promise<KafkaSink> {
    const settings = parseKafkaSinkUrl(text, options.role);
    const kafka = kafkaClient(settings.url, options.logger);
    const topics = settings.topic === undefined ? [settings.deadLetterTopic] : [settings.topic, settings.deadLetterTopic];
    await ensureTopics(kafka, settings.url.display, topics);
    // Bounded retries (KafkaJS's idempotent default is unbounded): a write that cannot succeed fails, and the
    // stream runner retries it with backoff. Within those retries the producer still writes each record once.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
    try {
      await producer.connect();
    } catch (err) {
      throw new ServingError('UNAVAILABLE', `${settings.url.display}: cannot connect the producer: ${(err as Error).message}`);
    }
    return new KafkaSink(settings, producer);
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    if (this.settings.topic === undefined) throw new ServingError('FAILED_PRECONDITION', `${this.display}: this sink was opened for dead letters only`);
    await this.send(
      this.settings.topic,
      records.map((record) => ({ key: record.messageId, value: Buffer.from(predictionRecordJson(record)) })),
    );
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.send(
      this.settings.deadLetterTopic,
      letters.map((letter) => ({ key: letter.messageId, value: Buffer.from(deadLetterJson(letter)) })),
    );
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private async send(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.producer.send({ topic, acks: -1, messages });
    } catch (err) {
      throw new ServingError('UNAVAILABLE', `${this.display}: producing ${messages.length} records to ${topic} failed: ${(err as Error).message}`);
    }
  }
}
