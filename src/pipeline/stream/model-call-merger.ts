/**
 * Model calls of the windows in flight, merged: windows that ask for predictions in the same turn of the event
 * loop (a read that filled several windows at once, or windows whose shared sink write finished together) go
 * to the model as one call, and each gets its own rows back. The fixed cost of a model call (about as much as
 * a hundred rows of a small model) is then paid once per turn rather than once per window; no window waits
 * for another, since the merged call starts at the end of the turn in which the first of them asked. A failing
 * merged call is split as any batch is (see batch-predict.ts), so one bad row still fails only itself.
 *
 * A merged call holds at most `maxRows` rows (whole requests; a larger single request goes alone), so a model
 * server's size limits see calls of a bounded size. A retried window asks alone: a transient failure of a merged
 * call (a full queue, a deadline) is then not repeated at the same size.
 *
 * Per-element mode (window size 1) does not merge: each message is its own model call, as it says.
 */
import { toServingError } from '../../errors/serving-error.js';
import { predictInstances, type PredictionTarget, type RowOutcome } from '../batch-predict.js';

interface Request {
  readonly instances: readonly string[];
  /** Undefined: no exact values for this request (the merged call then decodes every instance from its text). */
  readonly values: readonly unknown[] | undefined;
  readonly resolve: (outcomes: RowOutcome[]) => void;
}

export class ModelCallMerger {
  private queued: Request[] = [];

  constructor(
    private readonly target: PredictionTarget,
    /** False: every request is a call of its own. */
    private readonly merge: boolean,
    /** The most rows in one merged call. */
    private readonly maxRows = 1024,
  ) {
    if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  }

  /** One outcome per instance, in order; never rejects (a failure is each row's outcome). `alone`: not merged. */
  predict(instances: readonly string[], values: readonly unknown[] | undefined, alone = false): Promise<RowOutcome[]> {
    if (!this.merge || alone) return callModel(this.target, instances, values);
    return new Promise((resolve) => {
      this.queued.push({ instances, values, resolve });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    // Whole requests in order, each group up to maxRows; the groups' calls run at once.
    const groups: Request[][] = [];
    let rows = 0;
    for (const request of queued) {
      const last = groups.at(-1);
      if (last !== undefined && rows + request.instances.length <= this.maxRows) {
        last.push(request);
        rows += request.instances.length;
      } else {
        groups.push([request]);
        rows = request.instances.length;
      }
    }
    await Promise.all(groups.map((group) => this.callMerged(group)));
  }

  private async callMerged(requests: readonly Request[]): Promise<void> {
    if (requests.length === 1) {
      const only = requests[0]!;
      only.resolve(await callModel(this.target, only.instances, only.values));
      return;
    }
    const instances: string[] = [];
    let values: unknown[] | undefined = [];
    for (const r of requests) {
      for (const instance of r.instances) instances.push(instance);
      if (r.values === undefined) values = undefined;
      else if (values !== undefined) for (const value of r.values) values.push(value);
    }
    const outcomes = await callModel(this.target, instances, values);
    let at = 0;
    for (const r of requests) {
      r.resolve(outcomes.slice(at, at + r.instances.length));
      at += r.instances.length;
    }
  }
}

async function callModel(target: PredictionTarget, instances: readonly string[], values: readonly unknown[] | undefined): Promise<RowOutcome[]> {
  try {
    return await predictInstances(target, instances, values);
  } catch (err) {
    // predictInstances reports failures per row; anything thrown past it fails the whole call alike.
    const error = toServingError(err);
    return instances.map(() => ({ error }));
  }
}
