import { DescService } from '@bufbuild/protobuf';
import {
  Client,
  createClient,
  Interceptor,
  Transport,
} from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ApiKeyService } from './generated/spire/mgmt/v1/api_key_pb';
import { AuditService } from './generated/spire/mgmt/v1/audit_pb';
import { WorkloadEntryService } from './generated/spire/mgmt/v1/entry_pb';
import { EntryRequestService } from './generated/spire/mgmt/v1/entry_request_pb';
import { SiteService } from './generated/spire/mgmt/v1/site_pb';
import { SyncService } from './generated/spire/mgmt/v1/sync_pb';
import { toSpireMgmtError } from './errors';

/**
 * How to reach the spire-mgmt API over gRPC-Web.
 *
 * @public
 */
export interface SpireMgmtTransportOptions {
  /**
   * Where gRPC-Web is served: Envoy's listener, or the Backstage backend plugin's route that forwards to it
   * (e.g. `https://backstage.example.com/api/spire-mgmt/grpc`). RPC paths are appended to it.
   */
  baseUrl: string;
  /**
   * The fetch to call with, e.g. Backstage's `fetchApi.fetch` (adds the user's Backstage credentials). Default:
   * the global fetch (browsers and Node.js 18+).
   */
  fetch?: typeof globalThis.fetch;
  /**
   * A bearer token for the service (`authorization: Bearer <token>`), or a function that returns one per call.
   * Leave it out when the route in front of the service attaches the token, as the Backstage backend plugin does.
   */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** More Connect interceptors (they see Connect errors; the clients map them afterwards). */
  interceptors?: Interceptor[];
}

function bearerToken(
  token: NonNullable<SpireMgmtTransportOptions['token']>,
): Interceptor {
  return next => async req => {
    const value = typeof token === 'function' ? await token() : token;
    if (value) {
      req.header.set('authorization', `Bearer ${value}`);
    }
    return next(req);
  };
}

/**
 * A gRPC-Web transport to the spire-mgmt API (Connect's `createGrpcWebTransport`, which runs in browsers and in
 * Node.js with fetch). Use it with {@link createSpireMgmtClients}, whose calls fail with `@backstage/errors` types.
 *
 * @public
 */
export function createSpireMgmtTransport(
  options: SpireMgmtTransportOptions,
): Transport {
  return createGrpcWebTransport({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    // Binary protobuf: the service speaks no JSON (Connect's other format). Connect has no gRPC-Web text mode.
    useBinaryFormat: true,
    interceptors: [
      ...(options.token ? [bearerToken(options.token)] : []),
      ...(options.interceptors ?? []),
    ],
  });
}

/**
 * A client for each service of the spire-mgmt API.
 *
 * @public
 */
export interface SpireMgmtClients {
  entries: Client<typeof WorkloadEntryService>;
  entryRequests: Client<typeof EntryRequestService>;
  sites: Client<typeof SiteService>;
  sync: Client<typeof SyncService>;
  audit: Client<typeof AuditService>;
  apiKeys: Client<typeof ApiKeyService>;
}

/**
 * A Connect client of one spire-mgmt service whose calls fail with `@backstage/errors` types: every error of a
 * unary call, or of a server stream (even after messages arrived), goes through {@link toSpireMgmtError}. (A
 * Connect transport interceptor cannot do this: the transport turns whatever an interceptor throws back into a
 * `ConnectError`.)
 *
 * @public
 */
export function createSpireMgmtClient<T extends DescService>(
  service: T,
  transport: Transport,
): Client<T> {
  const client = createClient(service, transport) as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  const mapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = client[method.localName];
    if (method.methodKind === 'server_streaming') {
      mapped[method.localName] = (...args: unknown[]) =>
        mapStreamErrors(call(...args) as AsyncIterable<unknown>);
    } else {
      mapped[method.localName] = async (...args: unknown[]) => {
        try {
          return await call(...args);
        } catch (e) {
          throw toSpireMgmtError(e);
        }
      };
    }
  }
  return mapped as Client<T>;
}

async function* mapStreamErrors<M>(
  messages: AsyncIterable<M>,
): AsyncIterable<M> {
  try {
    yield* messages;
  } catch (e) {
    throw toSpireMgmtError(e);
  }
}

/**
 * The clients of every spire-mgmt service over one transport, their calls failing with `@backstage/errors`
 * types ({@link createSpireMgmtClient}): a {@link createSpireMgmtTransport}, or any Connect
 * transport (for example an in-memory router in tests).
 *
 * @public
 */
export function createSpireMgmtClients(transport: Transport): SpireMgmtClients {
  return {
    entries: createSpireMgmtClient(WorkloadEntryService, transport),
    entryRequests: createSpireMgmtClient(EntryRequestService, transport),
    sites: createSpireMgmtClient(SiteService, transport),
    sync: createSpireMgmtClient(SyncService, transport),
    audit: createSpireMgmtClient(AuditService, transport),
    apiKeys: createSpireMgmtClient(ApiKeyService, transport),
  };
}
