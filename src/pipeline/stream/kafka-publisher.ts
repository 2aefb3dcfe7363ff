/**
 * Produces message bodies to a Kafka topic, for `millrace simulate`: `kafka://broker1,broker2/TOPIC`. It takes
 * the same URL as the source (group parameters are accepted and ignored) and creates a missing topic.
 * Bodies carry no key, so the producer spreads them over the partitions.
 */
import type { Producer } from 'kafkajs';
import { ServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import { ensureTopics, kafkaClient } from './kafka-client.js';
import { parseKafkaSourceUrl } from './kafka-source.js';
import type { StreamPublisher } from './stream-publisher.js';

export class KafkaPublisher implements StreamPublisher {
  readonly display: string;

  private constructor(
    private readonly topic: string,
    private readonly producer: Producer,
    display: string,
  ) {
    this.display = display;
  }

  static async open(text: string, options: { readonly logger?: Logger | undefined } = {}): Promise<KafkaPublisher> {
    const settings = parseKafkaSourceUrl(text);
    const kafka = kafkaClient(settings.url, options.logger);
    await ensureTopics(kafka, settings.url.display, [settings.topic]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } catch (err) {
      throw new ServingError('UNAVAILABLE', `${settings.url.display}: cannot connect the producer: ${(err as Error).message}`);
    }
    return new KafkaPublisher(settings.topic, producer, settings.url.display);
  }

  async publish(bodies: readonly string[]): Promise<void> {
    if (bodies.length === 0) return;
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages: bodies.map((value) => ({ value })) });
    } catch (err) {
      throw new ServingError('UNAVAILABLE', `${this.display}: producing ${bodies.length} messages failed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
