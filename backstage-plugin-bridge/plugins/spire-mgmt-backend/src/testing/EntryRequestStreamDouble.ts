import {
  Code,
  ConnectError,
  ConnectRouter,
  createRouterTransport,
  Transport,
} from '@connectrpc/connect';
import {
  EntryRequestService,
  EntryRequestUpdate,
  file_spire_mgmt_v1_common,
  SPIRE_MGMT_ERROR_DOMAIN,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** One StreamEntryRequestUpdates call the double served. */
export interface StreamCall {
  /** The cursor the caller resumed after ('' for none). */
  cursor: string;
  /** The call's `authorization` header. */
  authorization: string | null;
}

/** What the double answers one call with: these updates, then the error, or (without one) it stays open. */
interface Script {
  updates: EntryRequestUpdate[];
  end?: ConnectError;
}

// google.rpc.ErrorInfo, from the descriptors the common package generated (its common.proto imports it).
const ERROR_INFO = file_spire_mgmt_v1_common.dependencies
  .flatMap(file => file.messages)
  .find(message => message.typeName === 'google.rpc.ErrorInfo')!;

/** A spire-mgmt error as the service sends it: the code and a `google.rpc.ErrorInfo` detail with the reason. */
export function spireMgmtError(
  code: Code,
  message: string,
  reason: string,
): ConnectError {
  return new ConnectError(message, code, undefined, [
    {
      desc: ERROR_INFO,
      value: { reason, domain: SPIRE_MGMT_ERROR_DOMAIN },
    },
  ]);
}

/**
 * A test double standing in for the spire-mgmt service's `EntryRequestService.StreamEntryRequestUpdates`: a
 * real Connect implementation that serves scripted updates (real generated messages) to each call in turn and
 * records what each call asked for. Serve it through Connect's in-memory router transport ({@link transport})
 * or over HTTP with connect-node's gRPC-Web adapter ({@link routes}). The real service is used by the
 * real-stack test.
 */
export class EntryRequestStreamDouble {
  readonly calls: StreamCall[] = [];
  /** How many calls are being served now (a call ends when the caller leaves or its script ends). */
  open = 0;
  private readonly scripts: Script[] = [];
  private readonly waiting: Array<() => void> = [];

  /** The next call gets `updates`, then ends with `end`; without `end` it stays open until the caller leaves. */
  answerNextCall(updates: EntryRequestUpdate[], end?: ConnectError): void {
    this.scripts.push({ updates, end });
    this.waiting.splice(0).forEach(wake => wake());
  }

  /** The Connect routes of the double, for a server adapter. */
  readonly routes = (router: ConnectRouter) => {
    router.service(EntryRequestService, {
      streamEntryRequestUpdates: (request, context) => {
        this.calls.push({
          cursor: request.cursor,
          authorization: context.requestHeader.get('authorization'),
        });
        return this.serve(context.signal);
      },
    });
  };

  /** The double behind Connect's in-memory router transport. */
  readonly transport: Transport = createRouterTransport(this.routes);

  private async *serve(
    signal: AbortSignal,
  ): AsyncGenerator<EntryRequestUpdate> {
    this.open += 1;
    try {
      yield* this.play(signal);
    } finally {
      this.open -= 1;
    }
  }

  private async *play(signal: AbortSignal): AsyncGenerator<EntryRequestUpdate> {
    while (this.scripts.length === 0) {
      // No script yet: wait for one, or for the caller to leave.
      await new Promise<void>(resolve => {
        this.waiting.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal.aborted) {
        return;
      }
    }
    const script = this.scripts.shift()!;
    for (const update of script.updates) {
      yield update;
    }
    if (script.end) {
      throw script.end;
    }
    await new Promise<void>(resolve => {
      if (signal.aborted) {
        resolve();
      }
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
