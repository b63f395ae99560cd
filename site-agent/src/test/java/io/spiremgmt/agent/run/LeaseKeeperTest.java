package io.spiremgmt.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiremgmt.api.v1.Lease;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The site lease as the agent keeps it: held until the TTL counted from when the renewal was sent,
 * renewed a third of the TTL apart, and a new generation each time it is taken again.
 */
class LeaseKeeperTest {
  private static final Duration TTL = Duration.ofSeconds(30);

  private final FakeTime time = new FakeTime();
  private final FakeBackend backend = new FakeBackend();
  private final SpireHealth spireHealth = new SpireHealth();
  private final LeaseKeeper lease = new LeaseKeeper(backend, "1.2.3", spireHealth, time);

  @AfterEach
  void close() {
    lease.close();
  }

  @Test
  void holdsTheLeaseUntilTheTtlCountedFromWhenTheRenewalWasSent() {
    // Given: a renewal that takes the backend 2 s to answer
    backend.answerLease(granted());
    backend.whileLeasing(() -> time.advance(Duration.ofSeconds(2)));

    // When
    lease.renew();

    // Then: held for 30 s from the request, not from the answer
    assertThat(lease.held()).isTrue();
    time.advance(Duration.ofSeconds(27).plusMillis(999));
    assertThat(lease.held()).isTrue();
    time.advance(Duration.ofMillis(1));
    assertThat(lease.held()).isFalse();
  }

  @Test
  void renewsAThirdOfTheTtlApart() {
    // Given
    backend.answerLease(granted());

    // When
    Duration next = lease.renew();

    // Then
    assertThat(next).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void whenTheBackendCannotBeReachedRetriesEverySecondAndHoldsOnlyUntilTheTtlRunsOut() {
    // Given: the lease, then the backend goes away
    backend.answerLease(granted());
    lease.renew();
    backend.down(true);

    // When
    time.advance(Duration.ofSeconds(20));
    Duration next = lease.renew();

    // Then
    assertThat(next).isEqualTo(Duration.ofSeconds(1));
    assertThat(lease.held()).isTrue();
    time.advance(Duration.ofSeconds(10));
    assertThat(lease.held()).isFalse();
  }

  @Test
  void eachTimeTheLeaseIsTakenAgainIsANewGeneration() {
    // Given
    backend.answerLease(granted());
    backend.answerLease(granted());
    backend.answerLease(Lease.newBuilder().setHeld(false).setHolderAgentId("agent-b").build());
    backend.answerLease(granted());

    // When: taken, renewed
    lease.renew();
    lease.renew();

    // Then: renewals do not count
    assertThat(lease.generation()).isEqualTo(1);

    // When: lost to another instance
    lease.renew();

    // Then
    assertThat(lease.held()).isFalse();
    assertThat(lease.holder()).isEqualTo("agent-b");
    assertThat(lease.generation()).isEqualTo(1);

    // When: taken again
    lease.renew();

    // Then
    assertThat(lease.held()).isTrue();
    assertThat(lease.holder()).isEqualTo("agent-a");
    assertThat(lease.generation()).isEqualTo(2);
  }

  @Test
  void tellsTheBackendItsVersionAndHowSpireAnsweredLast() {
    // Given
    spireHealth.failed(
        new StatusRuntimeException(Status.UNAVAILABLE.withDescription("connection refused")));
    backend.answerLease(granted());

    // When
    lease.renew();

    // Then
    assertThat(backend.leaseCalls())
        .containsExactly(
            new FakeBackend.LeaseCall(
                "1.2.3", false, "SPIRE server call failed: UNAVAILABLE: connection refused"));
  }

  @Test
  void awaitingTheLeaseReturnsAtOnceWhileItIsHeld() throws Exception {
    // Given
    backend.answerLease(granted());
    lease.renew();

    // When
    boolean held = lease.awaitHeld(Duration.ofSeconds(1));

    // Then
    assertThat(held).isTrue();
  }

  private static Lease granted() {
    Lease.Builder lease = Lease.newBuilder().setHeld(true).setHolderAgentId("agent-a");
    lease.getTtlBuilder().setSeconds(TTL.toSeconds());
    return lease.build();
  }
}
