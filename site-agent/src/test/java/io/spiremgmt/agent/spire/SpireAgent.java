package io.spiremgmt.agent.spire;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code spire-agent} for tests: attested to a {@link SpireServer} with a join token, with
 * the unix workload attestor, serving the SPIFFE Workload API on its own socket.
 */
public final class SpireAgent implements AutoCloseable {
  private final Path dir;
  private final String nodeId;
  private final Process process;

  private SpireAgent(Path dir, String nodeId, Process process) {
    this.dir = dir;
    this.nodeId = nodeId;
    this.process = process;
  }

  /** Starts an agent of {@code server}; returns once its Workload API answers healthchecks. */
  public static SpireAgent start(SpireServer server) throws Exception {
    Path binary = SpireServer.install("agent");
    Path dir = Files.createTempDirectory("spire-agent");
    String token = server.joinToken();
    Path config = dir.resolve("agent.conf");
    Files.writeString(
        config,
        """
        agent {
          data_dir = "%s"
          log_level = "WARN"
          server_address = "127.0.0.1"
          server_port = "%d"
          socket_path = "%s"
          trust_domain = "%s"
          insecure_bootstrap = true
        }
        plugins {
          NodeAttestor "join_token" {
            plugin_data {}
          }
          KeyManager "memory" {
            plugin_data {}
          }
          WorkloadAttestor "unix" {
            plugin_data {}
          }
        }
        """
            .formatted(
                dir.resolve("data"),
                server.port(),
                dir.resolve("workload.sock"),
                server.trustDomain()));
    Process process =
        new ProcessBuilder(
                binary.toString(), "run", "-config", config.toString(), "-joinToken", token)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()))
            .start();
    SpireAgent agent =
        new SpireAgent(
            dir, "spiffe://" + server.trustDomain() + "/spire/agent/join_token/" + token, process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "spire-agent exited: " + Files.readString(dir.resolve("agent.log")));
      }
      if (Files.exists(agent.socket()) && agent.healthy(binary)) {
        return agent;
      }
      Thread.sleep(200);
    }
    agent.close();
    throw new IllegalStateException(
        "spire-agent did not become healthy: " + Files.readString(dir.resolve("agent.log")));
  }

  private boolean healthy(Path binary) throws Exception {
    Process p =
        new ProcessBuilder(binary.toString(), "healthcheck", "-socketPath", socket().toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.contains("healthy");
  }

  /** The node's SPIFFE ID: the parent of the workload entries it serves. */
  public String nodeId() {
    return nodeId;
  }

  /** The Workload API socket. */
  public Path socket() {
    return dir.resolve("workload.sock");
  }

  /** The Workload API address as java-spiffe takes it. */
  public String address() {
    return "unix:" + socket();
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
