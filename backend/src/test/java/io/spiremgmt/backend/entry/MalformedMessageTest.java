package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.TestDatabase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bytes that are not a valid message of the RPC's request type: the caller's fault, never INTERNAL.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class MalformedMessageTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spire.mgmt.v1.WorkloadEntryService/GetEntry",
        "spire.mgmt.v1.SiteService/GetSite",
        "spire.mgmt.v1.AuditService/ListAuditEvents",
        "spire.mgmt.v1.SyncService/PollEntries"
      })
  void invalidUtf8InAStringFieldIsInvalidArgument(String method) {
    // Given: field 2 (a string in ListAuditEventsRequest, the first string field elsewhere is 1)
    // holding FF FE; field 1 of every request type here is a string or int32 and gets the same
    // bytes.
    byte[] request = {0x0A, 0x02, (byte) 0xFF, (byte) 0xFE, 0x12, 0x02, (byte) 0xFF, (byte) 0xFE};

    // When / Then
    assertThatThrownBy(() -> call(method, request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as(e.getStatus().toString())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("not a valid " + method + " message");
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"spire.mgmt.v1.WorkloadEntryService/GetEntry"})
  void truncatedMessageIsInvalidArgument(String method) {
    // Given: field 1 announces 10 bytes and carries 2
    byte[] request = {0x0A, 0x0A, 0x41, 0x42};

    // When / Then
    assertThatThrownBy(() -> call(method, request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  private static byte[] call(String method, byte[] request) {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("localhost", 8081).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + Api.adminToken("raw"));
      MethodDescriptor<byte[], byte[]> descriptor =
          MethodDescriptor.<byte[], byte[]>newBuilder()
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(method)
              .setRequestMarshaller(new Raw())
              .setResponseMarshaller(new Raw())
              .build();
      return ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
          descriptor,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          request);
    } finally {
      channel.shutdownNow();
    }
  }

  private static final class Raw implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
