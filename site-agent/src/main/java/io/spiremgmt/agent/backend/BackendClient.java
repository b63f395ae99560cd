package io.spiremgmt.agent.backend;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.spiremgmt.agent.config.AgentConfig;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ListSiteEntriesRequest;
import io.spiremgmt.api.v1.ListSiteEntriesResponse;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The agent's calls to the backend's SyncService over gRPC, each with a deadline: reports in chunks
 * the backend accepts, the site's entries page by page.
 */
public final class BackendClient implements SyncBackend, AutoCloseable {

  private static final long CALL_SECONDS = 30;

  private final ManagedChannel channel;
  private final SyncServiceGrpc.SyncServiceBlockingStub stub;
  private final String siteId;
  private final String agentId;

  private final BackendChannel connection;

  /**
   * A client of the backend {@code config} names, for {@code siteId} as instance {@code agentId}.
   */
  public BackendClient(AgentConfig.Backend config, String siteId, String agentId) {
    this(config, siteId, agentId, OpenTelemetry.noop());
  }

  /** As above, each call a client span of {@code telemetry} (see {@link BackendChannel#open}). */
  public BackendClient(
      AgentConfig.Backend config, String siteId, String agentId, OpenTelemetry telemetry) {
    Optional<Path> tokenFile = config.tokenFile();
    this.connection = BackendChannel.open(config, telemetry);
    this.channel = connection.channel();
    SyncServiceGrpc.SyncServiceBlockingStub s = SyncServiceGrpc.newBlockingStub(channel);
    this.stub = tokenFile.isPresent() ? s.withCallCredentials(new FileToken(tokenFile.get())) : s;
    this.siteId = siteId;
    this.agentId = agentId;
  }

  @Override
  public String agentId() {
    return agentId;
  }

  @Override
  public Lease acquireLease(String version, boolean spireReachable, String spireError) {
    return stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
        .acquireLease(
            AcquireLeaseRequest.newBuilder()
                .setSiteId(siteId)
                .setAgentId(agentId)
                .setAgentVersion(version)
                .setSpireReachable(spireReachable)
                .setSpireError(clip(spireError, 4096))
                .build());
  }

  @Override
  public PollEntriesResponse poll(Duration wait, Carried carried) {
    PollEntriesRequest.Builder request =
        PollEntriesRequest.newBuilder().setSiteId(siteId).setAgentId(agentId);
    request.getWaitBuilder().setSeconds(wait.toSeconds());
    if (carried != null) {
      request.setReportId(carried.reportId()).addAllResults(carried.results());
    }
    return stub.withDeadlineAfter(wait.toMillis() + CALL_SECONDS * 1000, TimeUnit.MILLISECONDS)
        .pollEntries(request.build());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Sent in chunks the backend accepts: chunk {@code i} carries the request id {@code
   * <reportId>-<i>}.
   */
  @Override
  public int report(String reportId, List<SyncResult> results) {
    int applied = 0;
    for (int from = 0; from < results.size(); from += MAX_RESULTS) {
      List<SyncResult> chunk = results.subList(from, Math.min(results.size(), from + MAX_RESULTS));
      String requestId = reportId + "-" + from / MAX_RESULTS;
      applied +=
          stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
              .reportSyncResult(
                  ReportSyncResultRequest.newBuilder()
                      .setSiteId(siteId)
                      .setAgentId(agentId)
                      .setRequestId(requestId)
                      .addAllResults(chunk)
                      .build())
              .getAppliedCount();
    }
    return applied;
  }

  @Override
  public List<SiteEntry> siteEntries(int pageSize) {
    List<SiteEntry> all = new ArrayList<>();
    String token = "";
    do {
      ListSiteEntriesResponse page =
          stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
              .listSiteEntries(
                  ListSiteEntriesRequest.newBuilder()
                      .setSiteId(siteId)
                      .setAgentId(agentId)
                      .setPageSize(pageSize)
                      .setPageToken(token)
                      .build());
      all.addAll(page.getEntriesList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Sent in parts of at most {@link ReconcileParts#MAX_PART_BYTES} of entries, in order; a part
   * that fails fails the call, and the caller sends every part again under the same id.
   */
  @Override
  public void reportReconcile(
      String reconcileId, List<UnmanagedEntry> unmanaged, long driftRepaired) {
    for (ReportReconcileRequest part :
        ReconcileParts.requests(siteId, agentId, reconcileId, unmanaged, driftRepaired)) {
      stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).reportReconcile(part);
    }
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connection.close();
  }

  /**
   * The agent's credential read from a file, re-read when the file changes (rotated by its issuer):
   * an API key (its secret starts with {@value #API_KEY_PREFIX}) goes in the {@code x-api-key}
   * metadata, where the backend reads API keys; anything else is a JWT, sent as {@code
   * authorization: Bearer}.
   */
  static final class FileToken extends CallCredentials {
    /** How the backend's API key secrets start (its {@code ApiKeySecrets.PREFIX}). */
    static final String API_KEY_PREFIX = "smk_";

    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> API_KEY =
        Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    private final Path file;
    private FileTime readAt;
    private String token;

    FileToken(Path file) {
      this.file = file;
    }

    private synchronized String token() throws IOException {
      FileTime modified = Files.getLastModifiedTime(file);
      if (token == null || !modified.equals(readAt)) {
        token = Files.readString(file, StandardCharsets.UTF_8).trim();
        readAt = modified;
      }
      return token;
    }

    /** The metadata that carries the file's current credential. */
    Metadata headers() throws IOException {
      String credential = token();
      Metadata headers = new Metadata();
      if (credential.startsWith(API_KEY_PREFIX)) {
        headers.put(API_KEY, credential);
      } else {
        headers.put(AUTHORIZATION, "Bearer " + credential);
      }
      return headers;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      try {
        applier.apply(headers());
      } catch (IOException e) {
        applier.fail(
            Status.UNAUTHENTICATED
                .withDescription("cannot read the token file " + file)
                .withCause(e));
      }
    }
  }
}
