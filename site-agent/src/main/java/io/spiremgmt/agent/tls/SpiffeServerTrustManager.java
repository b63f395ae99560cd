package io.spiremgmt.agent.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts a server only if its chain verifies against the trust bundle (PEM, re-read when it
 * changes) and its leaf certificate's URI SAN is the expected SPIFFE ID. SVIDs carry no DNS names,
 * so this replaces hostname verification.
 */
public final class SpiffeServerTrustManager extends X509ExtendedTrustManager {
  private static final int URI_SAN = 6;
  private final PemFile<List<X509Certificate>> bundle;
  private final String expectedId;

  public SpiffeServerTrustManager(Path bundleFile, String expectedId) {
    this.bundle = PemFile.certificates(bundleFile);
    this.expectedId = expectedId;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server presented no certificate");
    }
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      bundle.get().forEach(ca -> anchors.add(new TrustAnchor(ca, null)));
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX")
          .validate(
              CertificateFactory.getInstance("X.509").generateCertPath(List.of(chain)), params);
    } catch (GeneralSecurityException | IllegalStateException e) {
      throw new CertificateException(
          "the server's certificate does not verify against the trust bundle: " + e.getMessage(),
          e);
    }
    String id = spiffeId(chain[0]);
    if (!expectedId.equals(id)) {
      throw new CertificateException("the server is " + id + ", not the expected " + expectedId);
    }
  }

  /** The SPIFFE ID (URI SAN) of a certificate, or null. */
  static String spiffeId(X509Certificate cert) throws CertificateParsingException {
    Collection<List<?>> names = cert.getSubjectAlternativeNames();
    if (names != null) {
      for (List<?> name : names) {
        if (name.size() == 2
            && Integer.valueOf(URI_SAN).equals(name.get(0))
            && String.valueOf(name.get(1)).startsWith("spiffe://")) {
          return String.valueOf(name.get(1));
        }
      }
    }
    return null;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("this trust manager only verifies servers");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return bundle.get().toArray(X509Certificate[]::new);
  }
}
