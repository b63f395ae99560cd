package io.spiremgmt.agent.spire;

import java.util.List;

/**
 * A registration entry as a SPIRE server holds it, in domain terms: SPIFFE IDs as strings and
 * selectors in SPIRE's form (plugin type, value).
 *
 * @param id the SPIRE entry id
 * @param spiffeId the SPIFFE ID issued
 * @param parentId the parent SPIFFE ID
 * @param selectors the selectors
 * @param x509SvidTtl X.509-SVID TTL in seconds (0: server default)
 * @param jwtSvidTtl JWT-SVID TTL in seconds (0: server default)
 * @param dnsNames DNS SANs
 * @param federatesWith federated trust domains
 * @param admin admin flag
 * @param downstream downstream flag
 * @param expiresAt expiry in Unix seconds (0: none)
 * @param hint the hint
 * @param storeSvid store-SVID flag
 * @param revision SPIRE's revision number (output only)
 */
public record SpireEntry(
    String id,
    String spiffeId,
    String parentId,
    List<Selector> selectors,
    int x509SvidTtl,
    int jwtSvidTtl,
    List<String> dnsNames,
    List<String> federatesWith,
    boolean admin,
    boolean downstream,
    long expiresAt,
    String hint,
    boolean storeSvid,
    long revision) {

  /**
   * A selector in SPIRE's form.
   *
   * @param type the plugin type, e.g. {@code k8s}
   * @param value the value, e.g. {@code ns:payments}
   */
  public record Selector(String type, String value) {}
}
