// Whether an answer holds the model's predictions for the prepared rows: the one check every load generator shares.
import { expectedPredictions } from '../mlp-fixture.js';
import type { Protocol } from './protocol.js';
import { decodePredictions, type ResponseBody } from './responses.js';

const TOLERANCE = 1e-3;

/** Checks answers to `rows`-row requests of one protocol; the expected values are computed once. */
export function answerChecker(protocol: Protocol, rows: number): (answer: ResponseBody, checkValues: boolean) => string | undefined {
  const expected = expectedPredictions(rows).flat();
  /** Why the answer is wrong, or undefined; `checkValues` compares every value, otherwise only the count. */
  return (answer, checkValues) => {
    let values: number[];
    try {
      values = decodePredictions(protocol, answer);
    } catch (err) {
      return `undecodable answer: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (values.length !== expected.length) return `${values.length} predictions for ${rows} rows`;
    if (!checkValues) return undefined;
    const bad = expected.findIndex((want, i) => !(Math.abs((values[i] ?? Number.NaN) - want) <= TOLERANCE));
    return bad < 0 ? undefined : `prediction ${bad}: expected ${expected[bad]}, got ${values[bad]}`;
  };
}
