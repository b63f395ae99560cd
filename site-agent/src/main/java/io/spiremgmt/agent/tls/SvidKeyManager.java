package io.spiremgmt.agent.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the agent's X.509-SVID (chain and key from PEM files, re-read when they change) as the
 * TLS client certificate. Each new connection uses the current files.
 */
public final class SvidKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "svid";
  private final PemFile<List<X509Certificate>> chain;
  private final PemFile<PrivateKey> key;

  public SvidKeyManager(Path certificateFile, Path keyFile) {
    this.chain = PemFile.certificates(certificateFile);
    this.key = PemFile.privateKey(keyFile);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return chain.get().toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return key.get();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[0];
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
