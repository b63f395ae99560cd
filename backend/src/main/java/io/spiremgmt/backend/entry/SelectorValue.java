package io.spiremgmt.backend.entry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * A selector as given by the caller. Its canonical form {@code type:value} identifies it: {@code
 * (k8s:ns, prod)} and {@code (k8s, ns:prod)} are the same selector, written to SPIRE as plugin
 * {@code k8s}, value {@code ns:prod}.
 *
 * @param type the type, e.g. {@code k8s:ns}
 * @param value the value, e.g. {@code prod}
 */
public record SelectorValue(String type, String value) {

  /** The canonical {@code type:value} form. */
  public String canonical() {
    return type + ":" + value;
  }

  /** The SPIRE plugin type: the canonical form up to its first {@code :}. */
  public String plugin() {
    int colon = type.indexOf(':');
    return colon < 0 ? type : type.substring(0, colon);
  }

  /** Hex SHA-256 of the canonical form, the selector's indexed key. */
  public String hash() {
    return sha256Hex(canonical());
  }

  /**
   * Hex SHA-256 over the sorted canonical forms of {@code selectors}: equal for equal selector
   * sets.
   */
  public static String setHash(Collection<SelectorValue> selectors) {
    TreeSet<String> sorted = new TreeSet<>();
    selectors.forEach(s -> sorted.add(s.canonical()));
    return sha256Hex(String.join("\n", sorted));
  }

  static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
