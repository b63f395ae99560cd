package io.spiremgmt.backend.audit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The audit hash chain: {@code hash = SHA-256(prev_hash || content)}, where content is every stored
 * field of the event, each written with its length, so no two different events encode alike. The
 * first event's {@code prev_hash} is empty. {@link Verifier} checks sealed events in {@code seq}
 * order and reports the first broken link.
 */
public final class AuditChain {
  private AuditChain() {}

  /**
   * The stored fields of one event.
   *
   * @param id the event id
   * @param occurredAtMicros when it happened, in microseconds since the epoch
   * @param actor the actor
   * @param action the action
   * @param targetType the target type
   * @param targetId the target id
   * @param requestId the request id
   * @param before the before state as PostgreSQL prints the jsonb, or null
   * @param after the after state as PostgreSQL prints the jsonb, or null
   */
  public record Content(
      long id,
      long occurredAtMicros,
      String actor,
      String action,
      String targetType,
      String targetId,
      String requestId,
      String before,
      String after) {

    byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      field(out, Long.toString(id));
      field(out, Long.toString(occurredAtMicros));
      field(out, actor);
      field(out, action);
      field(out, targetType);
      field(out, targetId);
      field(out, requestId);
      field(out, before);
      field(out, after);
      return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String value) {
      if (value == null) {
        out.writeBytes("-1:".getBytes(StandardCharsets.US_ASCII));
        return;
      }
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      out.writeBytes((utf8.length + ":").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(utf8);
    }
  }

  /** The hash of an event whose predecessor's hash is {@code prev} (empty for the first). */
  public static byte[] hash(byte[] prev, Content content) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(prev);
      sha.update(content.encode());
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The first broken link of a chain.
   *
   * @param seq the position of the event where the chain breaks
   * @param eventId that event's id
   * @param reason what is wrong
   */
  public record Break(long seq, long eventId, String reason) {}

  /** Checks sealed events fed in {@code seq} order; remembers the first break. */
  public static final class Verifier {
    private byte[] prev = new byte[0];
    private long expectedSeq = 1;
    private long verified;
    private Break broken;

    /** Checks the next event; false once the chain is broken. */
    public boolean next(long seq, byte[] prevHash, byte[] hash, Content content) {
      if (broken != null) {
        return false;
      }
      if (seq != expectedSeq) {
        broken =
            new Break(seq, content.id(), "expected seq " + expectedSeq + ": an event is missing");
      } else if (!Arrays.equals(prevHash == null ? new byte[0] : prevHash, prev)) {
        broken = new Break(seq, content.id(), "prev_hash does not match the previous event's hash");
      } else if (!Arrays.equals(hash, hash(prev, content))) {
        broken =
            new Break(
                seq,
                content.id(),
                "hash does not match the event's content (expected "
                    + HexFormat.of().formatHex(hash(prev, content))
                    + ")");
      }
      if (broken != null) {
        return false;
      }
      prev = hash;
      expectedSeq++;
      verified++;
      return true;
    }

    /** Events verified before the first break. */
    public long verified() {
      return verified;
    }

    /** The first break, or null when every event fed so far is intact. */
    public Break broken() {
      return broken;
    }
  }
}
