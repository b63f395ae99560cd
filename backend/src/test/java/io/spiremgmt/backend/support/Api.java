package io.spiremgmt.backend.support;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.spiremgmt.api.v1.AuditServiceGrpc;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Real gRPC clients of the service under test (port 8081), authenticated with test tokens. */
public final class Api {
  private static ManagedChannel channel;

  private Api() {}

  /** The shared plaintext channel to the service under test. */
  public static synchronized ManagedChannel channel() {
    if (channel == null) {
      channel = ManagedChannelBuilder.forAddress("localhost", 8081).usePlaintext().build();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> channel.shutdownNow()));
    }
    return channel;
  }

  /** A token for {@code subject} with the Admin role. */
  public static String adminToken(String subject) {
    return TestDatabase.issuer().mint(subject, List.of("Admin"), Duration.ofMinutes(30));
  }

  /** A token for {@code subject} with {@code roles} and extra claims. */
  public static String token(String subject, List<String> roles, Map<String, Object> claims) {
    return TestDatabase.issuer().mint(subject, roles, Duration.ofMinutes(30), claims);
  }

  /** A Developer's token for {@code namespaces}. */
  public static String developerToken(String subject, String... namespaces) {
    return token(subject, List.of("Developer"), Map.of("namespaces", List.of(namespaces)));
  }

  /** The metadata that carries {@code token}. */
  public static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return headers;
  }

  public static WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub entries(String token) {
    return auth(WorkloadEntryServiceGrpc.newBlockingStub(channel()), token);
  }

  public static SiteServiceGrpc.SiteServiceBlockingStub sites(String token) {
    return auth(SiteServiceGrpc.newBlockingStub(channel()), token);
  }

  public static EntryRequestServiceGrpc.EntryRequestServiceBlockingStub requests(String token) {
    return auth(EntryRequestServiceGrpc.newBlockingStub(channel()), token);
  }

  /** The asynchronous EntryRequestService stub (for streams). */
  public static EntryRequestServiceGrpc.EntryRequestServiceStub requestsAsync(String token) {
    return auth(EntryRequestServiceGrpc.newStub(channel()), token);
  }

  public static AuditServiceGrpc.AuditServiceBlockingStub audit(String token) {
    return auth(AuditServiceGrpc.newBlockingStub(channel()), token);
  }

  /** The asynchronous SyncService stub (for streams). */
  public static SyncServiceGrpc.SyncServiceStub syncAsync(String token) {
    return auth(SyncServiceGrpc.newStub(channel()), token);
  }

  public static SyncServiceGrpc.SyncServiceBlockingStub sync(String token) {
    return auth(SyncServiceGrpc.newBlockingStub(channel()), token);
  }

  private static <S extends AbstractStub<S>> S auth(S stub, String token) {
    S timed = stub.withDeadlineAfter(30, TimeUnit.SECONDS);
    if (token == null) {
      return timed;
    }
    return timed.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)));
  }

  /** The ErrorInfo reason of a failed call, or null. */
  public static String reason(Throwable t) {
    ErrorInfo info = errorInfo(t);
    return info == null ? null : info.getReason();
  }

  /** The ErrorInfo of a failed call, or null. */
  public static ErrorInfo errorInfo(Throwable t) {
    if (!(t instanceof StatusRuntimeException e)) {
      return null;
    }
    Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException ex) {
          throw new AssertionError(ex);
        }
      }
    }
    return null;
  }
}
