package io.spiremgmt.agent.tls;

import io.spiffe.bundle.BundleSource;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * An X.509-SVID and a trust bundle kept in PEM files, as sources for java-spiffe's {@code
 * SpiffeKeyManager} and {@code SpiffeTrustManager}: java-spiffe parses and checks them ({@link
 * X509Svid#load}, {@link X509Bundle#load}), and they are loaded again whenever a file's
 * modification time changes, so a rotated SVID or bundle (rewritten by {@code spire-server x509
 * mint} or a SPIFFE helper) is used from the next handshake on without a restart.
 */
public final class SvidFiles {
  private SvidFiles() {}

  /**
   * The SVID in {@code certificateFile} (leaf first) and {@code keyFile} (PKCS#8). A file that
   * cannot be read or parsed fails the handshake that asks for it with an {@link
   * IllegalStateException}; the next handshake tries again.
   */
  public static X509SvidSource svid(Path certificateFile, Path keyFile) {
    Reloaded<X509Svid> svid =
        new Reloaded<>(
            List.of(certificateFile, keyFile), () -> X509Svid.load(certificateFile, keyFile));
    return svid::get;
  }

  /**
   * The trust bundle of {@code trustDomain} in {@code bundleFile} (one or more CA certificates). It
   * answers for that trust domain only: a peer of another one is refused.
   */
  public static BundleSource<X509Bundle> bundle(TrustDomain trustDomain, Path bundleFile) {
    Reloaded<X509Bundle> bundle =
        new Reloaded<>(List.of(bundleFile), () -> X509Bundle.load(trustDomain, bundleFile));
    return wanted -> bundle.get().getBundleForTrustDomain(wanted);
  }

  /** What java-spiffe loads from the files. */
  private interface Loader<T> {
    T load() throws Exception;
  }

  /** A value loaded from files, loaded again when one of their modification times changes. */
  private static final class Reloaded<T> {
    private final List<Path> files;
    private final Loader<T> loader;
    private List<FileTime> readAt;
    private T value;

    Reloaded(List<Path> files, Loader<T> loader) {
      this.files = files;
      this.loader = loader;
    }

    synchronized T get() {
      try {
        List<FileTime> modified = new ArrayList<>();
        for (Path file : files) {
          modified.add(Files.getLastModifiedTime(file));
        }
        if (value == null || !modified.equals(readAt)) {
          value = loader.load();
          readAt = modified;
        }
        return value;
      } catch (Exception e) {
        throw new IllegalStateException("cannot load " + files + ": " + e.getMessage(), e);
      }
    }
  }
}
