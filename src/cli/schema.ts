import { readStatisticsFile, writeSchemaFile } from '../validation/metadata-protos.js';
import { DEFAULT_INFERENCE_OPTIONS, inferSchema } from '../validation/schema-inference.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec } from './flags.js';
import { reportInputErrors } from './validation-errors.js';

const INFER_FLAGS: readonly FlagSpec[] = [
  { name: 'stats', type: 'string', default: '', help: 'statistics, JSON or text proto (from millrace stats, or TFDV)' },
  { name: 'output', type: 'string', default: '', help: 'schema file to write: .json for protobuf JSON, anything else (schema.pbtxt) for text format' },
  { name: 'infer_feature_shape', type: 'bool', default: DEFAULT_INFERENCE_OPTIONS.inferFeatureShape, help: 'give always-present fixed-length features a shape' },
  { name: 'max_string_domain_size', type: 'int', default: DEFAULT_INFERENCE_OPTIONS.maxStringDomainSize, help: 'largest string domain to infer' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace schema infer --stats stats.json --output schema.pbtxt|schema.json

Infers a tensorflow.metadata.v0.Schema from statistics with TFDV's rules (types, presence, shape or value
counts, bool/int/string domains). Exit code 0 on success, 2 on usage or input errors.

Flags:
${flagsHelp(INFER_FLAGS)}
`;

export async function schemaCommand(argv: readonly string[]): Promise<number> {
  return reportInputErrors(async () => {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (sub !== 'infer') throw new FlagError(`schema needs a subcommand: infer (got ${sub === undefined ? 'nothing' : `"${sub}"`})`);
    const { flags, positional } = parseFlags(INFER_FLAGS, rest);
    if (bool(flags, 'help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
    const statsFile = str(flags, 'stats');
    const output = str(flags, 'output');
    if (statsFile === '') throw new FlagError('schema infer needs --stats');
    if (output === '') throw new FlagError('schema infer needs --output');
    const schema = inferSchema(await readStatisticsFile(statsFile), {
      inferFeatureShape: bool(flags, 'infer_feature_shape'),
      maxStringDomainSize: num(flags, 'max_string_domain_size'),
    });
    await writeSchemaFile(output, schema);
    process.stderr.write(`schema infer: ${schema.feature?.length ?? 0} features → ${output}\n`);
    return 0;
  });
}
