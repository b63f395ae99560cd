package io.spiremgmt.backend.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client that knows the API only through server reflection, as grpcurl does, can read the
 * ErrorInfo in a failed call's status details.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ServerReflectionTest {

  @Test
  void reflectionServesTheErrorInfoTypeSoAClientCanDecodeAFailedCallsDetail() throws Exception {
    // Given: a failed call, and the type of its one status detail
    StatusRuntimeException failure =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                Api.entries(Api.adminToken("reflection-test"))
                    .getEntry(GetEntryRequest.newBuilder().setId("nope").build()));
    Status status = StatusProto.fromThrowable(failure);
    assertThat(status.getDetailsList()).hasSize(1);
    Any detail = status.getDetails(0);
    String typeName = detail.getTypeUrl().substring(detail.getTypeUrl().lastIndexOf('/') + 1);

    // When: the client asks server reflection for the file that defines that type
    ServerReflectionResponse answer = fileContainingSymbol(typeName);

    // Then: it is error_details.proto, with its imports, and it decodes the detail
    assertThat(typeName).isEqualTo("google.rpc.ErrorInfo");
    assertThat(answer.hasErrorResponse()).as(answer.getErrorResponse().toString()).isFalse();
    List<FileDescriptorProto> files = files(answer);
    assertThat(files.get(0).getName()).isEqualTo("google/rpc/error_details.proto");
    Descriptor errorInfo = build(files).findMessageTypeByName("ErrorInfo");
    DynamicMessage decoded = DynamicMessage.parseFrom(errorInfo, detail.getValue());
    assertThat(decoded.getField(errorInfo.findFieldByName("reason"))).isEqualTo("INVALID_ID");
    assertThat(decoded.getField(errorInfo.findFieldByName("domain"))).isEqualTo("spire-mgmt.io");
  }

  /** One request on the v1 reflection stream (grpcurl's first choice) and its answer. */
  private static ServerReflectionResponse fileContainingSymbol(String symbol) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(Api.channel())
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse response) {
                    answer.complete(response);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    answer.completeExceptionally(new AssertionError("the stream ended unanswered"));
                  }
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol(symbol).build());
    requests.onCompleted();
    return answer.get(30, TimeUnit.SECONDS);
  }

  private static List<FileDescriptorProto> files(ServerReflectionResponse answer)
      throws InvalidProtocolBufferException {
    List<ByteString> raw = answer.getFileDescriptorResponse().getFileDescriptorProtoList();
    List<FileDescriptorProto> files = new ArrayList<>();
    for (ByteString bytes : raw) {
      files.add(FileDescriptorProto.parseFrom(bytes));
    }
    return files;
  }

  /** The first file, built from the answer alone: every import it needs must be in the answer. */
  private static FileDescriptor build(List<FileDescriptorProto> files)
      throws DescriptorValidationException {
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    files.forEach(f -> byName.put(f.getName(), f));
    return build(files.get(0).getName(), byName, new HashMap<>());
  }

  private static FileDescriptor build(
      String name, Map<String, FileDescriptorProto> byName, Map<String, FileDescriptor> built)
      throws DescriptorValidationException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = byName.get(name);
    assertThat(proto).as("the answer carries " + name).isNotNull();
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), byName, built);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    built.put(name, file);
    return file;
  }
}
