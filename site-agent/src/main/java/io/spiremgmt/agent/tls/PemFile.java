package io.spiremgmt.agent.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * A PEM file read again whenever its modification time changes, so a rotated SVID or bundle is
 * picked up without a restart (for example one that {@code spire-server x509 mint} or a SPIFFE
 * helper rewrites).
 *
 * @param <T> what the file is parsed into
 */
final class PemFile<T> {
  private final Path path;
  private final Function<byte[], T> parser;
  private FileTime readAt;
  private T value;

  private PemFile(Path path, Function<byte[], T> parser) {
    this.path = path;
    this.parser = parser;
  }

  /** A file of one or more certificates (a chain, leaf first, or a bundle). */
  static PemFile<List<X509Certificate>> certificates(Path path) {
    return new PemFile<>(path, PemFile::parseCertificates);
  }

  /** A file holding one PKCS#8 private key (EC or RSA). */
  static PemFile<PrivateKey> privateKey(Path path) {
    return new PemFile<>(path, PemFile::parseKey);
  }

  /** The current content, re-read if the file changed. */
  synchronized T get() {
    try {
      FileTime modified = Files.getLastModifiedTime(path);
      if (value == null || !modified.equals(readAt)) {
        value = parser.apply(Files.readAllBytes(path));
        readAt = modified;
      }
      return value;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot parse " + path + ": " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> parseCertificates(byte[] pem) {
    try {
      List<X509Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))
              .stream()
              .map(X509Certificate.class::cast)
              .toList();
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no certificate in the file");
      }
      return certs;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static PrivateKey parseKey(byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("no PKCS#8 'BEGIN PRIVATE KEY' block");
    }
    byte[] der =
        Base64.getMimeDecoder()
            .decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
    for (String algorithm : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm.
      }
    }
    throw new IllegalArgumentException("the key is neither EC nor RSA");
  }
}
