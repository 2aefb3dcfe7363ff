/**
 * The producer side of a stream, for `millrace simulate` and benchmarks: publishes message bodies (one JSON
 * instance each) to a broker. Each broker's adapter implements it next to its source.
 */
export interface StreamPublisher {
  /** The target's URL with any password masked. */
  readonly display: string;
  /** Publishes the bodies in order; resolves once the broker has accepted all of them. */
  publish(bodies: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
