package io.spiremgmt.backend.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hash chain in isolation: every kind of tampering is the first break the verifier reports. */
class AuditChainTest {
  private record Sealed(long seq, byte[] prev, byte[] hash, AuditChain.Content content) {}

  private static List<Sealed> chain(int n) {
    List<Sealed> out = new ArrayList<>();
    byte[] prev = new byte[0];
    for (int i = 1; i <= n; i++) {
      AuditChain.Content c =
          new AuditChain.Content(
              100 + i,
              1_700_000_000_000_000L + i,
              "alice",
              "entry.create",
              "entry",
              "e" + i,
              "r" + i,
              null,
              "{\"revision\": 1}");
      byte[] hash = AuditChain.hash(prev, c);
      out.add(new Sealed(i, prev, hash, c));
      prev = hash;
    }
    return out;
  }

  private static AuditChain.Verifier verify(List<Sealed> events) {
    AuditChain.Verifier v = new AuditChain.Verifier();
    for (Sealed e : events) {
      if (!v.next(e.seq(), e.prev(), e.hash(), e.content())) {
        break;
      }
    }
    return v;
  }

  @Test
  void anIntactChainVerifies() {
    // Given
    List<Sealed> events = chain(5);

    // When
    AuditChain.Verifier v = verify(events);

    // Then
    assertThat(v.broken()).isNull();
    assertThat(v.verified()).isEqualTo(5);
  }

  @Test
  void changedContentBreaksAtThatEvent() {
    // Given: event 3 names another actor, its hash unchanged
    List<Sealed> events = chain(5);
    Sealed third = events.get(2);
    AuditChain.Content c = third.content();
    events.set(
        2,
        new Sealed(
            3,
            third.prev(),
            third.hash(),
            new AuditChain.Content(
                c.id(),
                c.occurredAtMicros(),
                "mallory",
                c.action(),
                c.targetType(),
                c.targetId(),
                c.requestId(),
                c.before(),
                c.after())));

    // When
    AuditChain.Verifier v = verify(events);

    // Then
    assertThat(v.verified()).isEqualTo(2);
    assertThat(v.broken().seq()).isEqualTo(3);
    assertThat(v.broken().eventId()).isEqualTo(103);
    assertThat(v.broken().reason()).startsWith("hash does not match");
  }

  @Test
  void aDeletedEventBreaksAtTheNextOne() {
    // Given: event 2 is gone
    List<Sealed> events = chain(5);
    events.remove(1);

    // When
    AuditChain.Verifier v = verify(events);

    // Then
    assertThat(v.broken().seq()).isEqualTo(3);
    assertThat(v.broken().reason()).contains("missing");
  }

  @Test
  void aRecomputedHashDoesNotHideAChangeFromTheNextLink() {
    // Given: an attacker rewrites event 2 and its hash, but not event 3's prev_hash
    List<Sealed> events = chain(4);
    Sealed second = events.get(1);
    AuditChain.Content forged =
        new AuditChain.Content(
            102,
            second.content().occurredAtMicros(),
            "alice",
            "entry.delete",
            "entry",
            "e2",
            "r2",
            null,
            null);
    events.set(1, new Sealed(2, second.prev(), AuditChain.hash(second.prev(), forged), forged));

    // When
    AuditChain.Verifier v = verify(events);

    // Then
    assertThat(v.broken().seq()).isEqualTo(3);
    assertThat(v.broken().reason()).startsWith("prev_hash does not match");
  }

  @Test
  void fieldsAreEncodedWithTheirLengthsSoBoundariesCannotShift() {
    // Given: the same characters split differently between fields, and an empty field against none
    AuditChain.Content a = new AuditChain.Content(1, 1, "ab", "c", "entry", "x", "r", null, null);
    AuditChain.Content b = new AuditChain.Content(1, 1, "a", "bc", "entry", "x", "r", null, null);
    AuditChain.Content empty = new AuditChain.Content(1, 1, "a", "bc", "entry", "x", "r", "", null);

    // When
    byte[] hashA = AuditChain.hash(new byte[0], a);
    byte[] hashB = AuditChain.hash(new byte[0], b);
    byte[] hashEmpty = AuditChain.hash(new byte[0], empty);

    // Then
    assertThat(hashA).isNotEqualTo(hashB);
    assertThat(hashB).isNotEqualTo(hashEmpty);
  }
}
