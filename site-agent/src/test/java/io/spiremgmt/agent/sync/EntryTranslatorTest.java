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

    SpireEntry spire = translator.toSpire(central);

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
    assertThat(EntryTranslator.spireSelector("k8s:ns", "payments"))
        .isEqualTo(new SpireEntry.Selector("k8s", "ns:payments"));
    assertThat(EntryTranslator.spireSelector("k8s", "ns:payments"))
        .isEqualTo(new SpireEntry.Selector("k8s", "ns:payments"));
    assertThat(EntryTranslator.spireSelector("k8s:pod-label:app", "web:v2"))
        .isEqualTo(new SpireEntry.Selector("k8s", "pod-label:app:web:v2"));
  }

  @Test
  void anIdWithoutThePrefixAndDotIsNotOwned() {
    assertThat(translator.centralId("spire-mgmtX0190")).isNull();
    assertThat(translator.centralId("other.0190")).isNull();
    assertThat(translator.centralId("hand-made")).isNull();
  }

  @Test
  void anEntryWithoutExpiryNeverExpiresInSpire() {
    assertThat(translator.toSpire(Entry.newBuilder().setId("x").build()).expiresAt()).isZero();
  }
}
