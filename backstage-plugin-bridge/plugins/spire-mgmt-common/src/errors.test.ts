import { create } from '@bufbuild/protobuf';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { createSpireMgmtClients } from './client';
import { SiteSchema, SiteService } from './generated/spire/mgmt/v1/site_pb';
import {
  SyncService,
  SyncUpdateSchema,
} from './generated/spire/mgmt/v1/sync_pb';
import {
  createSpireMgmtServiceError as serviceError,
  getSpireMgmtErrorDetails,
  SpireMgmtError,
  toSpireMgmtError,
} from './errors';
import { SPIRE_MGMT_ERROR_REASONS } from './errorReasons';

/**
 * In-memory clients whose SiteService.GetSite fails with `error` and whose StreamSyncUpdates sends one update
 * and then fails with `error`; the error crosses Connect's wire encoding, as a real client receives it.
 */
function clientsFailingWith(error: ConnectError) {
  const transport = createRouterTransport(router => {
    router.service(SiteService, {
      getSite() {
        throw error;
      },
      async listSites() {
        return { sites: [create(SiteSchema, { id: 'a', name: 'eu-1' })] };
      },
    });
    router.service(SyncService, {
      async *streamSyncUpdates() {
        yield create(SyncUpdateSchema, { entryId: 'e1', cursor: 'c1' });
        throw error;
      },
    });
  });
  return createSpireMgmtClients(transport);
}

describe('spire-mgmt errors', () => {
  it.each([
    [Code.InvalidArgument, 'INVALID_SPIFFE_ID', InputError, 'INVALID_ARGUMENT'],
    [Code.NotFound, 'SITE_NOT_FOUND', NotFoundError, 'NOT_FOUND'],
    [Code.AlreadyExists, 'SITE_NAME_TAKEN', ConflictError, 'ALREADY_EXISTS'],
    [Code.Aborted, 'STALE_REVISION', ConflictError, 'ABORTED'],
    [
      Code.FailedPrecondition,
      'SITE_INACTIVE',
      ConflictError,
      'FAILED_PRECONDITION',
    ],
    [
      Code.PermissionDenied,
      'OUTSIDE_SCOPE',
      NotAllowedError,
      'PERMISSION_DENIED',
    ],
    [
      Code.Unauthenticated,
      'UNAUTHENTICATED',
      AuthenticationError,
      'UNAUTHENTICATED',
    ],
    [
      Code.Unavailable,
      'DATABASE_UNAVAILABLE',
      ServiceUnavailableError,
      'UNAVAILABLE',
    ],
    [
      Code.DeadlineExceeded,
      'STATEMENT_TIMEOUT',
      SpireMgmtError,
      'DEADLINE_EXCEEDED',
    ],
    [
      Code.ResourceExhausted,
      'TOO_MANY_STREAMS',
      SpireMgmtError,
      'RESOURCE_EXHAUSTED',
    ],
    [Code.OutOfRange, 'CURSOR_EXPIRED', SpireMgmtError, 'OUT_OF_RANGE'],
  ])(
    'maps a unary call failing with code %s (%s) to %p keeping code and reason',
    async (code, reason, type, codeName) => {
      // Given
      const clients = clientsFailingWith(
        serviceError(code, reason, 'the service says why'),
      );

      // When
      const failure = await clients.sites.getSite({ id: 'x' }).then(
        () => undefined,
        (e: unknown) => e,
      );

      // Then
      expect(failure).toBeInstanceOf(type);
      expect((failure as Error).message).toBe('the service says why');
      expect(getSpireMgmtErrorDetails(failure)).toMatchObject({
        code: codeName,
        grpcCode: code,
        reason,
        domain: 'spire-mgmt.io',
        message: 'the service says why',
      });
      // the reason's code in the generated list is the one the service answers with
      expect(
        SPIRE_MGMT_ERROR_REASONS[
          reason as keyof typeof SPIRE_MGMT_ERROR_REASONS
        ],
      ).toBe(codeName);
    },
  );

  it('keeps the field at fault and the Connect error as the cause', async () => {
    // Given
    const clients = clientsFailingWith(
      serviceError(Code.InvalidArgument, 'INVALID_ID', "id 'x' is not a UUID", {
        field: 'id',
      }),
    );

    // When
    const failure = await clients.sites.getSite({ id: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Then
    expect(failure).toBeInstanceOf(InputError);
    expect(getSpireMgmtErrorDetails(failure)?.field).toBe('id');
    expect(getSpireMgmtErrorDetails(failure)?.metadata).toEqual({
      field: 'id',
    });
    const cause = (failure as InputError).cause;
    expect(cause).toBeInstanceOf(ConnectError);
    expect((cause as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it('keeps the correlation id of an internal error', async () => {
    // Given
    const clients = clientsFailingWith(
      serviceError(
        Code.Internal,
        'INTERNAL',
        'internal error; quote correlation id c-1 to the operators',
        {
          correlation_id: 'c-1',
        },
      ),
    );

    // When
    const failure = await clients.sites.getSite({ id: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Then
    expect(failure).toBeInstanceOf(SpireMgmtError);
    expect((failure as Error).name).toBe('SpireMgmtError');
    expect(getSpireMgmtErrorDetails(failure)).toMatchObject({
      code: 'INTERNAL',
      reason: 'INTERNAL',
      correlationId: 'c-1',
    });
  });

  it('maps the error that ends a server stream after messages arrived', async () => {
    // Given
    const clients = clientsFailingWith(
      serviceError(
        Code.Unauthenticated,
        'UNAUTHENTICATED',
        'the token expired',
      ),
    );
    const received: string[] = [];

    // When
    const failure = await (async () => {
      for await (const update of clients.sync.streamSyncUpdates({})) {
        received.push(update.entryId);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );

    // Then
    expect(received).toEqual(['e1']);
    expect(failure).toBeInstanceOf(AuthenticationError);
    expect(getSpireMgmtErrorDetails(failure)).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'UNAUTHENTICATED',
      message: 'the token expired',
    });
  });

  it('passes successful calls through unchanged', async () => {
    // Given
    const clients = clientsFailingWith(
      serviceError(Code.NotFound, 'SITE_NOT_FOUND', 'unused'),
    );

    // When
    const response = await clients.sites.listSites({});

    // Then
    expect(response.sites.map(s => s.name)).toEqual(['eu-1']);
  });

  it('maps an error without ErrorInfo by its code alone', () => {
    // Given
    const error = new ConnectError('upstream connect error', Code.Unavailable);

    // When
    const mapped = toSpireMgmtError(error);

    // Then
    expect(mapped).toBeInstanceOf(ServiceUnavailableError);
    expect(mapped.spireMgmt).toEqual({
      code: 'UNAVAILABLE',
      grpcCode: Code.Unavailable,
      reason: undefined,
      domain: undefined,
      field: undefined,
      correlationId: undefined,
      metadata: {},
      message: 'upstream connect error',
    });
  });

  it('returns an error mapped already as it is', () => {
    // Given
    const mapped = toSpireMgmtError(
      serviceError(Code.NotFound, 'ENTRY_NOT_FOUND', 'no entry e1'),
    );

    // When
    const again = toSpireMgmtError(mapped);

    // Then
    expect(again).toBe(mapped);
  });
});
