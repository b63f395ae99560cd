package io.spiremgmt.backend.auth;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.lang.JoseException;

/**
 * Mints RS256 JWTs that the service's SmallRye JWT configuration accepts. Used for the development
 * signing key (dev profile only; the service prints an admin token at start) and by the tests.
 * Production tokens come from an external issuer.
 */
public final class TokenIssuer {
  /** The issuer claim of development tokens. */
  public static final String DEV_ISSUER = "https://spire-mgmt.dev/issuer";

  /** The audience the service requires. */
  public static final String AUDIENCE = "spire-mgmt";

  private final KeyPair keys;
  private final String issuer;
  private final String audience;

  public TokenIssuer(KeyPair keys, String issuer) {
    this(keys, issuer, AUDIENCE);
  }

  public TokenIssuer(KeyPair keys, String issuer, String audience) {
    this.keys = keys;
    this.issuer = issuer;
    this.audience = audience;
  }

  /** A fresh RSA 2048 key pair. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("RSA is not available in this JVM", e);
    }
  }

  /**
   * The public key as SmallRye JWT's {@code mp.jwt.verify.publickey} takes it (base64 X.509 DER).
   */
  public String publicKeyValue() {
    return Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
  }

  /**
   * A signed token for {@code subject} with the given roles ({@code groups}), valid for {@code
   * ttl}.
   */
  public String mint(String subject, Collection<String> roles, Duration ttl) {
    return mint(subject, roles, ttl, Map.of());
  }

  /**
   * A signed token for {@code subject} with the given roles, valid for {@code ttl}, with {@code
   * extra} claims (e.g. {@code namespaces}, {@code site_id}).
   */
  public String mint(
      String subject, Collection<String> roles, Duration ttl, Map<String, Object> extra) {
    JwtClaims claims = new JwtClaims();
    extra.forEach(claims::setClaim);
    claims.setIssuer(issuer);
    claims.setAudience(audience);
    claims.setSubject(subject);
    claims.setClaim("upn", subject);
    claims.setStringListClaim("groups", List.copyOf(roles));
    claims.setJwtId(UUID.randomUUID().toString());
    claims.setIssuedAtToNow();
    claims.setExpirationTimeMinutesInTheFuture(ttl.toSeconds() / 60f);
    return sign(claims);
  }

  /** Signs {@code claims} as they are (tests use it for tokens that lack a claim). */
  public String sign(JwtClaims claims) {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(keys.getPrivate());
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    jws.setHeader("typ", "JWT");
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
  }
}
