/**
 * Reads and writes tensorflow.metadata.v0 messages the way TFDV stores them: canonical protobuf JSON
 * (lowerCamelCase keys, int64 as strings, "NaN"/"Infinity" for non-finite doubles; snake_case keys are
 * accepted too) and, for schemas, protobuf text format (`schema.pbtxt`). Messages come from the
 * copies of the upstream protos vendored under `protos/tensorflow_metadata/`. Statistics may also be read in
 * protobuf text format (TFDV's `write_stats_text`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import textformat from 'protobufjs/ext/textformat.js';
import { ServingError } from '../errors/serving-error.js';
import type { Anomalies, Schema } from './schema-types.js';
import type { DatasetFeatureStatisticsList } from './statistics-types.js';
import { findUnknownContent, listPaths } from './unknown-proto-fields.js';

const PROTOS_DIR = fileURLToPath(new URL('../../protos/', import.meta.url));
const PROTO_FILES = ['statistics', 'schema', 'anomalies'].map((name) => `tensorflow_metadata/proto/v0/${name}.proto`);

export const STATISTICS_TYPE = 'tensorflow.metadata.v0.DatasetFeatureStatisticsList';
export const SCHEMA_TYPE = 'tensorflow.metadata.v0.Schema';
export const ANOMALIES_TYPE = 'tensorflow.metadata.v0.Anomalies';

interface MessageTypes {
  [STATISTICS_TYPE]: DatasetFeatureStatisticsList;
  [SCHEMA_TYPE]: Schema;
  [ANOMALIES_TYPE]: Anomalies;
}
type MessageTypeName = keyof MessageTypes;

const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: false };

let root: protobuf.Root | undefined;

function metadataRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => path.join(PROTOS_DIR, target);
  loaded.loadSync(PROTO_FILES, { keepCase: true });
  root = loaded;
  return root;
}

const lookup = (typeName: MessageTypeName): protobuf.Type => metadataRoot().lookupType(typeName);

/** Turns a plain message object into canonical protobuf JSON text. */
export function toProtoJson<K extends MessageTypeName>(typeName: K, message: MessageTypes[K]): string {
  const type = lookup(typeName);
  const json: unknown = protojson.toJson(type, type.fromObject(message as Record<string, unknown>));
  if (typeName === STATISTICS_TYPE) addProto3ZeroEnums(json);
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Where a reader reports what it ignored; by default standard error. */
export type WarningSink = (message: string) => void;

const toStderr: WarningSink = (message) => process.stderr.write(`millrace: warning: ${message}\n`);

/**
 * Parses canonical (or snake_case) protobuf JSON; errors name the source and the offending field. Statistics
 * and anomalies may hold fields a newer TFDV added: they are ignored with a warning that names them (see
 * unknown-proto-fields.ts). A schema is a file people edit, where an unknown field is most likely a misspelt
 * constraint that would otherwise go unchecked: it is an error.
 */
export function fromProtoJson<K extends MessageTypeName>(typeName: K, text: string, source: string, warn: WarningSink = toStderr): MessageTypes[K] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${source}: not valid JSON: ${messageOf(err)}`);
  }
  const type = lookup(typeName);
  const unknown = findUnknownContent(type, parsed);
  const invalid = (why: string) => new ServingError('INVALID_ARGUMENT', `${source}: not a valid ${typeName} JSON: ${why}`);
  if (unknown.enumValues.length > 0) throw invalid(`unknown enum value ${listPaths(unknown.enumValues)}`);
  if (unknown.fields.length > 0) {
    if (typeName === SCHEMA_TYPE) throw invalid(`unknown field ${listPaths(unknown.fields)}`);
    warn(`${source}: ignored ${unknown.fields.length} field(s) that ${typeName} does not define here (written by a newer TFDV?): ${listPaths(unknown.fields)}`);
  }
  try {
    const message = type.toObject(protojson.fromJson(type, parsed, { ignoreUnknownFields: true }), TO_OBJECT_OPTIONS) as MessageTypes[K];
    if (typeName === STATISTICS_TYPE) restoreProto3ZeroEnums(message as DatasetFeatureStatisticsList);
    return message;
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${source}: not a valid ${typeName} JSON: ${messageOf(err).replace(/^\./, '')}`);
  }
}

export function schemaToText(schema: Schema): string {
  const type = lookup(SCHEMA_TYPE);
  return textformat.toText(type, type.fromObject(schema as Record<string, unknown>));
}

export function schemaFromText(text: string, source: string): Schema {
  const type = lookup(SCHEMA_TYPE);
  try {
    return type.toObject(textformat.fromText(type, text), TO_OBJECT_OPTIONS) as Schema;
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${source}: not a valid ${SCHEMA_TYPE} text proto: ${messageOf(err).replace(/^\./, '')}`);
  }
}

/** A schema file in JSON (`.json`) or text format (anything else, e.g. `schema.pbtxt`). */
export async function readSchemaFile(file: string): Promise<Schema> {
  const text = await readInput(file);
  return isJsonPath(file) ? fromProtoJson(SCHEMA_TYPE, text, file) : schemaFromText(text, file);
}

export async function writeSchemaFile(file: string, schema: Schema): Promise<void> {
  await writeFile(file, isJsonPath(file) ? toProtoJson(SCHEMA_TYPE, schema) : schemaToText(schema));
}

/**
 * Statistics as JSON (what `millrace stats` writes, and TFDV's statistics through MessageToJson) or as protobuf
 * text format (TFDV's `write_stats_text`), told apart by the first character.
 */
export async function readStatisticsFile(file: string, warn: WarningSink = toStderr): Promise<DatasetFeatureStatisticsList> {
  const text = await readInput(file);
  return text.trimStart().startsWith('{') ? fromProtoJson(STATISTICS_TYPE, text, file, warn) : statisticsFromText(text, file);
}

export function statisticsFromText(text: string, source: string): DatasetFeatureStatisticsList {
  const type = lookup(STATISTICS_TYPE);
  try {
    const list = type.toObject(textformat.fromText(type, text), TO_OBJECT_OPTIONS) as DatasetFeatureStatisticsList;
    restoreProto3ZeroEnums(list);
    return list;
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${source}: not a valid ${STATISTICS_TYPE} JSON or text proto: ${messageOf(err).replace(/^\./, '')}`);
  }
}

export async function readAnomaliesFile(file: string, warn: WarningSink = toStderr): Promise<Anomalies> {
  return fromProtoJson(ANOMALIES_TYPE, await readInput(file), file, warn);
}

export async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(err);
    throw new ServingError('NOT_FOUND', `cannot read ${file}: ${why}`);
  }
}

const isJsonPath = (file: string): boolean => file.toLowerCase().endsWith('.json');

/**
 * Proto3 JSON drops enum fields holding their zero value, so `type: INT` and histogram `type: STANDARD`
 * would vanish; TFDV readers accept that, but a person reading the file should not have to know it.
 */
function addProto3ZeroEnums(json: unknown): void {
  const datasets = (json as { datasets?: Array<{ features?: Array<Record<string, unknown>> }> }).datasets ?? [];
  for (const dataset of datasets) {
    for (const feature of dataset.features ?? []) {
      if (feature['type'] === undefined) reorderWithType(feature, 'INT');
      const numStats = feature['numStats'] as { histograms?: Array<Record<string, unknown>> } | undefined;
      for (const histogram of numStats?.histograms ?? []) histogram['type'] ??= 'STANDARD';
    }
  }
}

/** The reading side of the same rule: an absent feature type is INT, an absent histogram type STANDARD. */
function restoreProto3ZeroEnums(list: DatasetFeatureStatisticsList): void {
  for (const dataset of list.datasets ?? []) {
    for (const feature of dataset.features ?? []) {
      feature.type ??= 'INT';
      for (const histogram of feature.num_stats?.histograms ?? []) histogram.type ??= 'STANDARD';
    }
  }
}

/** Puts `type` right after the feature's path or name, where TFDV's own output has it. */
function reorderWithType(feature: Record<string, unknown>, type: string): void {
  const entries = Object.entries(feature);
  for (const key of Object.keys(feature)) delete feature[key];
  let placed = false;
  for (const [key, value] of entries) {
    feature[key] = value;
    if (!placed && (key === 'path' || key === 'name')) {
      feature['type'] = type;
      placed = true;
    }
  }
  if (!placed) feature['type'] = type;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
