package io.spiremgmt.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.spiremgmt.agent.backend.BackendClient;
import io.spiremgmt.agent.config.AgentConfig;
import io.spiremgmt.agent.config.ConfigCheck;
import io.spiremgmt.agent.run.AgentMetrics;
import io.spiremgmt.agent.run.DryRun;
import io.spiremgmt.agent.run.LeaseFence;
import io.spiremgmt.agent.run.LeaseKeeper;
import io.spiremgmt.agent.run.MonotonicClock;
import io.spiremgmt.agent.run.Sleeper;
import io.spiremgmt.agent.run.SpireHealth;
import io.spiremgmt.agent.run.SyncLoop;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.sync.EntryTranslator;
import io.spiremgmt.agent.sync.SiteSync;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The site agent: {@code quarkus-run.jar} runs the sync loop until stopped; {@code --dry-run}
 * prints what a full reconcile would change and exits without changing anything.
 */
@QuarkusMain
public class AgentMain implements QuarkusApplication {
  @Inject AgentConfig config;
  @Inject MeterRegistry registry;
  @Inject OpenTelemetry telemetry;

  @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
  String version;

  @Override
  public int run(String... args) throws Exception {
    boolean dryRun = false;
    for (String arg : args) {
      switch (arg) {
        case "--dry-run" -> dryRun = true;
        case "--help", "-h" -> {
          System.out.println(
              "usage: site-agent [--dry-run]\n"
                  + "  --dry-run  print what a full reconcile would change in SPIRE, change nothing"
                  + " and exit\nConfiguration: agent.* properties or AGENT_* environment variables"
                  + " (see README).");
          return 0;
        }
        default -> {
          System.err.println("unknown argument " + arg + "; try --help");
          return 2;
        }
      }
    }
    List<String> problems = ConfigCheck.problems(config);
    if (!problems.isEmpty()) {
      System.err.println("site-agent: refusing to start:");
      problems.forEach(p -> System.err.println("  - " + p));
      return 2;
    }
    String instance = config.instanceId().orElseGet(AgentMain::defaultInstanceId);
    EntryTranslator translator = new EntryTranslator(config.ownedPrefix());
    Tracer tracer = telemetry.getTracer("spire-mgmt-site-agent");
    try (BackendClient backend =
            new BackendClient(config.backend(), config.siteId(), instance, telemetry);
        SpireEntryClient spire = spireClient(config.spire())) {
      spire.trace(tracer);
      if (dryRun) {
        return new DryRun(backend, new SiteSync(spire, translator, true), System.out)
            .run(config.spire().pageSize());
      }
      SpireHealth spireHealth = new SpireHealth();
      try (LeaseKeeper lease =
          new LeaseKeeper(backend, version, spireHealth, MonotonicClock.system())) {
        spire.fence(new LeaseFence(lease));
        AgentMetrics metrics = new AgentMetrics(registry, config.siteId(), lease, spireHealth);
        SyncLoop loop =
            new SyncLoop(
                    backend,
                    new SiteSync(spire, translator, false),
                    lease,
                    spireHealth,
                    metrics,
                    new SyncLoop.Settings(
                        config.pollWait(),
                        config.fullReconcileInterval(),
                        config.retryInitial(),
                        config.retryMax(),
                        Math.min(config.spire().pageSize(), 1000)),
                    MonotonicClock.system(),
                    Sleeper.system())
                .traced(tracer);
        Thread worker = new Thread(loop, "sync-loop");
        lease.start();
        worker.start();
        Quarkus.waitForExit();
        loop.stop();
        worker.interrupt();
        worker.join(10_000);
      }
    }
    return 0;
  }

  private static SpireEntryClient spireClient(AgentConfig.Spire c) {
    if (c.socket().isPresent()) {
      return SpireEntryClient.overUnixSocket(
          c.socket().get(), c.pageSize(), c.batchSize(), c.timeout().toSeconds());
    }
    return SpireEntryClient.overTls(
        c.address().orElseThrow(),
        c.svidFile().orElseThrow(),
        c.keyFile().orElseThrow(),
        c.bundleFile().orElseThrow(),
        c.serverId().orElseThrow(),
        c.pageSize(),
        c.batchSize(),
        c.timeout().toSeconds());
  }

  private static String defaultInstanceId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "agent";
    }
    byte[] random = new byte[3];
    ThreadLocalRandom.current().nextBytes(random);
    String id = host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    return id.length() > 128 ? id.substring(id.length() - 128) : id;
  }
}
