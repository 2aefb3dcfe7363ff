/**
 * What the Kafka source, sink and publisher share: the KafkaJS client built from a `kafka://` URL and the
 * creation of missing topics. `kafka://[user:password@]broker1[:port],broker2[:port]/TOPIC?…` with the
 * connection parameters `ssl=true` and `sasl=plain|scram-sha-256|scram-sha-512` (the user and password of the
 * URL are the SASL credentials; `plain` when only they are given). KafkaJS's own log lines go to the
 * structured log at warn and error level.
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { ServingError } from '../../errors/serving-error.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { brokerUrlError, type BrokerUrl } from './broker-url.js';

export const KAFKA_DEFAULT_PORT = 9092;
export const KAFKA_CONNECTION_PARAMS = ['ssl', 'sasl'];

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function kafkaClient(url: BrokerUrl, logger: Logger = silentLogger): Kafka {
  const ssl = url.params.get('ssl');
  if (ssl !== null && ssl !== 'true' && ssl !== 'false') throw brokerUrlError(url.display, `ssl=${ssl}: give true or false`);
  const config: KafkaConfig = {
    clientId: 'millrace',
    brokers: [...url.hosts],
    ssl: ssl === 'true',
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const level = entry.level === logLevel.ERROR ? 'error' : 'warn';
      // The logger stamps its own time; KafkaJS's timestamp would only repeat it.
      const fields: Record<string, unknown> = { ...entry.log };
      delete fields.timestamp;
      logger.log(level, 'kafka_client', { namespace: entry.namespace, ...fields });
    },
  };
  const sasl = saslOptions(url);
  if (sasl !== undefined) config.sasl = sasl;
  return new Kafka(config);
}

function saslOptions(url: BrokerUrl): SASLOptions | undefined {
  const mechanism = url.params.get('sasl');
  if (mechanism === null && url.username === undefined) return undefined;
  const chosen = (mechanism ?? 'plain').toLowerCase();
  if (!(SASL_MECHANISMS as readonly string[]).includes(chosen)) {
    throw brokerUrlError(url.display, `sasl=${mechanism}: give one of ${SASL_MECHANISMS.join(', ')}`);
  }
  if (url.username === undefined || url.password === undefined) {
    throw brokerUrlError(url.display, `sasl=${chosen} needs credentials: kafka://user:password@broker/TOPIC`);
  }
  return { mechanism: chosen as (typeof SASL_MECHANISMS)[number], username: url.username, password: url.password };
}

/** A topic name as Kafka accepts it. */
export function checkTopic(url: BrokerUrl, topic: string): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw brokerUrlError(url.display, `"${topic}" is not a Kafka topic name (1–249 of letters, digits, ".", "_", "-"); give it as the path, e.g. kafka://127.0.0.1:9092/events`);
  }
}

/** Creates the topics that do not exist yet, with the broker's default partitions and replication. */
export async function ensureTopics(kafka: Kafka, display: string, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic })) });
  } catch (err) {
    throw new ServingError('UNAVAILABLE', `${display}: cannot reach Kafka or create topic ${topics.join(', ')}: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
