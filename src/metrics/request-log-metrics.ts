import type { Registry } from 'prom-client';
import { LabelledCounter } from './labelled-metrics.js';

/**
 * TF Serving's `/tensorflow/serving/request_log_count`: requests written to the request log (status OK) or
 * dropped — RESOURCE_EXHAUSTED when the log's buffer was full, INTERNAL when a write failed, CANCELLED when the
 * server was closing.
 */
export function requestLogCounter(registry: Registry): LabelledCounter<'model_name' | 'status'> {
  return new LabelledCounter({
    name: ':tensorflow:serving:request_log_count',
    help: 'Requests written to the request log (OK) or dropped, by model and status.',
    labelNames: ['model_name', 'status'],
    registers: [registry],
  });
}
