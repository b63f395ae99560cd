package io.spiremgmt.backend.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiremgmt.backend.audit.AuditConfig;
import io.spiremgmt.backend.sync.DutiesConfig;
import io.spiremgmt.backend.sync.SyncConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The production check reads the typed sync, duty and audit settings. */
class SettingsCheckTest {

  @Test
  void acceptsTheDefaults() {
    // Given the defaults of every mapping
    // When
    List<String> problems =
        ProductionReadinessCheck.settingProblems(
            sync(Duration.ofSeconds(15), Duration.ofDays(7)),
            duties(Duration.ofSeconds(30)),
            audit(Duration.ofSeconds(1), 20));

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void namesEverySettingOutOfRangeAtOnce() {
    // Given a lease of 2 s, events kept 10 min, duties every 5 min, seals every 2 min, no denials
    // When
    List<String> problems =
        ProductionReadinessCheck.settingProblems(
            sync(Duration.ofSeconds(2), Duration.ofMinutes(10)),
            duties(Duration.ofMinutes(5)),
            audit(Duration.ofMinutes(2), 0));

    // Then
    assertThat(problems).hasSize(5);
    assertThat(String.join("\n", problems))
        .contains("SPIRE_MGMT_SYNC_LEASE_TTL is PT2S")
        .contains("SPIRE_MGMT_SYNC_EVENT_RETENTION is PT10M")
        .contains("SPIRE_MGMT_DUTIES_INTERVAL is PT5M")
        .contains("SPIRE_MGMT_AUDIT_SEAL_INTERVAL is PT2M")
        .contains("SPIRE_MGMT_AUDIT_DENIAL_LIMIT must be at least 1");
  }

  @Test
  void refusesALeaseLongerThanTenMinutes() {
    // Given
    SyncConfig sync = sync(Duration.ofMinutes(11), Duration.ofDays(7));

    // When
    List<String> problems =
        ProductionReadinessCheck.settingProblems(
            sync, duties(Duration.ofSeconds(30)), audit(Duration.ofSeconds(1), 20));

    // Then
    assertThat(problems).singleElement().asString().contains("SPIRE_MGMT_SYNC_LEASE_TTL is PT11M");
  }

  @Test
  void refusesASettingThatAllowsNoStream() {
    // Given no StreamSyncUpdates stream allowed per caller
    SyncConfig sync = sync(Duration.ofSeconds(15), Duration.ofDays(7), 0);

    // When
    List<String> problems =
        ProductionReadinessCheck.settingProblems(
            sync, duties(Duration.ofSeconds(30)), audit(Duration.ofSeconds(1), 20));

    // Then
    assertThat(problems)
        .singleElement()
        .asString()
        .contains("SPIRE_MGMT_SYNC_MAX_STREAMS_PER_CALLER is 0");
  }

  @Test
  void refusesACredentialRecheckIntervalOutsideOneSecondToOneMinute() {
    // Given the default, and intervals too short and too long
    // When
    List<String> byDefault = ProductionReadinessCheck.recheckProblems(Duration.ofSeconds(5));
    List<String> tooShort = ProductionReadinessCheck.recheckProblems(Duration.ofMillis(100));
    List<String> tooLong = ProductionReadinessCheck.recheckProblems(Duration.ofMinutes(5));

    // Then
    assertThat(byDefault).isEmpty();
    assertThat(tooShort)
        .singleElement()
        .asString()
        .contains("SPIRE_MGMT_AUTH_RECHECK_INTERVAL is PT0.1S");
    assertThat(tooLong)
        .singleElement()
        .asString()
        .contains("SPIRE_MGMT_AUTH_RECHECK_INTERVAL is PT5M");
  }

  private static SyncConfig sync(Duration lease, Duration retention) {
    return sync(lease, retention, 8);
  }

  private static SyncConfig sync(Duration lease, Duration retention, int maxStreams) {
    return new SyncConfig() {
      @Override
      public Duration leaseTtl() {
        return lease;
      }

      @Override
      public Duration eventRetention() {
        return retention;
      }

      @Override
      public int maxStreamsPerCaller() {
        return maxStreams;
      }
    };
  }

  private static DutiesConfig duties(Duration interval) {
    return () -> interval;
  }

  private static AuditConfig audit(Duration seal, int denialLimit) {
    return new AuditConfig() {
      @Override
      public Duration sealInterval() {
        return seal;
      }

      @Override
      public int denialLimit() {
        return denialLimit;
      }

      @Override
      public Duration denialWindow() {
        return Duration.ofSeconds(60);
      }
    };
  }

  @Test
  void refusesEntryRequestExpiryAndSweepOutsideTheirProductionRanges() {
    // Given the defaults, and each setting out of range
    // When
    List<String> byDefault =
        ProductionReadinessCheck.requestProblems(Duration.ofDays(7), Duration.ofSeconds(30));
    List<String> tooSoon =
        ProductionReadinessCheck.requestProblems(Duration.ofMinutes(5), Duration.ofSeconds(30));
    List<String> tooLate =
        ProductionReadinessCheck.requestProblems(Duration.ofDays(365), Duration.ofMinutes(5));

    // Then
    assertThat(byDefault).isEmpty();
    assertThat(tooSoon)
        .singleElement()
        .asString()
        .contains("SPIRE_MGMT_REQUESTS_EXPIRE_AFTER is PT5M");
    assertThat(tooLate)
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).contains("SPIRE_MGMT_REQUESTS_EXPIRE_AFTER is PT8760H"))
        .anySatisfy(p -> assertThat(p).contains("SPIRE_MGMT_REQUESTS_SWEEP_INTERVAL is PT5M"));
  }
}
