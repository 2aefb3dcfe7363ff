/**
 * Files TFDV wrote, read by schema infer, validate and report: the fixture is TFDV's own recorded output for a
 * weighted run (see its header for where it comes from), in protobuf text format as `write_stats_text` writes it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { schemaCommand } from '../../src/cli/schema.js';
import { validateCommand } from '../../src/cli/validate.js';
import { fromProtoJson, readSchemaFile, readStatisticsFile, SCHEMA_TYPE, schemaFromText, STATISTICS_TYPE, toProtoJson } from '../../src/validation/metadata-protos.js';
import { withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const TFDV_STATS = new URL('../fixtures/tfdv/sequence-example-weighted.stats.pbtxt', import.meta.url).pathname;

/** TFDV's inferred schema for the same data (_BASIC_GOLDEN_INFERRED_SCHEMA of the same test file), top-level features. */
const TFDV_INFERRED_TOP_LEVEL = `
feature {
  name: "context_bytes_feature"
  type: BYTES
  bool_domain { true_value: "1" false_value: "0" }
  presence { min_fraction: 1.0 min_count: 1 }
  shape { dim { size: 1 } }
}
feature {
  name: "context_int64_feature"
  type: INT
  presence { min_count: 1 }
}
feature {
  name: "example_weight"
  type: FLOAT
  presence { min_fraction: 1.0 min_count: 1 }
  shape { dim { size: 1 } }
}
feature {
  name: "label"
  type: FLOAT
  presence { min_fraction: 1.0 min_count: 1 }
  shape { dim { size: 1 } }
}
`;

const { stderr } = captureProcessOutput({ stdout: 'silence' });

describe('statistics written by TFDV', () => {
  it('load with their weighted statistics, custom statistics and nested paths', async () => {
    const list = await readStatisticsFile(TFDV_STATS);
    const dataset = list.datasets![0]!;
    expect(dataset.num_examples).toBe(20);
    expect(dataset.weighted_num_examples).toBe(150);
    expect(dataset.features!.map((f) => [f.path!.step.join('.'), f.type])).toEqual([
      ['context_bytes_feature', 'STRING'],
      ['context_int64_feature', 'INT'],
      ['example_weight', 'FLOAT'],
      ['label', 'FLOAT'],
      ['##SEQUENCE##', 'STRUCT'],
      ['##SEQUENCE##.sequence_float_feature', 'FLOAT'],
      ['##SEQUENCE##.sequence_int64_feature', 'INT'],
    ]);
    const bytes = dataset.features![0]! as unknown as { string_stats: { common_stats: Record<string, unknown>; weighted_string_stats: unknown } };
    expect(bytes.string_stats.common_stats['weighted_common_stats']).toEqual({ num_non_missing: 150, avg_num_values: 1, tot_num_values: 150 });
    expect(bytes.string_stats.weighted_string_stats).toEqual({
      top_values: [
        { value: '1', frequency: 100 },
        { value: '0', frequency: 50 },
      ],
      rank_histogram: {
        buckets: [
          { label: '1', sample_count: 100 },
          { low_rank: 1, high_rank: 1, label: '0', sample_count: 50 },
        ],
      },
    });
    expect(stderr).toEqual([]);
  });

  it('schema infer gives TFDV’s own inferred schema for the top-level features', async () => {
    await withTempDir(async (dir) => {
      expect(await schemaCommand(['infer', '--stats', TFDV_STATS, '--output', join(dir, 'schema.pbtxt')])).toBe(0);
      const schema = await readSchemaFile(join(dir, 'schema.pbtxt'));
      const topLevel = (schema.feature ?? []).filter((f) => !(f.name ?? '').startsWith('##SEQUENCE##'));
      expect(topLevel).toEqual(schemaFromText(TFDV_INFERRED_TOP_LEVEL, 'golden').feature);
    });
  });

  it('validate finds no anomaly against the inferred schema, and report renders every feature', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      expect(await schemaCommand(['infer', '--stats', TFDV_STATS, '--output', at('schema.pbtxt')])).toBe(0);
      expect(await validateCommand(['--stats', TFDV_STATS, '--schema', at('schema.pbtxt'), '--output', at('anomalies.json')])).toBe(0);
      expect(JSON.parse(await readFile(at('anomalies.json'), 'utf8'))).toEqual({ anomalyNameFormat: 'SERIALIZED_PATH' });
      expect(await reportCommand(['--stats', TFDV_STATS, '--schema', at('schema.pbtxt'), '--output', at('report.html'), '--title', 'TFDV run'])).toBe(0);
      const html = await readFile(at('report.html'), 'utf8');
      expect(html).toContain('<title>TFDV run</title>');
      for (const name of ['context_bytes_feature', 'context_int64_feature', 'example_weight', 'label']) expect(html).toContain(name);
    });
  });

  it('as JSON (MessageToJson) with fields of a newer TFDV: ignored with a warning naming them; unknown enum values and schema fields are errors', async () => {
    await withTempDir(async (dir) => {
      const json = JSON.parse(toProtoJson(STATISTICS_TYPE, await readStatisticsFile(TFDV_STATS))) as { datasets: Array<Record<string, unknown> & { features: Array<Record<string, unknown>> }> };
      expect(json.datasets[0]!['weightedNumExamples']).toBe(150);
      json.datasets[0]!['validationIds'] = ['a'];
      (json.datasets[0]!.features[2]!['numStats'] as Record<string, unknown>)['newStatistic'] = 1;
      await writeFile(join(dir, 'newer.json'), JSON.stringify(json));
      const read = await readStatisticsFile(join(dir, 'newer.json'));
      expect(read.datasets![0]!.features).toHaveLength(7);
      expect(stderr).toEqual([
        `millrace: warning: ${join(dir, 'newer.json')}: ignored 2 field(s) that tensorflow.metadata.v0.DatasetFeatureStatisticsList does not define here (written by a newer TFDV?): ` +
          'datasets[0].features[2].numStats.newStatistic, datasets[0].validationIds\n',
      ]);

      expect(() => fromProtoJson(STATISTICS_TYPE, '{"datasets":[{"features":[{"name":"a","type":"TENSOR"}]}]}', 'x.json')).toThrow(
        'x.json: not a valid tensorflow.metadata.v0.DatasetFeatureStatisticsList JSON: unknown enum value datasets[0].features[0].type = "TENSOR"',
      );
      expect(() => fromProtoJson(SCHEMA_TYPE, '{"feature":[{"name":"a","presence":{"minFractoin":1}}]}', 'schema.json')).toThrow(
        'schema.json: not a valid tensorflow.metadata.v0.Schema JSON: unknown field feature[0].presence.minFractoin',
      );
    });
  });
});
