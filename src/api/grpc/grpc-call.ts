// How one gRPC call meets the Predictor: the client's deadline and cancellation become CallOptions, a thrown
// ServingError becomes the gRPC status of the same number, with TF Serving's message limit.
import type { Deadline, handleUnaryCall, sendUnaryData, ServerErrorResponse, ServerUnaryCall } from '@grpc/grpc-js';
import { Code, ServingError, toServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import type { CallOptions } from '../../serving/predictor.js';

/** TF Serving cuts status messages after this many characters (model_servers/grpc_status_util.cc). */
const MESSAGE_LIMIT = 1024;

/** The gRPC status of an error: the canonical code's number, the message cut to 1024 chars + `...TRUNCATED`. */
export function grpcStatusOf(err: unknown): ServerErrorResponse {
  const error = toServingError(err);
  const details = error.message.length > MESSAGE_LIMIT ? `${error.message.slice(0, MESSAGE_LIMIT)}...TRUNCATED` : error.message;
  return { name: 'ServingError', message: details, code: Code[error.code], details };
}

/** The call's cancellation, read when asked: grpc-js sets `cancelled` on the call object when the client cancels. */
class CallCancellation {
  constructor(private readonly call: { readonly cancelled: boolean }) {}

  get aborted(): boolean {
    return this.call.cancelled;
  }
}

/** The client's deadline (absolute ms, if it set one) and a flag that turns true when the call is cancelled. */
export function callOptionsOf(call: { readonly cancelled: boolean; getDeadline(): Deadline }): CallOptions {
  // A view of the call's own flag rather than an AbortController or a 'cancelled' listener: nothing to set up per call.
  const deadline = Number(call.getDeadline());
  return { deadline: Number.isFinite(deadline) ? deadline : undefined, signal: new CallCancellation(call) };
}

/** A unary handler from an async function; errors other than ServingErrors are logged, as the REST server does. */
export function unary<Request, Response>(
  method: string,
  logger: Logger,
  handler: (request: Request, options: CallOptions) => Promise<Response>,
): handleUnaryCall<Request, Response> {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => {
    let work: Promise<Response>;
    try {
      work = handler(call.request, callOptionsOf(call));
    } catch (err) {
      work = Promise.reject(err);
    }
    work.then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (!(err instanceof ServingError)) logger.log('error', 'grpc_request_failed', { method, error: toServingError(err).message });
        callback(grpcStatusOf(err));
      },
    );
  };
}
