// One batch job per input format, with exact result and error files.
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { halfPlusTwoModel, int64ScaleModel } from '../support/onnx-graphs.js';
import { readOutputs, runJob, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

describe('JSON lines', () => {
  it('predicts good lines, and sends bad JSON, wrong types, missing and unknown fields to the errors file with their line', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeText(
      join(dir.path, 'in', 'rows.jsonl'),
      [
        '{"id":"r1","a":1,"b":0.5}',
        '{"id":"r2","a":"x","b":1}',
        'not json',
        '',
        '{"id":"r3","a":2.5,"b":-1}',
        '[1,2]',
        '{"id":"r4","a":1}',
        '{"id":"r5","a":1,"b":2,"c":3}',
        '{"a":1,"b":2}',
      ].join('\n'),
    );
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'id' } });
    expect(summary).toMatchObject({ rows: 8, succeeded: 2, failed: 6, shardsTotal: 1, shardsWritten: 1, shardsSkipped: 0 });
    const files = await readOutputs(output);
    expect(Object.keys(files)).toEqual(['prediction.errors-00000-of-00001', 'prediction.results-00000-of-00001']);
    expect(files['prediction.results-00000-of-00001']).toBe(
      '{"key":"r1","instance":{"a":1,"b":0.5},"prediction":2.5}\n{"key":"r3","instance":{"a":2.5,"b":-1},"prediction":4.0}\n',
    );
    const where = (line: number): string => `"input":${JSON.stringify(input)},"line":${line}}`;
    const errors = files['prediction.errors-00000-of-00001']!.split('\n');
    expect(errors).toEqual([
      `{"key":"r2","instance":{"a":"x","b":1},"error":{"code":"INVALID_ARGUMENT","message":"field \\"a\\": expected a number (DT_FLOAT), got the string \\"x\\""},${where(2)}`,
      expect.stringMatching(new RegExp(`^\\{"error":\\{"code":"INVALID_ARGUMENT","message":"not valid JSON: [^"]*\\\\"not json\\\\"[^"]*"\\},${escape(where(3))}$`)),
      `{"raw_record":[1,2],"error":{"code":"INVALID_ARGUMENT","message":"--key_field needs a record with named fields, but this one is an array of 2"},${where(6)}`,
      `{"key":"r4","instance":{"a":1},"error":{"code":"INVALID_ARGUMENT","message":"no value for input \\"b\\""},${where(7)}`,
      `{"key":"r5","instance":{"a":1,"b":2,"c":3},"error":{"code":"INVALID_ARGUMENT","message":"field \\"c\\" is not an input of signature serving_default (inputs: a, b); leave it out with --excluded_fields or pick inputs with --included_fields"},${where(8)}`,
      `{"raw_record":{"a":1,"b":2},"error":{"code":"INVALID_ARGUMENT","message":"missing key field \\"id\\""},${where(9)}`,
      '',
    ]);
  });

  it('takes array and scalar lines as the single input\'s row', async () => {
    const model = await writeModel(dir.path, 'hpt', halfPlusTwoModel());
    const input = await writeText(join(dir.path, 'x.jsonl'), '[1]\n[3.5]\n[1,2]\n7\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output });
    expect(summary).toMatchObject({ rows: 4, succeeded: 2, failed: 2 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00001']).toBe('{"instance":[1],"prediction":[2.5]}\n{"instance":[3.5],"prediction":[3.75]}\n');
    expect(files['prediction.errors-00000-of-00001']).toBe(
      `{"instance":[1,2],"error":{"code":"INVALID_ARGUMENT","message":"input \\"x\\": expected a list of shape [1] per instance (input shape [-1, 1]), got a list of shape [2]"},"input":${JSON.stringify(input)},"line":3}\n` +
        `{"instance":7,"error":{"code":"INVALID_ARGUMENT","message":"input \\"x\\": expected a list of shape [1] per instance (input shape [-1, 1]), got a single value"},"input":${JSON.stringify(input)},"line":4}\n`,
    );
  });
});

describe('CSV', () => {
  it('reads the header, quoting and CRLF, types cells by the input dtype, and names the line of each bad row', async () => {
    const model = await writeModel(dir.path, 'hpt', halfPlusTwoModel());
    const input = await writeText(
      join(dir.path, 'x.csv'),
      ['name,x,comment', '"a, first",1,"says ""hi"""', 'b,3.5,', 'c,"7","two\r\nlines"', 'd,abc,bad', 'e,,missing', '12,4'].join('\r\n') + '\r\n',
    );
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'name', includedFields: ['x'], instanceType: 'array' } });
    expect(summary).toMatchObject({ rows: 6, succeeded: 3, failed: 3 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00001']).toBe(
      '{"key":"a, first","instance":[1],"prediction":[2.5]}\n{"key":"b","instance":[3.5],"prediction":[3.75]}\n{"key":"c","instance":[7],"prediction":[5.5]}\n',
    );
    const where = (line: number): string => `"input":${JSON.stringify(input)},"line":${line}}`;
    expect(files['prediction.errors-00000-of-00001']).toBe(
      [
        `{"key":"d","raw_record":{"name":"d","x":"abc","comment":"bad"},"error":{"code":"INVALID_ARGUMENT","message":"field \\"x\\": \\"abc\\" is not a number"},${where(6)}`,
        `{"key":"e","raw_record":{"name":"e","comment":"missing"},"error":{"code":"INVALID_ARGUMENT","message":"field \\"x\\" has no value, and --instance_type array needs every value"},${where(7)}`,
        `{"error":{"code":"INVALID_ARGUMENT","message":"row has 2 fields but the header names 3"},${where(8)}`,
        '',
      ].join('\n'),
    );
  });

  it('keeps unquoted numbers as numbers and quoted text as strings when there is no model (export)', async () => {
    const input = await writeText(join(dir.path, 'x.csv'), 'id,a,b\n1,2.5,"3"\n"2",x,\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ input, output, exportOnly: true, shaping: { excludedFields: ['id'] } });
    expect(summary).toMatchObject({ rows: 2, succeeded: 2, failed: 0 });
    expect(await readOutputs(output)).toEqual({
      'export.errors-00000-of-00001': '',
      'export.instances-00000-of-00001': '{"a":2.5,"b":"3"}\n{"a":"x"}\n',
    });
  });
});

describe('Parquet', () => {
  it('reads every row group, keeps INT64 exact, and names the row of each bad row', async () => {
    const model = await writeModel(dir.path, 'scale', int64ScaleModel());
    const input = join(dir.path, 'x.parquet');
    parquetWriteFile({
      filename: input,
      columnData: [
        { name: 'id', data: ['p1', 'p2', 'p3', 'p4', 'p5'], type: 'STRING' },
        { name: 'x', data: [1n, 2n, null, 4194305n, -3n], type: 'INT64' },
      ],
      rowGroupSize: 2,
    });
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'id' } });
    expect(summary).toMatchObject({ rows: 5, succeeded: 4, failed: 1, shardsTotal: 3 });
    expect(await readOutputs(output)).toEqual({
      'prediction.errors-00000-of-00003': '',
      'prediction.errors-00001-of-00003': `{"key":"p3","instance":{},"error":{"code":"INVALID_ARGUMENT","message":"no value for input \\"x\\""},"input":${JSON.stringify(input)},"row":3}\n`,
      'prediction.errors-00002-of-00003': '',
      'prediction.results-00000-of-00003': '{"key":"p1","instance":{"x":1},"prediction":1099511627776}\n{"key":"p2","instance":{"x":2},"prediction":2199023255552}\n',
      // (2^22 + 1) · 2^40 is beyond 2^53: written exactly.
      'prediction.results-00001-of-00003': '{"key":"p4","instance":{"x":4194305},"prediction":4611687117939015680}\n',
      'prediction.results-00002-of-00003': '{"key":"p5","instance":{"x":-3},"prediction":-3298534883328}\n',
    });
  });
});

describe('Parquet written by DuckDB', () => {
  it('reads ZSTD-compressed row groups, and gives DATE and TIMESTAMP columns as ISO-8601 text, not epoch milliseconds', async () => {
    const input = join(dir.path, 'duck.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(
        `COPY (SELECT * FROM (VALUES
            ('k1', 1.0::DOUBLE, 2.0::FLOAT, DATE '2024-03-01', TIMESTAMP '2024-03-01 12:34:56.789012'),
            ('k2', 3.0::DOUBLE, 0.5::FLOAT, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.5'),
            ('k3', -1.0::DOUBLE, 1.0::FLOAT, NULL, NULL)) AS t(id, a, b, day, "at"))
          TO '${input}' (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(input));
    expect(metadata.row_groups[0]!.columns.map((c) => c.meta_data?.codec)).toEqual(['ZSTD', 'ZSTD', 'ZSTD', 'ZSTD', 'ZSTD']);

    const exported = join(dir.path, 'export');
    expect(await runJob({ input, output: exported, shaping: { keyField: 'id' } })).toMatchObject({ rows: 3, succeeded: 3, failed: 0 });
    expect((await readOutputs(exported))['export.instances-00000-of-00001']).toBe(
      '{"id":"k1","a":1,"b":2,"day":"2024-03-01","at":"2024-03-01T12:34:56.789012Z"}\n' +
        '{"id":"k2","a":3,"b":0.5,"day":"1969-12-31","at":"1969-12-31T23:59:59.500000Z"}\n' +
        '{"id":"k3","a":-1,"b":1}\n',
    );

    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const output = join(dir.path, 'out');
    expect(await runJob({ model, input, output, shaping: { excludedFields: ['id', 'day', 'at'] } })).toMatchObject({ rows: 3, succeeded: 3, failed: 0 });
    expect((await readOutputs(output))['prediction.results-00000-of-00001']).toBe(
      '{"instance":{"a":1,"b":2},"excluded":{"id":"k1","day":"2024-03-01","at":"2024-03-01T12:34:56.789012Z"},"prediction":4.0}\n' +
        '{"instance":{"a":3,"b":0.5},"excluded":{"id":"k2","day":"1969-12-31","at":"1969-12-31T23:59:59.500000Z"},"prediction":6.5}\n' +
        '{"instance":{"a":-1,"b":1},"excluded":{"id":"k3","day":null,"at":null},"prediction":-1.0}\n',
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
