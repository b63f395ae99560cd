package io.spiremgmt.backend.config;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import io.spiremgmt.backend.audit.AuditConfig;
import io.spiremgmt.backend.auth.AuthConfig;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.backend.request.RequestConfig;
import io.spiremgmt.backend.sync.DutiesConfig;
import io.spiremgmt.backend.sync.SyncConfig;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.Config;

/**
 * Refuses to start the production profile with a setting that would make it unsafe, naming every
 * one at once: no JWT issuer or JWKS (tokens of anyone, or of nobody, would be accepted), the
 * development issuer or an inline key (how the dev signing key is passed), no audience, and
 * plaintext gRPC (neither the SPIFFE Workload API nor a TLS certificate, or plain HTTP still served
 * beside TLS), a wildcard mTLS trust domain (refused in every profile by {@code MtlsPrincipals}
 * too), a statement timeout that is off, malformed or over 5 minutes, and sync, duty, audit and
 * credential re-check settings outside the range production can run with.
 */
@Singleton
public class ProductionReadinessCheck {

  void onStart(
      @Observes StartupEvent event,
      Config config,
      SyncConfig sync,
      DutiesConfig duties,
      AuditConfig audit,
      AuthConfig auth,
      RequestConfig requests) {
    if (!ConfigUtils.getProfiles().contains("prod")) {
      return;
    }
    List<String> problems = new ArrayList<>(problems(config));
    problems.addAll(settingProblems(sync, duties, audit));
    problems.addAll(recheckProblems(auth.recheckInterval()));
    problems.addAll(requestProblems(requests.expireAfter(), requests.sweepInterval()));
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "refusing to start in production: "
              + String.join("; ", problems)
              + " (see README, Configuration)");
    }
  }

  /** Every unsafe production setting in {@code config}, one sentence each. */
  public static List<String> problems(Config config) {
    List<String> problems = new ArrayList<>();
    Optional<String> issuer = value(config, "mp.jwt.verify.issuer");
    if (issuer.isEmpty()) {
      problems.add("MP_JWT_VERIFY_ISSUER (the token issuer) is not set");
    } else if (issuer.get().equals(TokenIssuer.DEV_ISSUER)) {
      problems.add(
          "MP_JWT_VERIFY_ISSUER is the development issuer "
              + TokenIssuer.DEV_ISSUER
              + ": production must trust its own issuer, not the dev signing key");
    }
    if (value(config, "mp.jwt.verify.publickey").isPresent()) {
      problems.add(
          "MP_JWT_VERIFY_PUBLICKEY (an inline key, as the dev signing key is passed) is set:"
              + " give the issuer's JWKS in MP_JWT_VERIFY_PUBLICKEY_LOCATION instead");
    } else if (value(config, "mp.jwt.verify.publickey.location").isEmpty()) {
      problems.add("MP_JWT_VERIFY_PUBLICKEY_LOCATION (the issuer's JWKS) is not set");
    }
    if (value(config, "mp.jwt.verify.audiences").isEmpty()) {
      problems.add("MP_JWT_VERIFY_AUDIENCES is empty: tokens for any service would be accepted");
    }
    if (value(config, "spire-mgmt.auth.mtls.trust-domains").orElse("").contains("*")) {
      problems.add(
          "SPIRE_MGMT_AUTH_MTLS_TRUST_DOMAINS holds a wildcard: name each trust domain whose SVIDs"
              + " are accepted");
    }
    value(config, STATEMENT_TIMEOUT)
        .flatMap(ProductionReadinessCheck::statementTimeoutProblem)
        .ifPresent(problems::add);
    // With the SPIFFE Workload API configured the one port serves TLS 1.3 only
    // (MtlsServerCustomizer).
    if (value(config, "spire-mgmt.auth.mtls.workload-api-socket").isPresent()) {
      return problems;
    }
    boolean certificate =
        value(config, "quarkus.http.ssl.certificate.files").isPresent()
            || value(config, "quarkus.http.ssl.certificate.key-store-file").isPresent()
            || value(config, "quarkus.http.tls-configuration-name").isPresent();
    if (!certificate) {
      problems.add(
          "no TLS certificate is configured, so gRPC would be plaintext: set"
              + " SPIRE_MGMT_AUTH_MTLS_WORKLOAD_API_SOCKET (mTLS with SPIFFE SVIDs) or"
              + " QUARKUS_HTTP_SSL_CERTIFICATE_FILES and QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES");
    }
    if (!value(config, "quarkus.http.insecure-requests").orElse("enabled").equals("disabled")) {
      problems.add(
          "plaintext HTTP/gRPC is still served beside TLS: set QUARKUS_HTTP_INSECURE_REQUESTS=disabled");
    }
    return problems;
  }

  /**
   * Every service setting outside the range production can run with, one sentence each: a lease so
   * short that a pause loses it or so long that a dead agent blocks its site, sync events kept too
   * briefly for a subscriber to resume, no StreamSyncUpdates stream allowed at all, gauges or seals
   * refreshed too rarely for the alerts, and a denial throttle that audits nothing.
   */
  public static List<String> settingProblems(
      SyncConfig sync, DutiesConfig duties, AuditConfig audit) {
    List<String> problems = new ArrayList<>();
    Duration lease = sync.leaseTtl();
    if (lease.compareTo(Duration.ofSeconds(5)) < 0 || lease.compareTo(Duration.ofMinutes(10)) > 0) {
      problems.add(
          "SPIRE_MGMT_SYNC_LEASE_TTL is "
              + lease
              + ": keep it between 5 s (a pause would lose the lease) and 10 min (a dead agent"
              + " would hold its site that long)");
    }
    if (sync.eventRetention().compareTo(Duration.ofHours(1)) < 0) {
      problems.add(
          "SPIRE_MGMT_SYNC_EVENT_RETENTION is "
              + sync.eventRetention()
              + ": keep sync events at least 1 h so a StreamSyncUpdates subscriber can resume");
    }
    if (sync.maxStreamsPerCaller() < 1) {
      problems.add(
          "SPIRE_MGMT_SYNC_MAX_STREAMS_PER_CALLER is "
              + sync.maxStreamsPerCaller()
              + ": it must be at least 1, or every StreamSyncUpdates call is refused");
    }
    requireAtMostAMinute(
        problems,
        "SPIRE_MGMT_DUTIES_INTERVAL",
        duties.interval(),
        "the gauges the alerts read must refresh at least once a minute");
    requireAtMostAMinute(
        problems,
        "SPIRE_MGMT_AUDIT_SEAL_INTERVAL",
        audit.sealInterval(),
        "seal the audit chain at least once a minute");
    if (audit.denialLimit() < 1) {
      problems.add("SPIRE_MGMT_AUDIT_DENIAL_LIMIT must be at least 1: denials must be audited");
    }
    return problems;
  }

  /**
   * A re-check interval of long calls (streams, long polls) that production cannot run with: under
   * a second (an API key's stream would query the database continually) or over a minute (a revoked
   * key would keep its streams that long).
   */
  public static List<String> recheckProblems(Duration interval) {
    if (interval.compareTo(Duration.ofSeconds(1)) < 0
        || interval.compareTo(Duration.ofMinutes(1)) > 0) {
      return List.of(
          "SPIRE_MGMT_AUTH_RECHECK_INTERVAL is "
              + interval
              + ": keep it between 1 s (each open stream or poll of an API key reads the database"
              + " this often) and 1 min (a revoked credential keeps its streams and polls that"
              + " long)");
    }
    return List.of();
  }

  /**
   * Entry request settings production cannot run with: requests expiring within an hour (before
   * approvers can react) or after more than 90 days (a forgotten request could be approved against
   * a long-changed world), or a sweep slower than a minute or faster than a second.
   */
  public static List<String> requestProblems(Duration expireAfter, Duration sweepInterval) {
    List<String> problems = new ArrayList<>();
    if (expireAfter.compareTo(Duration.ofHours(1)) < 0
        || expireAfter.compareTo(Duration.ofDays(90)) > 0) {
      problems.add(
          "SPIRE_MGMT_REQUESTS_EXPIRE_AFTER is "
              + expireAfter
              + ": keep it between 1 h (approvers need time to decide) and 90 days (an old"
              + " request would be applied to a world that has moved on)");
    }
    if (sweepInterval.compareTo(Duration.ofSeconds(1)) < 0
        || sweepInterval.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add(
          "SPIRE_MGMT_REQUESTS_SWEEP_INTERVAL is "
              + sweepInterval
              + ": keep it between 1 s and 1 min (expired requests end and the request gauges"
              + " refresh at this pace)");
    }
    return problems;
  }

  private static void requireAtMostAMinute(
      List<String> problems, String setting, Duration value, String why) {
    if (value.isNegative() || value.isZero() || value.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add(setting + " is " + value + ": " + why);
    }
  }

  private static final String STATEMENT_TIMEOUT = "spire-mgmt.db.statement-timeout";
  private static final Pattern POSTGRES_DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|min)");

  /**
   * A statement timeout PostgreSQL would refuse (every connection would fail), that is off, or that
   * lets a stuck scan hold a pool connection for more than 5 minutes.
   */
  static Optional<String> statementTimeoutProblem(String value) {
    Matcher m = POSTGRES_DURATION.matcher(value.trim());
    if (!m.matches()) {
      return Optional.of(
          "SPIRE_MGMT_DB_STATEMENT_TIMEOUT is '"
              + value
              + "': give it in PostgreSQL's form with a unit, e.g. 10s, 500ms or 1min");
    }
    long amount = Long.parseLong(m.group(1));
    Duration timeout =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          default -> Duration.ofMinutes(amount);
        };
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0
        || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
      return Optional.of(
          "SPIRE_MGMT_DB_STATEMENT_TIMEOUT is "
              + value
              + ": keep it between 1s (lists would be cut short) and 5min (a stuck scan would hold"
              + " a pool connection that long)");
    }
    return Optional.empty();
  }

  private static Optional<String> value(Config config, String key) {
    return config.getOptionalValue(key, String.class).filter(v -> !v.isBlank());
  }
}
