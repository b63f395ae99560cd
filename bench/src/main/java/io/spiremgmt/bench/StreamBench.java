package io.spiremgmt.bench;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * StreamSyncUpdates delivery latency: from the commit of a change of a site row (a JDBC transaction
 * that moves its target revision, so the sync event trigger logs it) to a subscriber of the real
 * backend receiving the update over real gRPC. One change at a time, first on an idle server, then
 * while another session holds a transaction open on an unrelated table. Run by {@code
 * bench/stream.sh}; prints p50/p99/max of each phase and how many changes were not delivered within
 * the wait.
 */
public final class StreamBench {
  private static final String TD = "stream-bench.example.org";
  private static final int HTTP_PORT = 18095;
  private static final long WAIT_MS = 2000;
  private static final int GIVE_UP_AFTER = 10;

  private StreamBench() {}

  public static void main(String[] args) throws Exception {
    int changes = Integer.parseInt(BenchSupport.arg(args, 0, "1000"));
    int warmUp = Integer.parseInt(BenchSupport.arg(args, 1, "300"));
    Path data = Path.of(".data/bench-stream").toAbsolutePath();
    Files.createDirectories(data);

    try (EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("pg"))) {
      Process backend = BenchSupport.startBackend(db, data, HTTP_PORT);
      try {
        String token = Files.readString(data.resolve("admin.token")).trim();
        ManagedChannel channel =
            ManagedChannelBuilder.forAddress("localhost", HTTP_PORT).usePlaintext().build();
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        var auth = MetadataUtils.newAttachHeadersInterceptor(headers);
        String run = Long.toString(System.currentTimeMillis(), 36);
        Site site =
            SiteServiceGrpc.newBlockingStub(channel)
                .withInterceptors(auth)
                .createSite(
                    CreateSiteRequest.newBuilder()
                        .setSite(Site.newBuilder().setName("stream-" + run).setTrustDomain(TD))
                        .build());
        Entry entry =
            WorkloadEntryServiceGrpc.newBlockingStub(channel)
                .withInterceptors(auth)
                .createEntry(
                    CreateEntryRequest.newBuilder()
                        .setEntry(
                            Entry.newBuilder()
                                .setSpiffeId("spiffe://" + TD + "/streamed/" + run)
                                .setParentId("spiffe://" + TD + "/spire/agent/k8s_psat/node-1")
                                .addSelectors(
                                    Selector.newBuilder().setType("k8s:ns").setValue("bench"))
                                .addSiteIds(site.getId()))
                        .build());

        BlockingQueue<SyncUpdate> received = new LinkedBlockingQueue<>();
        BlockingQueue<Long> receivedAt = new LinkedBlockingQueue<>();
        Context.CancellableContext stream = Context.current().withCancellation();
        stream.run(
            () ->
                SyncServiceGrpc.newStub(channel)
                    .withInterceptors(auth)
                    .streamSyncUpdates(
                        StreamSyncUpdatesRequest.newBuilder().addSiteIds(site.getId()).build(),
                        new StreamObserver<>() {
                          @Override
                          public void onNext(SyncUpdate u) {
                            receivedAt.add(System.nanoTime());
                            received.add(u);
                          }

                          @Override
                          public void onError(Throwable t) {
                            if (!stream.isCancelled()) {
                              System.err.println("stream failed: " + t);
                            }
                          }

                          @Override
                          public void onCompleted() {}
                        }));
        // The entry's PENDING event: the stream is followed once it arrives.
        received.poll(30, TimeUnit.SECONDS);
        receivedAt.clear();

        try (Connection writer = BenchSupport.connect(db);
            Connection unrelated = BenchSupport.connect(db)) {
          writer.setAutoCommit(false);
          try (Statement st = unrelated.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_unrelated (id bigint, at timestamptz)");
          }
          long[] revision = {1000};
          Changer changer =
              new Changer(writer, UUID.fromString(entry.getId()), UUID.fromString(site.getId()));
          measure(changer, received, receivedAt, revision, warmUp);
          System.out.printf(
              Locale.ROOT,
              "%n== StreamSyncUpdates delivery, commit -> subscriber, %d changes one at a time"
                  + " (load average %s) ==%n",
              changes,
              BenchSupport.loadAverage());
          changer.commits().clear();
          report("idle server", measure(changer, received, receivedAt, revision, changes));
          BenchSupport.report("  of which the COMMIT itself", changer.commits(), 1);
          changer.commits().clear();

          unrelated.setAutoCommit(false);
          try (Statement st = unrelated.createStatement()) {
            st.executeQuery("SELECT pg_current_xact_id()").close();
            st.executeUpdate("INSERT INTO bench_unrelated VALUES (1, now())");
          }
          report(
              "unrelated transaction open",
              measure(changer, received, receivedAt, revision, changes));
          BenchSupport.report("  of which the COMMIT itself", changer.commits(), 1);
          unrelated.rollback();
        }
        stream.cancel(null);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } finally {
        BenchSupport.stop(backend);
      }
    }
  }

  /**
   * Commits one change of the entry's site row at a time, its target revision the next one; keeps
   * how long each COMMIT took.
   */
  private record Changer(Connection writer, UUID entry, UUID site, List<Long> commits) {
    Changer(Connection writer, UUID entry, UUID site) {
      this(writer, entry, site, new ArrayList<>());
    }

    long commit(long revision) throws Exception {
      try (PreparedStatement ps =
          writer.prepareStatement(
              "UPDATE workload_entry_sites SET target_revision = ?"
                  + " WHERE workload_entry_id = ? AND site_id = ?")) {
        ps.setLong(1, revision);
        ps.setObject(2, entry);
        ps.setObject(3, site);
        ps.executeUpdate();
      }
      long t0 = System.nanoTime();
      writer.commit();
      commits.add(System.nanoTime() - t0);
      return t0;
    }
  }

  /**
   * Latencies (nanoseconds) of {@code n} changes; -1 for one not delivered within the wait. Stops
   * early after {@value #GIVE_UP_AFTER} undelivered changes in a row (the stream is stuck).
   */
  private static List<Long> measure(
      Changer changer,
      BlockingQueue<SyncUpdate> received,
      BlockingQueue<Long> receivedAt,
      long[] revision,
      int n)
      throws Exception {
    List<Long> out = new ArrayList<>();
    int undelivered = 0;
    for (int i = 0; i < n && undelivered < GIVE_UP_AFTER; i++) {
      long want = ++revision[0];
      long t0 = changer.commit(want);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
      long latency = -1;
      while (System.nanoTime() < deadline) {
        SyncUpdate u = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (u == null) {
          break;
        }
        long at = receivedAt.take();
        if (u.getRevision() == want) {
          latency = at - t0;
          break;
        }
      }
      out.add(latency);
      undelivered = latency < 0 ? undelivered + 1 : 0;
      // Let the server go idle again between changes.
      Thread.sleep(5);
    }
    return out;
  }

  private static void report(String name, List<Long> nanos) {
    List<Long> delivered = nanos.stream().filter(x -> x >= 0).toList();
    long late = nanos.size() - delivered.size();
    if (delivered.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "%-34s none of %d delivered within %d ms (stopped)%n",
          name,
          nanos.size(),
          WAIT_MS);
      return;
    }
    BenchSupport.report(name, delivered, 1);
    if (late > 0) {
      System.out.printf(
          Locale.ROOT,
          "%-34s %d of %d not delivered within %d ms%n",
          "",
          late,
          nanos.size(),
          WAIT_MS);
    }
  }
}
