import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statsCommand } from '../../src/cli/stats.js';
import { readStatisticsFile } from '../../src/validation/metadata-protos.js';
import { withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const { stderr } = captureProcessOutput();

const TFDV_STATS = new URL('../fixtures/tfdv/sequence-example-weighted.stats.pbtxt', import.meta.url).pathname;

describe('stats merge of statistics without a sketch file (as TFDV writes them)', () => {
  it('merges what the statistics determine exactly, leaves out medians and histograms, and says so', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('a.csv'), 'x,c\n1,a\n2,b\n3,a\n');
      await writeFile(at('b.csv'), 'x,c\n4,a\n,c\n10,b\n');
      expect(await statsCommand(['--input', at('a.csv'), '--output', at('a.json')])).toBe(0);
      expect(await statsCommand(['--input', at('b.csv'), '--output', at('b.json')])).toBe(0);
      await rm(at('a.sketch.json'));
      await rm(at('b.sketch.json'));
      stderr.length = 0;
      expect(await statsCommand(['merge', at('a.json'), at('b.json'), '--output', at('merged.json')])).toBe(0);
      expect(stderr).toEqual([
        `stats merge: warning: no sketch file (${at('a.sketch.json')}, ${at('b.sketch.json')}; \`millrace stats\` writes one next to its statistics, TFDV does not), ` +
          'so only what the statistics determine exactly is merged: counts, missing, min, max, mean, std dev, zeros, average lengths, and the values of string ' +
          `features listed in full; not merged, so left out: num-values histograms, medians, histograms. No sketch file is written for ${at('merged.json')}.\n`,
        `stats merge: 2 file(s), 6 examples → ${at('merged.json')}\n`,
      ]);
      await expect(stat(at('merged.sketch.json'))).rejects.toThrow('ENOENT');

      // A feature whose type differs between the files cannot be merged.
      await writeFile(at('text.csv'), 'x\nfoo\n');
      expect(await statsCommand(['--input', at('text.csv'), '--output', at('text.json')])).toBe(0);
      await rm(at('text.sketch.json'));
      stderr.length = 0;
      expect(await statsCommand(['merge', at('a.json'), at('text.json'), '--output', at('bad.json')])).toBe(2);
      expect(stderr.at(-1)).toBe(`millrace: cannot merge feature "x": it is INT in ${at('a.json')} but STRING in ${at('text.json')}\n`);

      // x over the union: 1, 2, 3, 4, 10 and one missing; c: a ×3, b ×2, c ×1.
      const merged = await readStatisticsFile(at('merged.json'));
      const [c, x] = merged.datasets![0]!.features!;
      expect(merged.datasets![0]!.num_examples).toBe(6);
      expect(x!.type).toBe('INT');
      const { std_dev: stdDev, ...numeric } = x!.num_stats!;
      expect(numeric).toEqual({
        common_stats: { num_non_missing: 5, num_missing: 1, min_num_values: 1, max_num_values: 1, avg_num_values: 1, tot_num_values: 5 },
        mean: 4,
        min: 1,
        max: 10,
      });
      // Population variance (9 + 4 + 1 + 0 + 36) / 5 = 10.
      expect(stdDev).toBeCloseTo(Math.sqrt(10), 12);
      expect(c!.string_stats).toEqual({
        common_stats: { num_non_missing: 6, min_num_values: 1, max_num_values: 1, avg_num_values: 1, tot_num_values: 6 },
        unique: 3,
        top_values: [
          { value: 'a', frequency: 3 },
          { value: 'b', frequency: 2 },
          { value: 'c', frequency: 1 },
        ],
        avg_length: 1,
        rank_histogram: {
          buckets: [
            // Rank 0 is proto3's default, so it is not written.
            { label: 'a', sample_count: 3 },
            { low_rank: 1, high_rank: 1, label: 'b', sample_count: 2 },
            { low_rank: 2, high_rank: 2, label: 'c', sample_count: 1 },
          ],
        },
      });
    });
  });

  it('merges TFDV’s own statistics (text format, weighted) with themselves', async () => {
    await withTempDir(async (dir) => {
      expect(await statsCommand(['merge', TFDV_STATS, TFDV_STATS, '--output', join(dir, 'twice.json')])).toBe(0);
      expect(stderr[0]).toBe(
        `stats merge: warning: no sketch file (${TFDV_STATS}.sketch.json, ${TFDV_STATS}.sketch.json; \`millrace stats\` writes one next to its statistics, TFDV does not), ` +
          'so only what the statistics determine exactly is merged: counts, missing, min, max, mean, std dev, zeros, average lengths, and the values of string ' +
          `features listed in full; not merged, so left out: num-values histograms, weighted statistics, medians, histograms, custom statistics. No sketch file is written for ${join(dir, 'twice.json')}.\n`,
      );
      const twice = JSON.parse(await readFile(join(dir, 'twice.json'), 'utf8')) as { datasets: Array<{ numExamples: string; features: Array<Record<string, unknown>> }> };
      expect(twice.datasets[0]!.numExamples).toBe('40');
      expect(twice.datasets[0]!.features[3]).toEqual({
        path: { step: ['label'] },
        type: 'FLOAT',
        numStats: {
          commonStats: { numNonMissing: '40', minNumValues: '1', maxNumValues: '1', avgNumValues: 1, totNumValues: '40' },
          mean: 1.5,
          stdDev: 0.5,
          min: 1,
          max: 2,
        },
      });
    });
  });
});
