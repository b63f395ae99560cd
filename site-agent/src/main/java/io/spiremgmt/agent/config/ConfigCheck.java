package io.spiremgmt.agent.config;

import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.spiffeid.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** The problems of an {@link AgentConfig}, each a sentence naming the property and the fix. */
public final class ConfigCheck {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,100}");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");

  private ConfigCheck() {}

  /** Every problem with {@code config}; empty when the agent may start. */
  public static List<String> problems(AgentConfig config) {
    List<String> problems = new ArrayList<>();
    try {
      UUID parsed = UUID.fromString(config.siteId());
      if (!parsed.toString().equals(config.siteId().toLowerCase())) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      problems.add(
          "agent.site-id (AGENT_SITE_ID) must be the site's UUID from SiteService, got '"
              + config.siteId()
              + "'");
    }
    config
        .instanceId()
        .filter(id -> id.isBlank() || id.length() > 128)
        .ifPresent(id -> problems.add("agent.instance-id must be 1 to 128 characters"));
    if (!ADDRESS.matcher(config.backend().address()).matches()) {
      problems.add(
          "agent.backend.address (AGENT_BACKEND_ADDRESS) must be host:port, got '"
              + config.backend().address()
              + "'");
    }
    config
        .backend()
        .tokenFile()
        .filter(f -> !Files.isReadable(f))
        .ifPresent(
            f ->
                problems.add(
                    "agent.backend.token-file (AGENT_BACKEND_TOKEN_FILE) "
                        + f
                        + " is not readable"));
    AgentConfig.Backend backend = config.backend();
    if (backend.spiffeSocket().isPresent() != backend.spiffeId().isPresent()) {
      problems.add(
          "agent.backend.spiffe-socket and agent.backend.spiffe-id (the backend's SPIFFE ID) go"
              + " together");
    }
    backend
        .spiffeId()
        .filter(id -> !spiffeId(id))
        .ifPresent(
            id -> problems.add("agent.backend.spiffe-id must be a SPIFFE ID, got '" + id + "'"));
    backend
        .svidSpiffeId()
        .filter(id -> !spiffeId(id))
        .ifPresent(
            id ->
                problems.add("agent.backend.svid-spiffe-id must be a SPIFFE ID, got '" + id + "'"));
    if (backend.spiffeSocket().isPresent() && backend.tokenFile().isPresent()) {
      problems.add(
          "agent.backend.token-file and agent.backend.spiffe-socket exclude each other: with mTLS"
              + " the backend knows the agent by its SVID, and a token would take precedence");
    }
    if (backend.tokenFile().isPresent()
        && backend.spiffeSocket().isEmpty()
        && !backend.tls()
        && !backend.allowPlaintextToken()) {
      problems.add(
          "agent.backend.token-file (AGENT_BACKEND_TOKEN_FILE) is set but the backend connection is"
              + " plaintext, so the token would cross the network readable: set"
              + " agent.backend.tls=true (AGENT_BACKEND_TLS), or in development only"
              + " agent.backend.allow-plaintext-token=true (AGENT_BACKEND_ALLOW_PLAINTEXT_TOKEN)");
    }
    if (backend.svidSpiffeId().isPresent() && backend.spiffeSocket().isEmpty()) {
      problems.add("agent.backend.svid-spiffe-id needs agent.backend.spiffe-socket");
    }
    if (!PREFIX.matcher(config.ownedPrefix()).matches()) {
      problems.add(
          "agent.owned-prefix must be 1 to 101 of [A-Za-z0-9._-] (SPIRE's entry id characters),"
              + " got '"
              + config.ownedPrefix()
              + "'");
    }
    AgentConfig.Spire spire = config.spire();
    if (spire.socket().isPresent() == spire.address().isPresent()) {
      problems.add(
          "set exactly one of agent.spire.socket (AGENT_SPIRE_SOCKET, the admin Unix socket) and"
              + " agent.spire.address (AGENT_SPIRE_ADDRESS, host:port with mutual TLS)");
    }
    if (spire.address().isPresent()) {
      if (!ADDRESS.matcher(spire.address().get()).matches()) {
        problems.add("agent.spire.address must be host:port, got '" + spire.address().get() + "'");
      }
      readable(problems, "agent.spire.svid-file", spire.svidFile());
      readable(problems, "agent.spire.key-file", spire.keyFile());
      readable(problems, "agent.spire.bundle-file", spire.bundleFile());
      if (spire.serverId().filter(ConfigCheck::spiffeId).isEmpty()) {
        problems.add(
            "agent.spire.server-id must be the SPIRE server's SPIFFE ID, e.g."
                + " spiffe://example.org/spire/server");
      }
    }
    int page = config.spire().pageSize();
    if (page < 1 || page > 10_000) {
      problems.add("agent.spire.page-size must be 1 to 10000, got " + page);
    }
    int batch = config.spire().batchSize();
    if (batch < 1 || batch > 1000) {
      problems.add("agent.spire.batch-size must be 1 to 1000, got " + batch);
    }
    positive(problems, "agent.spire.timeout", config.spire().timeout());
    positive(problems, "agent.full-reconcile-interval", config.fullReconcileInterval());
    positive(problems, "agent.retry-initial", config.retryInitial());
    positive(problems, "agent.retry-max", config.retryMax());
    if (config.pollWait().isNegative() || config.pollWait().compareTo(Duration.ofSeconds(60)) > 0) {
      problems.add("agent.poll-wait must be 0 to 60s, got " + config.pollWait());
    }
    if (config.retryMax().compareTo(config.retryInitial()) < 0) {
      problems.add("agent.retry-max must not be shorter than agent.retry-initial");
    }
    return problems;
  }

  private static void readable(List<String> problems, String name, Optional<Path> file) {
    if (file.isEmpty()) {
      problems.add(name + " is required with agent.spire.address");
    } else if (!Files.isReadable(file.get())) {
      problems.add(name + " " + file.get() + " is not readable");
    }
  }

  private static void positive(List<String> problems, String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      problems.add(name + " must be positive, got " + d);
    }
  }

  private static boolean spiffeId(String text) {
    try {
      SpiffeId.parse(text);
      return true;
    } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
      return false;
    }
  }
}
