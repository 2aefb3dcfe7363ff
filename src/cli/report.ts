import { writeFile } from 'node:fs/promises';
import { readAnomaliesFile, readSchemaFile, readStatisticsFile } from '../validation/metadata-protos.js';
import { buildReportModel } from '../validation/report/report-model.js';
import { renderReport } from '../validation/report/report-page.js';
import { bool, FlagError, flagsHelp, parseFlags, str, type FlagSpec } from './flags.js';
import { reportInputErrors } from './validation-errors.js';

const REPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'stats', type: 'string', default: '', help: 'statistics to show, JSON or text proto (from millrace stats, or TFDV)' },
  { name: 'compare', type: 'string', default: '', help: 'second statistics (JSON or text proto) to show side by side, with drift per feature' },
  { name: 'schema', type: 'string', default: '', help: 'schema (.json protobuf JSON, or text format) to show per feature' },
  { name: 'anomalies', type: 'string', default: '', help: 'anomalies JSON (from millrace validate) to show per feature' },
  { name: 'output', type: 'string', default: '', help: 'where to write the HTML report' },
  { name: 'title', type: 'string', default: '', help: 'page title; when empty, "Data report: " and the data set names' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace report --stats stats.json [--compare other.json] [--schema schema.pbtxt]
                      [--anomalies anomalies.json] --output report.html [--title T]

Writes one self-contained HTML page (inline CSS, script and SVG; it loads nothing from anywhere, so it can be
mailed, archived or opened offline) showing the statistics of every feature, in the manner of Facets Overview:

  numeric features   count, missing %, zeros %, mean, std dev, min, median, max; a standard histogram and the
                     quantiles (tenths of the values)
  string features    count, missing %, unique values, top values with counts, average length; a bar chart of
                     the most frequent values (from the rank histogram)

Red marks what Facets marks: a feature with no values, missing in more than 2 % of the examples, or with more
than 10 % zeros among its values.

--compare puts a second data set next to the first (train vs serving, yesterday vs today): both sets' numbers
in paired rows, overlaid histograms, and a drift column: the L-infinity distance of the value shares for
string features, the Jensen-Shannon divergence of the histograms for numeric ones (the measures
\`millrace validate\` uses for skew and drift comparators). When --schema sets a comparator threshold for the
feature, a value above it is red. Each file's default slice ("All Examples") is shown.

--schema adds each feature's schema constraints to its details; --anomalies adds an anomaly summary, an
anomaly column and each anomaly's reasons.

In the page: click a column header to sort (numbers largest first, text A to Z; click again to reverse;
features without a value go last), type in the search box to filter features by name, click a feature name
for its details. Hover a number for its exact value.

Exit code 0 on success, 2 on usage or input errors.

Flags:
${flagsHelp(REPORT_FLAGS)}
`;

export async function reportCommand(argv: readonly string[]): Promise<number> {
  return reportInputErrors(async () => {
    const { flags, positional } = parseFlags(REPORT_FLAGS, argv);
    if (bool(flags, 'help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
    const statsFile = str(flags, 'stats');
    const output = str(flags, 'output');
    if (statsFile === '') throw new FlagError('report needs --stats');
    if (output === '') throw new FlagError('report needs --output');
    const compareFile = str(flags, 'compare');
    const schemaFile = str(flags, 'schema');
    const anomaliesFile = str(flags, 'anomalies');
    const title = str(flags, 'title');
    const model = buildReportModel({
      base: { statistics: await readStatisticsFile(statsFile), file: statsFile },
      ...(compareFile === '' ? {} : { compare: { statistics: await readStatisticsFile(compareFile), file: compareFile } }),
      ...(schemaFile === '' ? {} : { schema: await readSchemaFile(schemaFile) }),
      ...(anomaliesFile === '' ? {} : { anomalies: await readAnomaliesFile(anomaliesFile) }),
      ...(title === '' ? {} : { title }),
    });
    await writeFile(output, renderReport(model));
    process.stderr.write(`report: ${model.features.length} features, ${model.datasets.length} data set(s) → ${output}\n`);
    return 0;
  });
}
