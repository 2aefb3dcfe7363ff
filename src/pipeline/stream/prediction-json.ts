/**
 * The JSON a broker sink (NATS JetStream, Kafka) publishes for each prediction and each dead letter. Field names
 * match the columns of the SQL sinks, so a consumer of the output topic reads the same record as a table row.
 * `instance` and `prediction` are already JSON text and are embedded as JSON, not as strings.
 */
import type { DeadLetter, PredictionRecord } from './stream-contracts.js';

const encoder = new TextEncoder();

export function predictionRecordJson(record: PredictionRecord): Uint8Array {
  return encoder.encode(predictionRecordText(record));
}

export function deadLetterJson(letter: DeadLetter): Uint8Array {
  return encoder.encode(deadLetterText(letter));
}

/** The same JSON as text, for writers that join many records before encoding them once (stdout). */
export function predictionRecordText(record: PredictionRecord): string {
  return (
    `{"message_id":${JSON.stringify(record.messageId)},"instance":${record.instance},"prediction":${record.prediction},` +
    `"model_name":${JSON.stringify(record.modelName)},"model_version":${record.modelVersion},` +
    `"event_time_ms":${record.eventTimeMs},"prediction_time_ms":${record.predictionTimeMs}}`
  );
}

export function deadLetterText(letter: DeadLetter): string {
  return JSON.stringify({
    message_id: letter.messageId,
    body: letter.body,
    error: letter.error,
    deliveries: letter.deliveries,
    event_time_ms: letter.eventTimeMs,
    failed_time_ms: letter.failedTimeMs,
  });
}

/**
 * The dedup key of a dead letter. It differs from the prediction's (the message id itself) so that a message
 * dead-lettered by one worker and predicted by another is not dropped as a duplicate when both share a
 * stream's duplicate window.
 */
export function deadLetterKey(messageId: string): string {
  return `dead:${messageId}`;
}
