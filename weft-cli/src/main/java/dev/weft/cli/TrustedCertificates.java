package dev.weft.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS context that trusts exactly the certificates of a PEM file ({@code --ca-cert}), the way
 * {@code curl --cacert} does, for a Weft whose certificate comes from a private CA (or is
 * self-signed). Certificates are still checked in full, host name included: Weft has no "trust
 * everything" mode.
 */
final class TrustedCertificates {
  private TrustedCertificates() {}

  /**
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no certificate
   */
  static SSLContext context(Path pemFile) {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(pemFile)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read CA certificate file " + pemFile + ": " + e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "CA certificate file " + pemFile + " is not PEM certificates: " + e.getMessage());
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(
          "CA certificate file "
              + pemFile
              + " holds no certificate (expected -----BEGIN CERTIFICATE-----)");
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS trust from " + pemFile + ": " + e, e);
    }
  }
}
