/**
 * TFRecord files of serialized tf.Example (TFDV's own input), plain or gzip: each record is one example, each
 * feature one value list of the list's kind — int64_list INT, float_list FLOAT, bytes_list STRING (TFDV's
 * types), an empty list present with no values, a feature with no list kind set missing (as tfx_bsl decodes
 * them). Bytes that are not UTF-8 count as `invalid_utf8_count` and show as `__BYTES_VALUE__`, as in TFDV. A
 * corrupt record or one that is not a tf.Example stops the statistics with a message naming the record.
 */
import { ServingError } from '../../errors/serving-error.js';
import { readTfRecords } from '../../readers/tfrecord-records.js';
import type { Feature } from '../../tensor/example.js';
import { decodeExample } from '../../tensor/example-proto.js';
import { BYTES_VALUE_PLACEHOLDER, type FeatureValues } from '../example-values.js';
import type { ExampleRecord } from './example-source.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function* readTfRecordExamples(file: string): AsyncGenerator<ExampleRecord> {
  for await (const entry of readTfRecords(file)) {
    if (entry.kind === 'corrupt') throw new ServingError('INVALID_ARGUMENT', `${file}: record ${entry.index}: ${entry.message}`);
    let decoded;
    try {
      decoded = decodeExample(entry.data);
    } catch (err) {
      throw new ServingError('INVALID_ARGUMENT', `${file}: record ${entry.index}: not a serialized tf.Example: ${(err as Error).message}`);
    }
    const example = new Map<string, FeatureValues>();
    for (const [name, feature] of decoded) {
      const values = featureValues(feature);
      if (values !== undefined) example.set(name, values);
    }
    yield { example, position: entry.index };
  }
}

function featureValues(feature: Feature): FeatureValues | undefined {
  switch (feature.kind) {
    case 'none':
      return undefined;
    case 'int64':
      return { kind: 'int', values: Array.from(feature.values, Number), fixedType: true };
    case 'float':
      return { kind: 'float', values: Array.from(feature.values), fixedType: true };
    case 'bytes': {
      let invalid = 0;
      let byteLength = 0;
      const values = feature.values.map((bytes) => {
        byteLength += bytes.length;
        try {
          return utf8.decode(bytes);
        } catch {
          invalid++;
          return BYTES_VALUE_PLACEHOLDER;
        }
      });
      return { kind: 'string', values, fixedType: true, ...(invalid > 0 ? { invalidUtf8: invalid, byteLength } : {}) };
    }
  }
}
