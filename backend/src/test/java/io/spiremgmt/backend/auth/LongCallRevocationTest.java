package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.CreateApiKeyResponse;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Metrics;
import io.spiremgmt.backend.support.StreamQueue;
import io.spiremgmt.backend.support.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Long calls follow their credentials: a StreamSyncUpdates stream and a PollEntries long poll end
 * within seconds (spire-mgmt.auth.recheck-interval, 5 s by default) once their API key is revoked,
 * their key's role no longer allows them, or their token expires, instead of running on until the
 * client hangs up.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class LongCallRevocationTest {
  private final String admin = Api.adminToken("admin@revocation");
  private final List<Context.CancellableContext> calls = new ArrayList<>();
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(admin, td);
  }

  @AfterEach
  void cancelCalls() {
    calls.forEach(c -> c.cancel(null));
  }

  @Test
  void aStreamOpenedWithAnApiKeyEndsUnauthenticatedSoonAfterTheKeyIsRevoked() throws Exception {
    // Given: an Operator key's stream, open and followed by the service
    CreateApiKeyResponse key = ApiKeys.createKey(admin, ApiKeys.key("Operator", List.of(), ""));
    BlockingQueue<Object> stream = openStream(ApiKeys.header(key.getSecret()));

    // When
    Instant revoked = Instant.now();
    ApiKeys.service(admin)
        .revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(key.getApiKey().getId()).build());

    // Then
    StatusRuntimeException ended = awaitEnd(stream);
    assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(Api.reason(ended)).isEqualTo("UNAUTHENTICATED");
    assertThat(ended.getStatus().getDescription()).contains("revoked");
    assertThat(java.time.Duration.between(revoked, Instant.now())).isLessThan(secs(15));
  }

  @Test
  void aStreamWhoseKeyNoLongerGrantsItsScopeEndsPermissionDenied() throws Exception {
    // Given: an Operator key's stream
    CreateApiKeyResponse key = ApiKeys.createKey(admin, ApiKeys.key("Operator", List.of(), ""));
    BlockingQueue<Object> stream = openStream(ApiKeys.header(key.getSecret()));

    // When: the key becomes a Developer's of one namespace behind the service's back
    DbProbe.execute(
        "UPDATE api_keys SET role = 'Developer', namespaces = '{payments}' WHERE id = '"
            + key.getApiKey().getId()
            + "'");

    // Then
    StatusRuntimeException ended = awaitEnd(stream);
    assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(Api.reason(ended)).isEqualTo("PERMISSION_DENIED");
  }

  @Test
  void aStreamEndsUnauthenticatedWhenItsTokenExpires() throws Exception {
    // Given: a token whose exp is 50 s past, still accepted for the 60 s of clock skew SmallRye JWT
    // allows by default, so for about 10 s more
    String token = expiredToken("viewer@expiring", 50);
    BlockingQueue<Object> stream = openStream(Api.bearer(token));
    Instant acceptedUntil = Instant.now().plus(secs(10));

    // When / Then: the stream ends once a new call with the token would be refused
    StatusRuntimeException ended = awaitEnd(stream);
    assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(ended.getStatus().getDescription()).contains("expired");
    assertThat(Instant.now()).isAfter(acceptedUntil.minus(secs(2)));
  }

  @Test
  void aLongPollByASiteAgentKeyEndsUnauthenticatedSoonAfterTheKeyIsRevoked() throws Exception {
    // Given: the site's agent, with a SiteAgent key, waits up to 60 s for work that never comes
    CreateApiKeyResponse key =
        ApiKeys.createKey(admin, ApiKeys.key("SiteAgent", List.of(), site.getId()));
    SyncServiceGrpc.SyncServiceBlockingStub agent = agent(key.getSecret());
    agent.acquireLease(
        AcquireLeaseRequest.newBuilder()
            .setSiteId(site.getId())
            .setAgentId(Fixtures.AGENT)
            .setAgentVersion("test")
            .setSpireReachable(true)
            .build());
    double waitingBefore = Metrics.gauge("sync_polls_waiting");
    CompletableFuture<PollEntriesResponse> poll = CompletableFuture.supplyAsync(() -> poll(agent));
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> Metrics.gauge("sync_polls_waiting") > waitingBefore);

    // When
    Instant revoked = Instant.now();
    ApiKeys.service(admin)
        .revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(key.getApiKey().getId()).build());

    // Then: it ends long before its 60 s wait
    StatusRuntimeException ended = pollFailure(poll);
    assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(ended.getStatus().getDescription()).contains("revoked");
    assertThat(java.time.Duration.between(revoked, Instant.now())).isLessThan(secs(15));
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> Metrics.gauge("sync_polls_waiting") <= waitingBefore);
  }

  @Test
  void aLongPollWhoseKeyLosesItsRoleEndsPermissionDenied() throws Exception {
    // Given: the site's agent waits with a SiteAgent key
    CreateApiKeyResponse key =
        ApiKeys.createKey(admin, ApiKeys.key("SiteAgent", List.of(), site.getId()));
    SyncServiceGrpc.SyncServiceBlockingStub agent = agent(key.getSecret());
    agent.acquireLease(
        AcquireLeaseRequest.newBuilder()
            .setSiteId(site.getId())
            .setAgentId(Fixtures.AGENT)
            .setAgentVersion("test")
            .setSpireReachable(true)
            .build());
    double waitingBefore = Metrics.gauge("sync_polls_waiting");
    CompletableFuture<PollEntriesResponse> poll = CompletableFuture.supplyAsync(() -> poll(agent));
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> Metrics.gauge("sync_polls_waiting") > waitingBefore);

    // When: the key becomes a Viewer's behind the service's back
    DbProbe.execute(
        "UPDATE api_keys SET role = 'Viewer', site_id = NULL WHERE id = '"
            + key.getApiKey().getId()
            + "'");

    // Then
    StatusRuntimeException ended = pollFailure(poll);
    assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(Api.reason(ended)).isEqualTo("ROLE_NOT_ALLOWED");
  }

  /** A Viewer's token issued two minutes ago whose exp passed {@code secondsAgo} seconds ago. */
  private static String expiredToken(String subject, long secondsAgo) {
    JwtClaims claims = new JwtClaims();
    long now = Instant.now().getEpochSecond();
    claims.setIssuer(TokenIssuer.DEV_ISSUER);
    claims.setAudience(TokenIssuer.AUDIENCE);
    claims.setSubject(subject);
    claims.setClaim("upn", subject);
    claims.setStringListClaim("groups", List.of("Viewer"));
    claims.setJwtId(Fixtures.unique());
    claims.setIssuedAt(NumericDate.fromSeconds(now - 120));
    claims.setExpirationTime(NumericDate.fromSeconds(now - secondsAgo));
    return TestDatabase.issuer().sign(claims);
  }

  private static java.time.Duration secs(long n) {
    return java.time.Duration.ofSeconds(n);
  }

  private static SyncServiceGrpc.SyncServiceBlockingStub agent(String secret) {
    return SyncServiceGrpc.newBlockingStub(Api.channel())
        .withDeadlineAfter(90, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(ApiKeys.header(secret)));
  }

  private PollEntriesResponse poll(SyncServiceGrpc.SyncServiceBlockingStub agent) {
    return agent.pollEntries(
        PollEntriesRequest.newBuilder()
            .setSiteId(site.getId())
            .setAgentId(Fixtures.AGENT)
            .setWait(Duration.newBuilder().setSeconds(60))
            .build());
  }

  private static StatusRuntimeException pollFailure(CompletableFuture<PollEntriesResponse> poll)
      throws Exception {
    try {
      PollEntriesResponse answer = poll.get(30, TimeUnit.SECONDS);
      throw new AssertionError("the poll was answered: " + answer);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        return s;
      }
      throw new CompletionException(e.getCause());
    }
  }

  /**
   * Opens a stream with {@code credentials} on a leased site and returns it once it has delivered
   * an update (so it is open and followed).
   */
  private BlockingQueue<Object> openStream(Metadata credentials) throws Exception {
    Fixtures.leased(admin, site);
    Context.CancellableContext ctx = Context.current().withCancellation();
    calls.add(ctx);
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    ctx.run(
        () ->
            SyncServiceGrpc.newStub(Api.channel())
                .withDeadlineAfter(90, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .streamSyncUpdates(
                    StreamSyncUpdatesRequest.newBuilder().addSiteIds(site.getId()).build(),
                    StreamQueue.into(queue)));
    // Writes until one shows on the stream: only then is it surely open and followed.
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .pollInterval(200, TimeUnit.MILLISECONDS)
        .until(
            () -> {
              if (!queue.isEmpty()) {
                return true;
              }
              Fixtures.create(
                  admin, Fixtures.entry(td, "/live-" + Fixtures.unique(), site.getId()));
              return false;
            });
    Object first = queue.peek();
    if (first instanceof Throwable t) {
      throw new AssertionError("the stream failed at once", t);
    }
    return queue;
  }

  /** The error the stream ends with (updates before it are skipped), within 30 s. */
  private static StatusRuntimeException awaitEnd(BlockingQueue<Object> stream) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Object next = stream.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (next == null) {
        throw new AssertionError("the stream was still open after 30 s");
      }
      if (next instanceof StatusRuntimeException e) {
        return e;
      }
      if (next instanceof Throwable t) {
        throw new AssertionError("the stream failed otherwise", t);
      }
    }
  }
}
