/**
 * What to tell a user whose --slice-by made no slice. TFDV then writes only the "All Examples" dataset, and
 * so do we; but a misspelt or absent feature should not pass unnoticed.
 */
import type { FeatureFilter, StatisticsAccumulator } from './statistics-accumulator.js';

/** A warning when slicing was asked for and made no slice; undefined otherwise. */
export function sliceWarning(accumulator: StatisticsAccumulator, excluded: FeatureFilter): string | undefined {
  const sliceBy = accumulator.sliceBy;
  if (sliceBy.length === 0 || accumulator.sliceCount > 0) return undefined;
  const outcome = 'the statistics hold only the "All Examples" dataset';
  // With one slicing feature, no slice means it never had a value; a feature left out of the statistics
  // (--exclude-features) has no counts to say so, which matters only when there are several.
  const absent = sliceBy.length === 1 ? sliceBy : sliceBy.filter((f) => !excluded(f) && accumulator.valueCount(f) === 0);
  if (absent.length === 0) return `--slice-by ${quoted(sliceBy)}: no example has values of all of them together; ${outcome}`;
  const noun = absent.length === 1 ? 'feature' : 'features';
  return `--slice-by ${noun} ${quoted(absent)} ${absent.length === 1 ? 'has' : 'have'} no value in any example; ${outcome}`;
}

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');
