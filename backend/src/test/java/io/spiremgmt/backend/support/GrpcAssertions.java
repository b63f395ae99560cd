package io.spiremgmt.backend.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Assertions on failed gRPC calls: the status code and the ErrorInfo reason. */
public final class GrpcAssertions {
  private GrpcAssertions() {}

  /** The call fails with {@code code} and ErrorInfo {@code reason}. */
  public static void assertFails(Runnable call, Status.Code code, String reason) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
              assertThat(Api.reason(e)).as(e.getStatus().toString()).isEqualTo(reason);
            });
  }
}
