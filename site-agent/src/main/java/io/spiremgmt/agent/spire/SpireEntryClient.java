package io.spiremgmt.agent.spire;

import com.google.protobuf.CodedOutputStream;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeTrustManager;
import io.spiffe.spiffeid.SpiffeId;
import io.spiremgmt.agent.tls.SvidFiles;
import io.spiremgmt.agent.wire.ByteBudget;
import io.spiremgmt.spire.api.server.entry.v1.BatchCreateEntryRequest;
import io.spiremgmt.spire.api.server.entry.v1.BatchDeleteEntryRequest;
import io.spiremgmt.spire.api.server.entry.v1.BatchUpdateEntryRequest;
import io.spiremgmt.spire.api.server.entry.v1.EntryGrpc;
import io.spiremgmt.spire.api.server.entry.v1.ListEntriesRequest;
import io.spiremgmt.spire.api.server.entry.v1.ListEntriesResponse;
import io.spiremgmt.spire.api.types.Entry;
import io.spiremgmt.spire.api.types.EntryMask;
import io.spiremgmt.spire.api.types.SPIFFEID;
import io.spiremgmt.spire.api.types.Selector;
import io.spiremgmt.spire.api.types.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * A small domain-typed client of a SPIRE server's Entry API: it pages through entries and sends
 * creates, updates and deletes in batches of a configured size and of at most {@link
 * #MAX_BATCH_BYTES}, returning one result per item in order.
 *
 * <p>SPIRE reads requests of at most 4 MiB (grpc-go's default, which SPIRE does not change) and
 * answers a larger one {@code RESOURCE_EXHAUSTED}. A batch refused so is split in halves and each
 * half sent on its own; a single entry refused so gets a result of its own ({@link
 * ItemResult#tooLarge()}) naming its size, while the rest of its batch is written. A listing page
 * larger than the agent reads is asked for again in halves of its size.
 */
public final class SpireEntryClient implements AutoCloseable {
  /**
   * Most bytes of entries (or entry ids) in one batch write, well under the 4 MiB a SPIRE server
   * reads; a batch always holds at least one item, however large.
   */
  public static final int MAX_BATCH_BYTES = 1024 * 1024;

  private static final int RESOURCE_EXHAUSTED = io.grpc.Status.Code.RESOURCE_EXHAUSTED.value();

  /** The gRPC service of SPIRE's Entry API, as spans name it. */
  static final String SERVICE = "spire.api.server.entry.v1.Entry";

  /** Most entry ids a span of a batch write names ({@link #ENTRY_IDS}). */
  static final int MAX_SPAN_IDS = 100;

  /** Span attribute: the SPIRE entry ids a batch write carries (at most {@link #MAX_SPAN_IDS}). */
  public static final AttributeKey<List<String>> ENTRY_IDS =
      AttributeKey.stringArrayKey("spire.entry_ids");

  private static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("spire.batch_size");
  private static final AttributeKey<Long> FAILED_ITEMS = AttributeKey.longKey("spire.failed_items");
  private static final AttributeKey<Long> GRPC_STATUS =
      AttributeKey.longKey("rpc.grpc.status_code");

  private final ManagedChannel channel;
  private final EpollEventLoopGroup group;
  private final EntryGrpc.EntryBlockingStub stub;
  private final int pageSize;
  private final int batchSize;
  private final int maxBatchBytes;
  private final long timeoutSeconds;
  private SslContext tls;
  private volatile WriteFence fence = WriteFence.NONE;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("spire-mgmt-site-agent");

  private SpireEntryClient(
      ManagedChannel channel,
      EpollEventLoopGroup group,
      int pageSize,
      int batchSize,
      int maxBatchBytes,
      long timeoutSeconds) {
    if (pageSize < 1 || batchSize < 1 || maxBatchBytes < 1) {
      throw new IllegalArgumentException("page and batch sizes must be positive");
    }
    this.channel = channel;
    this.group = group;
    this.stub = EntryGrpc.newBlockingStub(channel);
    this.pageSize = pageSize;
    this.batchSize = batchSize;
    this.maxBatchBytes = maxBatchBytes;
    this.timeoutSeconds = timeoutSeconds;
  }

  /**
   * A client of the SPIRE server listening on the admin Unix socket {@code socket} (callers there
   * are local admins).
   */
  public static SpireEntryClient overUnixSocket(
      Path socket, int pageSize, int batchSize, long timeoutSeconds) {
    return overUnixSocket(socket, pageSize, batchSize, MAX_BATCH_BYTES, timeoutSeconds);
  }

  /**
   * Like {@link #overUnixSocket(Path, int, int, long)} with batches of at most {@code
   * maxBatchBytes} (tests use a budget over SPIRE's limit to see how refused batches are split).
   */
  public static SpireEntryClient overUnixSocket(
      Path socket, int pageSize, int batchSize, int maxBatchBytes, long timeoutSeconds) {
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class)
            .usePlaintext()
            .build();
    return new SpireEntryClient(channel, group, pageSize, batchSize, maxBatchBytes, timeoutSeconds);
  }

  /**
   * A client of the SPIRE server's TCP endpoint ({@code host:port}) with mutual TLS: it presents
   * the X.509-SVID in {@code svidFile}/{@code keyFile} (whose SPIFFE ID must be in the server's
   * {@code admin_ids}, or have an admin entry) and accepts only a server whose chain verifies
   * against {@code bundleFile} and whose SPIFFE ID is {@code serverId}. The files are re-read when
   * they change; each new connection uses the current ones.
   */
  public static SpireEntryClient overTls(
      String address,
      Path svidFile,
      Path keyFile,
      Path bundleFile,
      String serverId,
      int pageSize,
      int batchSize,
      long timeoutSeconds) {
    SpiffeId server = SpiffeId.parse(serverId);
    try {
      SslContext tls =
          GrpcSslContexts.forClient()
              .keyManager(new SpiffeKeyManager(SvidFiles.svid(svidFile, keyFile)))
              .trustManager(
                  new SpiffeTrustManager(
                      SvidFiles.bundle(server.getTrustDomain(), bundleFile), () -> Set.of(server)))
              .protocols("TLSv1.3")
              // A resumed session would keep presenting the SVID of its first handshake: after a
              // rotation every new connection must do a full handshake with the current files.
              .sessionTimeout(1)
              .build();
      EpollEventLoopGroup group = new EpollEventLoopGroup(1);
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(address)
              .eventLoopGroup(group)
              .channelType(EpollSocketChannel.class)
              .sslContext(tls)
              .build();
      SpireEntryClient client =
          new SpireEntryClient(
              channel, group, pageSize, batchSize, MAX_BATCH_BYTES, timeoutSeconds);
      client.tls = tls;
      return client;
    } catch (SSLException e) {
      throw new IllegalStateException(
          "cannot set up TLS to the SPIRE server: " + e.getMessage(), e);
    }
  }

  /**
   * Drops the current connection, so the next call connects again (with the current SVID files).
   */
  public void reconnect() {
    if (tls != null) {
      SSLSessionContext sessions = tls.sessionContext();
      Collections.list(sessions.getIds())
          .forEach(
              id -> {
                SSLSession session = sessions.getSession(id);
                if (session != null) {
                  session.invalidate();
                }
              });
    }
    channel.enterIdle();
  }

  /**
   * The outcome of one item: a {@code google.rpc.Code} value, a message, and the entry or id SPIRE
   * returned.
   */
  public record ItemResult(int code, String message, SpireEntry entry, String id) {
    /** Whether the item succeeded. */
    public boolean ok() {
      return code == 0;
    }

    /**
     * Whether SPIRE refused the item alone as larger than it reads in one request; nothing was
     * written for it, and resending it cannot succeed.
     */
    public boolean tooLarge() {
      return code == RESOURCE_EXHAUSTED;
    }
  }

  /**
   * Every entry of the server, page by page; a page larger than the agent reads is asked for again
   * with half the page size (down to one entry).
   */
  public List<SpireEntry> listAll() {
    List<SpireEntry> all = new ArrayList<>();
    String token = "";
    int size = pageSize;
    while (true) {
      ListEntriesResponse page;
      try {
        ListEntriesRequest request =
            ListEntriesRequest.newBuilder().setPageSize(size).setPageToken(token).build();
        page = traced("ListEntries", null, () -> stub().listEntries(request));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode().value() != RESOURCE_EXHAUSTED || size == 1) {
          throw e;
        }
        size = Math.max(1, size / 2);
        continue;
      }
      page.getEntriesList().forEach(e -> all.add(fromProto(e)));
      token = page.getNextPageToken();
      if (token.isEmpty()) {
        break;
      }
    }
    return all;
  }

  /**
   * Asks {@code fence} before every batch written from now on; a lapsed fence stops the write
   * ({@link WriteFence.Lapsed}) before the batch is sent.
   */
  public void fence(WriteFence fence) {
    this.fence = fence;
  }

  /**
   * Makes every call to SPIRE from now on a client span of {@code tracer}, a child of the caller's
   * current span: {@code spire.api.server.entry.v1.Entry/<method>}, with the batch size, the entry
   * ids written and how many items SPIRE refused.
   */
  public void trace(Tracer tracer) {
    this.tracer = tracer;
  }

  /** Runs {@code call} (one RPC to SPIRE) in a client span named after {@code method}. */
  private <R> R traced(String method, List<String> ids, Supplier<R> call) {
    Span span =
        tracer
            .spanBuilder(SERVICE + "/" + method)
            .setSpanKind(SpanKind.CLIENT)
            .setAttribute("rpc.system", "grpc")
            .setAttribute("rpc.service", SERVICE)
            .setAttribute("rpc.method", method)
            .startSpan();
    if (ids != null) {
      span.setAttribute(BATCH_SIZE, (long) ids.size());
      span.setAttribute(ENTRY_IDS, ids.subList(0, Math.min(ids.size(), MAX_SPAN_IDS)));
    }
    try (Scope ignored = span.makeCurrent()) {
      R result = call.get();
      span.setAttribute(GRPC_STATUS, 0L);
      if (result instanceof List<?> items) {
        long failed = items.stream().filter(i -> i instanceof ItemResult r && !r.ok()).count();
        span.setAttribute(FAILED_ITEMS, failed);
      }
      return result;
    } catch (StatusRuntimeException e) {
      span.setAttribute(GRPC_STATUS, (long) e.getStatus().getCode().value());
      span.setStatus(StatusCode.ERROR, e.getStatus().getCode().name());
      throw e;
    } finally {
      span.end();
    }
  }

  /** Creates the entries (with their ids) in batches; one result per entry, in order. */
  public List<ItemResult> create(List<SpireEntry> entries) {
    return write(
        "BatchCreateEntry",
        entries.stream().map(SpireEntryClient::toProto).toList(),
        e -> CodedOutputStream.computeMessageSize(1, e),
        Entry::getId,
        batch ->
            writeStub()
                .batchCreateEntry(BatchCreateEntryRequest.newBuilder().addAllEntries(batch).build())
                .getResultsList()
                .stream()
                .map(r -> result(r.getStatus(), r.hasEntry() ? r.getEntry() : null))
                .toList());
  }

  /**
   * Writes only {@code fields} of the entries (by id) in batches; one result per entry, in order.
   * Other fields keep what SPIRE holds.
   */
  public List<ItemResult> update(List<SpireEntry> entries, Set<EntryField> fields) {
    if (fields.isEmpty()) {
      throw new IllegalArgumentException("an update must write at least one field");
    }
    EntryMask mask = mask(fields);
    return write(
        "BatchUpdateEntry",
        entries.stream().map(SpireEntryClient::toProto).toList(),
        e -> CodedOutputStream.computeMessageSize(1, e),
        Entry::getId,
        batch ->
            writeStub()
                .batchUpdateEntry(
                    BatchUpdateEntryRequest.newBuilder()
                        .setInputMask(mask)
                        .addAllEntries(batch)
                        .build())
                .getResultsList()
                .stream()
                .map(r -> result(r.getStatus(), r.hasEntry() ? r.getEntry() : null))
                .toList());
  }

  /** Deletes the entries with these ids in batches; one result per id, in order. */
  public List<ItemResult> delete(List<String> ids) {
    return write(
        "BatchDeleteEntry",
        ids,
        id -> CodedOutputStream.computeStringSize(1, id),
        id -> id,
        batch ->
            writeStub()
                .batchDeleteEntry(BatchDeleteEntryRequest.newBuilder().addAllIds(batch).build())
                .getResultsList()
                .stream()
                .map(
                    r ->
                        new ItemResult(
                            r.getStatus().getCode(), r.getStatus().getMessage(), null, r.getId()))
                .toList());
  }

  /**
   * Sends {@code items} in batches of at most {@code batchSize} items and {@code maxBatchBytes}
   * bytes ({@code size} of each), each through {@code call}; one result per item, in order.
   */
  private <T> List<ItemResult> write(
      String method,
      List<T> items,
      ToIntFunction<T> size,
      Function<T, String> id,
      Function<List<T>, List<ItemResult>> call) {
    List<ItemResult> results = new ArrayList<>();
    for (List<T> batch : ByteBudget.split(items, size, maxBatchBytes, batchSize)) {
      results.addAll(send(method, batch, size, id, call));
    }
    return results;
  }

  /**
   * Sends one batch; when SPIRE refuses it as too large, sends its halves instead, and an item
   * refused on its own gets a {@link ItemResult#tooLarge()} result naming its size.
   */
  private <T> List<ItemResult> send(
      String method,
      List<T> batch,
      ToIntFunction<T> size,
      Function<T, String> id,
      Function<List<T>, List<ItemResult>> call) {
    try {
      return traced(method, batch.stream().map(id).toList(), () -> call.apply(batch));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode().value() != RESOURCE_EXHAUSTED) {
        throw e;
      }
      if (batch.size() == 1) {
        T item = batch.get(0);
        return List.of(
            new ItemResult(
                RESOURCE_EXHAUSTED,
                "the entry is "
                    + size.applyAsInt(item)
                    + " bytes serialized, more than the SPIRE server accepts in one request ("
                    + e.getStatus().getDescription()
                    + ")",
                null,
                id.apply(item)));
      }
      int half = batch.size() / 2;
      List<ItemResult> results =
          new ArrayList<>(send(method, batch.subList(0, half), size, id, call));
      results.addAll(send(method, batch.subList(half, batch.size()), size, id, call));
      return results;
    }
  }

  static EntryMask mask(Set<EntryField> fields) {
    EntryMask.Builder m = EntryMask.newBuilder();
    for (EntryField field : fields) {
      switch (field) {
        case SPIFFE_ID -> m.setSpiffeId(true);
        case PARENT_ID -> m.setParentId(true);
        case SELECTORS -> m.setSelectors(true);
        case X509_SVID_TTL -> m.setX509SvidTtl(true);
        case JWT_SVID_TTL -> m.setJwtSvidTtl(true);
        case DNS_NAMES -> m.setDnsNames(true);
        case FEDERATES_WITH -> m.setFederatesWith(true);
        case ADMIN -> m.setAdmin(true);
        case DOWNSTREAM -> m.setDownstream(true);
        case EXPIRES_AT -> m.setExpiresAt(true);
        case HINT -> m.setHint(true);
        case STORE_SVID -> m.setStoreSvid(true);
      }
    }
    return m.build();
  }

  private static ItemResult result(Status status, Entry entry) {
    return new ItemResult(
        status.getCode(),
        status.getMessage(),
        entry == null ? null : fromProto(entry),
        entry == null ? null : entry.getId());
  }

  private EntryGrpc.EntryBlockingStub stub() {
    return stub.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS);
  }

  private EntryGrpc.EntryBlockingStub writeStub() {
    Duration deadline = fence.writeDeadline(Duration.ofSeconds(timeoutSeconds));
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  static Entry toProto(SpireEntry e) {
    Entry.Builder b =
        Entry.newBuilder()
            .setId(e.id())
            .setSpiffeId(spiffeId(e.spiffeId()))
            .setParentId(spiffeId(e.parentId()))
            .setX509SvidTtl(e.x509SvidTtl())
            .setJwtSvidTtl(e.jwtSvidTtl())
            .addAllDnsNames(e.dnsNames())
            .addAllFederatesWith(e.federatesWith())
            .setAdmin(e.admin())
            .setDownstream(e.downstream())
            .setExpiresAt(e.expiresAt())
            .setHint(e.hint())
            .setStoreSvid(e.storeSvid());
    e.selectors()
        .forEach(s -> b.addSelectors(Selector.newBuilder().setType(s.type()).setValue(s.value())));
    return b.build();
  }

  static SpireEntry fromProto(Entry e) {
    return new SpireEntry(
        e.getId(),
        spiffeId(e.getSpiffeId()),
        spiffeId(e.getParentId()),
        e.getSelectorsList().stream()
            .map(s -> new SpireEntry.Selector(s.getType(), s.getValue()))
            .toList(),
        e.getX509SvidTtl(),
        e.getJwtSvidTtl(),
        List.copyOf(e.getDnsNamesList()),
        List.copyOf(e.getFederatesWithList()),
        e.getAdmin(),
        e.getDownstream(),
        e.getExpiresAt(),
        e.getHint(),
        e.getStoreSvid(),
        e.getRevisionNumber());
  }

  /** SPIRE's split form of {@code spiffe://td/path}. */
  static SPIFFEID spiffeId(String id) {
    if (!id.startsWith("spiffe://")) {
      throw new IllegalArgumentException("not a SPIFFE ID: " + id);
    }
    String rest = id.substring("spiffe://".length());
    int slash = rest.indexOf('/');
    return SPIFFEID
        .newBuilder()
        .setTrustDomain(slash < 0 ? rest : rest.substring(0, slash))
        .setPath(slash < 0 ? "" : rest.substring(slash))
        .build();
  }

  static String spiffeId(SPIFFEID id) {
    return "spiffe://" + id.getTrustDomain() + id.getPath();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
