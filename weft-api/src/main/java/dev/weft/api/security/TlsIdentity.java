package dev.weft.api.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate chain and private key the config API serves HTTPS with, as PEM files: the
 * certificate file holds the server's certificate first, then any intermediates; the key file a
 * PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) key that only its
 * owner may read.
 *
 * <p>{@link #load} reads and checks both files at start, so a wrong path or an expired certificate
 * is reported with the file name before the server listens rather than as a TLS handshake error on
 * every client.
 */
public record TlsIdentity(Path certificate, Path privateKey) {
  private static final Logger log = LoggerFactory.getLogger(TlsIdentity.class);

  /** What {@link #load} read: the PEM text of both files and the parsed chain. */
  public record Loaded(String certificatePem, String privateKeyPem, List<X509Certificate> chain) {
    @Override
    public String toString() {
      return "Loaded[" + chain.get(0).getSubjectX500Principal() + "]"; // never the key
    }
  }

  public TlsIdentity {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /**
   * Reads and checks both files.
   *
   * @throws IllegalArgumentException naming the file when it is missing, not PEM, expired or (for
   *     the key) open to other users
   */
  public Loaded load(Clock clock) {
    if (!Files.isRegularFile(certificate)) {
      throw new IllegalArgumentException(
          "TLS certificate " + certificate + " does not exist or is not a regular file");
    }
    String certPem;
    try {
      certPem = Files.readString(certificate, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read TLS certificate " + certificate + ": " + e);
    }
    List<X509Certificate> chain = parseChain(certPem);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(
          "TLS certificate "
              + certificate
              + " holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
    }
    X509Certificate leaf = chain.get(0);
    try {
      leaf.checkValidity(Date.from(clock.instant()));
    } catch (CertificateExpiredException e) {
      throw new IllegalArgumentException(
          "TLS certificate " + certificate + " expired on " + leaf.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      log.warn(
          "TLS certificate {} is not valid before {}; clients will refuse it until then",
          certificate,
          leaf.getNotBefore().toInstant());
    }
    String keyPem = SecretFiles.readPrivate(privateKey, "TLS private key");
    if (!keyPem.contains("-----BEGIN") || !keyPem.contains("PRIVATE KEY-----")) {
      throw new IllegalArgumentException(
          "TLS private key "
              + privateKey
              + " holds no PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA"
              + " PRIVATE KEY-----)");
    }
    if (keyPem.contains("ENCRYPTED")) {
      throw new IllegalArgumentException(
          "TLS private key "
              + privateKey
              + " is encrypted; give an unencrypted key file readable only by Weft's user");
    }
    return new Loaded(certPem, keyPem, chain);
  }

  private List<X509Certificate> parseChain(String pem) {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : certs) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "TLS certificate " + certificate + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }
}
