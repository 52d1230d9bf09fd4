package io.steward.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for TLS tests, made by the JDK's own keytool the way README "Security" tells operators to
 * (valid two days, for 127.0.0.1 and localhost): {@code <name>.p12} (key and certificate chain),
 * {@code <name>.pem} (the certificate as PEM, for Node.js) and a trust store: the certificate itself when
 * self-signed, the authority's certificate when signed by one.
 */
public final class Certificates {

  public static final String PASSWORD = "test-password";

  private final Path dir;
  private final String name;
  private final String trustStore;

  private Certificates(Path dir, String name, String trustStore) {
    this.dir = dir;
    this.name = name;
    this.trustStore = trustStore;
  }

  /** A self-signed certificate, trusted by its own trust store. */
  public static Certificates create(Path dir, String name) throws IOException, InterruptedException {
    Certificates c = new Certificates(dir, name, dir.resolve(name + "-trust.p12").toString());
    c.genkeypair("SAN=ip:127.0.0.1,dns:localhost");
    c.exportAndTrust();
    return c;
  }

  /** A certificate authority: its trust store holds its certificate, and {@link #sign} makes node certificates. */
  public static Certificates authority(Path dir, String name) throws IOException, InterruptedException {
    Certificates c = new Certificates(dir, name, dir.resolve(name + "-trust.p12").toString());
    c.genkeypair("bc:c");
    c.exportAndTrust();
    return c;
  }

  /** A key whose certificate this authority signs; it trusts what the authority's trust store trusts. */
  public Certificates sign(String node) throws IOException, InterruptedException {
    Certificates c = new Certificates(dir, node, trustStore);
    c.genkeypair(null);
    String csr = dir.resolve(node + ".csr").toString();
    keytool("-certreq", "-alias", node, "-keystore", c.keyStore(), "-storepass", PASSWORD, "-file", csr);
    keytool("-gencert", "-alias", name, "-keystore", keyStore(), "-storepass", PASSWORD, "-infile", csr,
      "-outfile", c.pem(), "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost");
    keytool("-importcert", "-noprompt", "-alias", name, "-file", pem(), "-keystore", c.keyStore(), "-storepass", PASSWORD);
    keytool("-importcert", "-alias", node, "-file", c.pem(), "-keystore", c.keyStore(), "-storepass", PASSWORD);
    return c;
  }

  private void genkeypair(String extension) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
      "-dname", "CN=" + name, "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore(), "-storepass", PASSWORD));
    if (extension != null) {
      args.addAll(List.of("-ext", extension));
    }
    keytool(args.toArray(String[]::new));
  }

  private void exportAndTrust() throws IOException, InterruptedException {
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", keyStore(), "-storepass", PASSWORD, "-file", pem());
    keytool("-importcert", "-noprompt", "-alias", name, "-file", pem(), "-storetype", "PKCS12",
      "-keystore", trustStore, "-storepass", PASSWORD);
  }

  public String keyStore() {
    return dir.resolve(name + ".p12").toString();
  }

  public String trustStore() {
    return trustStore;
  }

  public String pem() {
    return dir.resolve(name + ".pem").toString();
  }

  /** A client context that trusts this certificate only. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(trustStore()))) {
      trust.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + command + ": " + output);
    }
  }
}
