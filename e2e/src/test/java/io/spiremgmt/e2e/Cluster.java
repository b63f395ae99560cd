package io.spiremgmt.e2e;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.api.v1.AuditServiceGrpc;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.SyncCounts;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executor;

/**
 * Everything real, on loopback: one PostgreSQL, backend replicas and site agents as packaged JVMs,
 * one spire-server per site. Sites A and B serve trust domain {@code prod.test} (two SPIRE servers
 * of one trust domain, e.g. two regions), site C serves {@code edge.test}: an entry may only be
 * assigned to sites of its own trust domain, as SPIRE only accepts SPIFFE IDs of its own.
 */
final class Cluster implements AutoCloseable {
  static final String PROD = "prod.test";
  static final String EDGE = "edge.test";
  static final String PREFIX = "spire-mgmt.";

  private final EmbeddedDatabase db;
  private final TokenIssuer issuer;
  private final String adminToken;
  private final List<JavaProcess> backends = new ArrayList<>();
  private final Map<String, SpireServer> spire = new LinkedHashMap<>();
  private final Map<String, SpireEntryClient> spireClients = new HashMap<>();
  private final Map<String, Site> sites = new LinkedHashMap<>();
  private final Map<String, Path> agentTokens = new HashMap<>();
  private final Map<String, JavaProcess> agents = new LinkedHashMap<>();
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();
  private final Map<String, String> backendExtra = new HashMap<>();

  /** The PostgreSQL of the SPIRE servers, or null when they use sqlite. */
  private final EmbeddedDatabase spireDb;

  private Cluster(EmbeddedDatabase db, TokenIssuer issuer, EmbeddedDatabase spireDb) {
    this.db = db;
    this.issuer = issuer;
    this.spireDb = spireDb;
    this.adminToken = issuer.mint("e2e-admin", Set.of("Admin"), Duration.ofHours(2));
  }

  /** Starts PostgreSQL, one backend and sites A, B (prod.test) and C (edge.test) with SPIRE. */
  static Cluster start() throws Exception {
    return start(Map.of("a", PROD, "b", PROD, "c", EDGE));
  }

  /**
   * Starts PostgreSQL, one backend, and one site with its SPIRE server per (name, trust domain).
   */
  static Cluster start(Map<String, String> siteTrustDomains) throws Exception {
    return start(siteTrustDomains, false);
  }

  /**
   * Like {@link #start(Map)}; with {@code spireOnPostgres} every SPIRE server keeps its entries in
   * a database of its own ({@code spire_<site>}) instead of sqlite, on a second PostgreSQL: as in
   * production, SPIRE's transactions must not share the backend's server (they would hold back the
   * backend's {@code pg_snapshot_xmin}, which StreamSyncUpdates waits for).
   */
  static Cluster start(Map<String, String> siteTrustDomains, boolean spireOnPostgres)
      throws Exception {
    return start(siteTrustDomains, spireOnPostgres, Map.of());
  }

  /** Like {@link #start(Map)}, every backend started with the {@code backendExtra} settings too. */
  static Cluster start(Map<String, String> siteTrustDomains, Map<String, String> backendExtra)
      throws Exception {
    return start(siteTrustDomains, false, backendExtra);
  }

  /** Like {@link #start(Map, boolean)}, every backend started with the {@code backendExtra} too. */
  static Cluster start(
      Map<String, String> siteTrustDomains,
      boolean spireOnPostgres,
      Map<String, String> backendExtra)
      throws Exception {
    EmbeddedDatabase db = EmbeddedDatabase.start(null);
    TokenIssuer issuer = new TokenIssuer(TokenIssuer.newKeyPair(), TokenIssuer.DEV_ISSUER);
    Cluster c = new Cluster(db, issuer, spireOnPostgres ? EmbeddedDatabase.start(null) : null);
    c.backendExtra.putAll(backendExtra);
    c.startBackend();
    for (Map.Entry<String, String> site : new TreeMap<>(siteTrustDomains).entrySet()) {
      c.addSite(site.getKey(), site.getValue());
    }
    return c;
  }

  /** Starts another backend replica on the same database; its index in {@link #backend(int)}. */
  int startBackend() throws Exception {
    return startBackend(Map.of());
  }

  /**
   * Like {@link #startBackend()}, with {@code extra} settings (e.g. the SVID mTLS mode's {@code
   * spire-mgmt.auth.mtls.*}).
   */
  int startBackend(Map<String, String> extra) throws Exception {
    Map<String, String> props = backendProperties();
    // Plaintext and a test issuer: not the production profile, whose guard refuses both (proven in
    // PackagedCliTest).
    props.put("quarkus.profile", "e2e");
    // Short leases so a failover happens within seconds.
    props.put("spire-mgmt.sync.lease-ttl", "3s");
    props.putAll(backendExtra);
    props.putAll(extra);
    backends.add(
        JavaProcess.start(
            "backend-" + backends.size(), Path.of(System.getProperty("e2e.backend.jar")), props));
    return backends.size() - 1;
  }

  private void addSite(String name, String trustDomain) throws Exception {
    SpireServer server = SpireServer.start(trustDomain, spireDatabase(name));
    spire.put(name, server);
    spireClients.put(name, SpireEntryClient.overUnixSocket(server.socket(), 500, 100, 30));
    Site site =
        sites(0)
            .createSite(
                CreateSiteRequest.newBuilder()
                    .setSite(
                        Site.newBuilder()
                            .setName("site-" + name)
                            .setRegion("region-" + name)
                            .setTrustDomain(trustDomain)
                            .setSpireServerAddr("unix://" + server.socket())
                            .setStatus(SiteStatus.SITE_STATUS_ACTIVE))
                    .build());
    sites.put(name, site);
    // The agent's token names its site: a SiteAgent may only make its own site's calls.
    Path token = Files.createTempFile("agent-" + name, ".token");
    Files.writeString(
        token,
        issuer.mint(
            "e2e-agent-" + name,
            Set.of("SiteAgent"),
            Duration.ofHours(2),
            Map.of("site_id", site.getId())));
    agentTokens.put(name, token);
  }

  /**
   * Creates {@code spire_<site>} on the SPIRE servers' PostgreSQL and returns its libpq connection
   * string; null (sqlite) unless the cluster keeps SPIRE on PostgreSQL.
   */
  private String spireDatabase(String site) throws SQLException {
    if (spireDb == null) {
      return null;
    }
    String name = "spire_" + site;
    onSpireDb("postgres", "CREATE DATABASE " + name);
    return "host=127.0.0.1 port=%d dbname=%s user=postgres password=postgres sslmode=disable"
        .formatted(spireDb.port(), name);
  }

  /**
   * {@code VACUUM ANALYZE} of every SPIRE database, so that a bulk delete leaves no dead rows for
   * the next phase to pay for; nothing to do when SPIRE runs on sqlite.
   */
  void vacuumSpire() throws SQLException {
    if (spireDb == null) {
      return;
    }
    for (String site : spire.keySet()) {
      onSpireDb("spire_" + site, "VACUUM ANALYZE");
    }
  }

  /**
   * Runs one statement (outside a transaction) in {@code database} of the SPIRE servers' server.
   */
  private void onSpireDb(String database, String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://localhost:" + spireDb.port() + "/" + database,
                "postgres",
                "postgres");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /**
   * Starts an agent instance for site {@code name}; extra {@code agent.*} settings may be given.
   */
  JavaProcess startAgent(String name, String instance, Map<String, String> extra) throws Exception {
    Map<String, String> props = agentProperties(name, instance);
    if (extra.containsKey("agent.spire.address")) {
      props.remove("agent.spire.socket");
    }
    props.putAll(extra);
    JavaProcess agent =
        JavaProcess.start("agent-" + instance, Path.of(System.getProperty("e2e.agent.jar")), props);
    agents.put(instance, agent);
    return agent;
  }

  /**
   * Settings that make an agent reach site {@code name}'s SPIRE server over TCP with mutual TLS,
   * presenting an admin X.509-SVID minted by that server's CA.
   */
  Map<String, String> tcpSpire(String name) throws Exception {
    SpireServer server = spire.get(name);
    Path svid = Files.createTempDirectory("svid-" + name);
    server.mint(server.adminId(), svid);
    return Map.of(
        "agent.spire.address", server.tcpAddress(),
        "agent.spire.svid-file", svid.resolve("svid.pem").toString(),
        "agent.spire.key-file", svid.resolve("key.pem").toString(),
        "agent.spire.bundle-file", svid.resolve("bundle.pem").toString(),
        "agent.spire.server-id", server.serverId());
  }

  /** The database and JWT settings a backend of this cluster starts with. */
  Map<String, String> backendProperties() {
    Map<String, String> props = new HashMap<>(db.datasourceConfig());
    props.put("mp.jwt.verify.publickey", issuer.publicKeyValue());
    props.put("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
    return props;
  }

  /** The settings of an agent instance for site {@code name} in this cluster. */
  Map<String, String> agentProperties(String name, String instance) {
    Map<String, String> props = new HashMap<>();
    props.put("agent.site-id", site(name).getId());
    props.put("agent.instance-id", instance);
    props.put("agent.backend.address", "localhost:" + backends.get(0).port());
    props.put("agent.backend.token-file", agentTokens.get(name).toString());
    // The test backends serve plaintext on loopback: a token may go there only with this setting.
    props.put("agent.backend.tls", "false");
    props.put("agent.backend.allow-plaintext-token", "true");
    props.put("agent.spire.socket", spire.get(name).socket().toString());
    props.put("agent.poll-wait", "10s");
    props.put("agent.full-reconcile-interval", "2s");
    props.put("agent.retry-max", "2s");
    return props;
  }

  /** Stops every agent (gracefully). */
  void stopAgents() throws InterruptedException {
    for (JavaProcess a : agents.values()) {
      a.close();
    }
    agents.clear();
  }

  /** The agent process started as {@code instance}. */
  JavaProcess agent(String instance) {
    return agents.get(instance);
  }

  Site site(String name) {
    return sites.get(name);
  }

  /** The port of the PostgreSQL server the SPIRE servers keep their entries in; 0 on sqlite. */
  int spireDbPort() {
    return spireDb == null ? 0 : spireDb.port();
  }

  SpireServer spire(String name) {
    return spire.get(name);
  }

  JavaProcess backend(int i) {
    return backends.get(i);
  }

  /** The entries the site's SPIRE server holds under the agent's prefix, by central id. */
  Map<String, SpireEntry> owned(String name) {
    Map<String, SpireEntry> out = new HashMap<>();
    for (SpireEntry e : spireClients.get(name).listAll()) {
      if (e.id().startsWith(PREFIX)) {
        out.put(e.id().substring(PREFIX.length()), e);
      }
    }
    return out;
  }

  /** Every entry the site's SPIRE server holds. */
  List<SpireEntry> allSpireEntries(String name) {
    return spireClients.get(name).listAll();
  }

  /** The SPIRE client of a site (admin socket). */
  SpireEntryClient spireClient(String name) {
    return spireClients.get(name);
  }

  /**
   * A token of this cluster's issuer for {@code subject} with {@code roles} and extra {@code
   * claims} (e.g. a Developer's {@code namespaces}), valid for two hours.
   */
  String token(String subject, Collection<String> roles, Map<String, Object> claims) {
    return issuer.mint(subject, roles, Duration.ofHours(2), claims);
  }

  // The stubs below call backend replica `backend`, as the Admin or with `token`.

  WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub entries(int backend) {
    return entries(backend, adminToken);
  }

  WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub entries(int backend, String token) {
    return WorkloadEntryServiceGrpc.newBlockingStub(channel(backend))
        .withCallCredentials(bearer(token));
  }

  SiteServiceGrpc.SiteServiceBlockingStub sites(int backend) {
    return SiteServiceGrpc.newBlockingStub(channel(backend))
        .withCallCredentials(bearer(adminToken));
  }

  SyncServiceGrpc.SyncServiceBlockingStub sync(int backend) {
    return sync(backend, adminToken);
  }

  /** The (entry, site) pairs per sync state over all sites, from backend replica 0. */
  SyncCounts overallSync() {
    return sync(0).getSyncStatus(GetSyncStatusRequest.getDefaultInstance()).getOverall();
  }

  SyncServiceGrpc.SyncServiceBlockingStub sync(int backend, String token) {
    return SyncServiceGrpc.newBlockingStub(channel(backend)).withCallCredentials(bearer(token));
  }

  SyncServiceGrpc.SyncServiceStub syncAsync(int backend) {
    return syncAsync(backend, adminToken);
  }

  SyncServiceGrpc.SyncServiceStub syncAsync(int backend, String token) {
    return SyncServiceGrpc.newStub(channel(backend)).withCallCredentials(bearer(token));
  }

  EntryRequestServiceGrpc.EntryRequestServiceBlockingStub requests(int backend) {
    return requests(backend, adminToken);
  }

  EntryRequestServiceGrpc.EntryRequestServiceBlockingStub requests(int backend, String token) {
    return EntryRequestServiceGrpc.newBlockingStub(channel(backend))
        .withCallCredentials(bearer(token));
  }

  EntryRequestServiceGrpc.EntryRequestServiceStub requestsAsync(int backend, String token) {
    return EntryRequestServiceGrpc.newStub(channel(backend)).withCallCredentials(bearer(token));
  }

  AuditServiceGrpc.AuditServiceBlockingStub audit(int backend) {
    return AuditServiceGrpc.newBlockingStub(channel(backend))
        .withCallCredentials(bearer(adminToken));
  }

  private synchronized ManagedChannel channel(int backend) {
    return channels.computeIfAbsent(
        backend,
        i ->
            NettyChannelBuilder.forAddress("localhost", backends.get(i).port())
                .usePlaintext()
                .build());
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata h = new Metadata();
        h.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(h);
      }
    };
  }

  /** A fresh id for test data. */
  static String unique() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public void close() throws Exception {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (JavaProcess a : agents.values()) {
      a.close();
    }
    for (JavaProcess b : backends) {
      b.close();
    }
    spireClients.values().forEach(SpireEntryClient::close);
    for (SpireServer s : spire.values()) {
      s.close();
    }
    db.close();
    if (spireDb != null) {
      spireDb.close();
    }
  }
}
