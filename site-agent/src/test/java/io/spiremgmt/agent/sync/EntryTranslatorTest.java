package io.spiremgmt.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Selector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Central entries become the SPIRE entries a site holds, field by field. */
class EntryTranslatorTest {
  private final EntryTranslator translator = new EntryTranslator("spire-mgmt");

  @Test
  void mapsEveryFieldAndOwnsTheEntryByItsId() {
    // Given
    Entry central =
        Entry.newBuilder()
            .setId("0190d5a4-7c1e-7a9b-8c3d-1234567890ab")
            .setSpiffeId("spiffe://td/payments/api")
            .setParentId("spiffe://td/spire/agent/k8s_psat/c1")
            .addSelectors(Selector.newBuilder().setType("k8s").setValue("ns:payments"))
            .addSelectors(Selector.newBuilder().setType("unix").setValue("uid:1000"))
            .setTtl(3600)
            .setJwtSvidTtl(300)
            .addDnsNames("api.payments.svc")
            .addFederatesWith("partner.org")
            .setAdmin(true)
            .setDownstream(true)
            .setExpiryTime(Timestamp.newBuilder().setSeconds(1_900_000_000L).setNanos(5))
            .setHint("api")
            .setStoreSvid(true)
            .setRevision(7)
            .build();

    // When
    SpireEntry spire = translator.toSpire(central);

    // Then
    assertThat(spire)
        .isEqualTo(
            new SpireEntry(
                "spire-mgmt.0190d5a4-7c1e-7a9b-8c3d-1234567890ab",
                "spiffe://td/payments/api",
                "spiffe://td/spire/agent/k8s_psat/c1",
                List.of(
                    new SpireEntry.Selector("k8s", "ns:payments"),
                    new SpireEntry.Selector("unix", "uid:1000")),
                3600,
                300,
                List.of("api.payments.svc"),
                List.of("partner.org"),
                true,
                true,
                1_900_000_000L,
                "api",
                true,
                0));
    assertThat(translator.centralId(spire.id())).isEqualTo(central.getId());
  }

  @Test
  void aSelectorWhoseTypeHasAColonIsSplitAtItsFirstColonAsSpireWantsIt() {
    // Given: the same selector written two ways, and a type with two colons

    // When
    SpireEntry.Selector typeWithColon = EntryTranslator.spireSelector("k8s:ns", "payments");
    SpireEntry.Selector valueWithColon = EntryTranslator.spireSelector("k8s", "ns:payments");
    SpireEntry.Selector twoColons = EntryTranslator.spireSelector("k8s:pod-label:app", "web:v2");

    // Then
    assertThat(typeWithColon).isEqualTo(new SpireEntry.Selector("k8s", "ns:payments"));
    assertThat(valueWithColon).isEqualTo(new SpireEntry.Selector("k8s", "ns:payments"));
    assertThat(twoColons).isEqualTo(new SpireEntry.Selector("k8s", "pod-label:app:web:v2"));
  }

  @Test
  void anIdWithoutThePrefixAndDotIsNotOwned() {
    // Given: the translator owns ids starting "spire-mgmt."

    // When / Then
    assertThat(translator.centralId("spire-mgmtX0190")).isNull();
    assertThat(translator.centralId("other.0190")).isNull();
    assertThat(translator.centralId("hand-made")).isNull();
  }

  @Test
  void anEntryWithoutExpiryNeverExpiresInSpire() {
    // Given
    Entry central = Entry.newBuilder().setId("x").build();

    // When
    SpireEntry spire = translator.toSpire(central);

    // Then
    assertThat(spire.expiresAt()).isZero();
  }
}
