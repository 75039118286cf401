import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The tests' judge of path-validation cases (x509-limbo, NIST PKITS): the JDK's own default trust
 * manager, called as JSSE calls it in a TLS 1.3 handshake.
 *
 * A real TLS 1.3 mutual handshake on 127.0.0.1 first records what each side's handshake session
 * holds when its trust manager is asked (the signature algorithms it accepts in certificates, the
 * auth type). Each case is then put to a fresh default X509TrustManager (TrustManagerFactory
 * "PKIX" over the case's trusted certificates, with the case's validation time when it has one)
 * through an engine whose handshake session carries those recorded values, the dialled host name,
 * and HTTPS endpoint identification when a server name is expected.
 *
 * Usage: TrustCases --serve; then one case a line on stdin, fields separated by NUL:
 *   SERVER|CLIENT, validation time in epoch milliseconds or "", host name or "", the number of trusted
 *   certificates, the trusted certificates, then the chain the peer sends (leaf first); every
 *   certificate in Base64 DER. One answer a line: "OK", or "FAILED " and Java's exception.
 * The line "SEEN" answers with what the recording handshake saw.
 */
public class TrustCases {
    static final CertificateFactory X509;
    static {
        try {
            X509 = CertificateFactory.getInstance("X.509");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What a handshake session holds when its side's trust manager is asked. */
    record Seen(String protocol, String[] algorithms, String authType) {}

    public static void main(String[] args) throws Exception {
        Seen[] seen = record();  // [the client checking a server, the server checking a client]
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String answer;
            try {
                answer = line.equals("SEEN") ? seen[0].authType() + " " + String.join(",", seen[0].algorithms())
                        + " | " + seen[1].authType() + " " + String.join(",", seen[1].algorithms())
                        : judge(line.split("\u0000", -1), seen);
            } catch (Exception e) {
                answer = "FAILED " + describe(e);
            }
            System.out.println(answer);
            System.out.flush();
        }
    }

    static String judge(String[] f, Seen[] seen) throws Exception {
        boolean server = f[0].equals("SERVER");
        String host = f[2].isEmpty() ? null : f[2];
        int trusted = Integer.parseInt(f[3]);
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        for (int i = 0; i < trusted; i++) {
            anchors.setCertificateEntry("anchor" + i, cert(f[4 + i]));
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 4 + trusted; i < f.length; i++) {
            chain.add(cert(f[i]));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (f[1].isEmpty()) {
            factory.init(anchors);
        } else {  // as the default does, but at the case's moment (PKIXValidator takes the date from here)
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, new X509CertSelector());
            parameters.setRevocationEnabled(false);
            parameters.setDate(new Date(Long.parseLong(f[1])));
            factory.init(new CertPathTrustManagerParameters(parameters));
        }
        X509ExtendedTrustManager manager = (X509ExtendedTrustManager) factory.getTrustManagers()[0];
        X509Certificate[] sent = chain.toArray(new X509Certificate[0]);
        Seen as = seen[server ? 0 : 1];
        SSLEngine engine = new Engine(new Session(as, host), server && host != null ? "HTTPS" : null);
        if (server) {
            manager.checkServerTrusted(sent, as.authType, engine);
        } else {
            manager.checkClientTrusted(sent, as.authType, engine);
        }
        return "OK";
    }

    static X509Certificate cert(String base64) throws Exception {
        return (X509Certificate) X509.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    static String describe(Throwable e) {
        String text = e.getClass().getName() + ": " + e.getMessage();
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text += " | caused by " + cause.getClass().getName() + ": " + cause.getMessage();
        }
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    // -- the recording handshake ---------------------------------------------------------------------

    /** One real mutual handshake between two default JSSE contexts of this JVM (every protocol they
     *  enable by default: what a side offers depends on them), over 127.0.0.1, with a throwaway key
     *  keytool makes; each side's trust manager notes what its session holds. */
    static Seen[] record() throws Exception {
        File dir = Files.createTempDirectory("trust-cases").toFile();
        File store = new File(dir, "probe.p12");
        String keytool = System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool";
        Process made = new ProcessBuilder(keytool, "-genkeypair", "-keystore", store.getPath(), "-storepass",
                "changeit", "-alias", "probe", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2")
                .redirectErrorStream(true).start();
        made.getInputStream().readAllBytes();
        if (made.waitFor() != 0) {
            throw new IllegalStateException("keytool could not make the probe key");
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (var stream = Files.newInputStream(store.toPath())) {
            keys.load(stream, "changeit".toCharArray());
        }
        store.delete();
        dir.delete();
        Seen[] seen = new Seen[2];
        SSLContext serverSide = context(keys, seen, 1);
        SSLContext clientSide = context(keys, seen, 0);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SSLServerSocket listener = (SSLServerSocket) serverSide.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            Future<?> accepted = pool.submit(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.startHandshake();
                    socket.getOutputStream().write(1);
                    socket.getOutputStream().flush();
                }
                return null;
            });
            try (SSLSocket socket = (SSLSocket) clientSide.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                socket.startHandshake();
                socket.getInputStream().read();
            }
            accepted.get();
        } finally {
            pool.shutdown();
        }
        if (!"TLSv1.3".equals(seen[0].protocol()) || !"TLSv1.3".equals(seen[1].protocol())) {
            throw new IllegalStateException("the recording handshake was not TLS 1.3: " + seen[0].protocol());
        }
        return seen;
    }

    static SSLContext context(KeyStore keys, Seen[] seen, int side) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "changeit".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), new TrustManager[] {new Recording(seen, side)}, null);
        return context;
    }

    /** Trusts anything, and notes the handshake session it is asked in. */
    static final class Recording extends X509ExtendedTrustManager {
        final Seen[] seen;
        final int side;

        Recording(Seen[] seen, int side) {
            this.seen = seen;
            this.side = side;
        }

        void note(Socket socket, String authType) {
            ExtendedSSLSession session = (ExtendedSSLSession) ((SSLSocket) socket).getHandshakeSession();
            seen[side] = new Seen(session.getProtocol(), session.getLocalSupportedSignatureAlgorithms(), authType);
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            note(socket, authType);
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            note(socket, authType);
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        @Override public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    // -- the engine and session a case is judged in ---------------------------------------------------

    /** Only what the trust manager asks of an engine: its handshake session and its parameters. */
    static final class Engine extends SSLEngine {
        final Session session;
        final String identification;

        Engine(Session session, String identification) {
            super(session.getPeerHost(), -1);
            this.session = session;
            this.identification = identification;
        }

        @Override public SSLSession getHandshakeSession() {
            return session;
        }

        @Override public SSLParameters getSSLParameters() {
            SSLParameters parameters = new SSLParameters();
            parameters.setEndpointIdentificationAlgorithm(identification);
            return parameters;
        }

        @Override public SSLEngineResult wrap(java.nio.ByteBuffer[] s, int o, int l, java.nio.ByteBuffer d) {
            throw new UnsupportedOperationException();
        }
        @Override public SSLEngineResult unwrap(java.nio.ByteBuffer s, java.nio.ByteBuffer[] d, int o, int l) {
            throw new UnsupportedOperationException();
        }
        @Override public Runnable getDelegatedTask() { return null; }
        @Override public void closeInbound() {}
        @Override public boolean isInboundDone() { return false; }
        @Override public void closeOutbound() {}
        @Override public boolean isOutboundDone() { return false; }
        @Override public String[] getSupportedCipherSuites() { return new String[0]; }
        @Override public String[] getEnabledCipherSuites() { return new String[0]; }
        @Override public void setEnabledCipherSuites(String[] suites) {}
        @Override public String[] getSupportedProtocols() { return new String[0]; }
        @Override public String[] getEnabledProtocols() { return new String[0]; }
        @Override public void setEnabledProtocols(String[] protocols) {}
        @Override public SSLSession getSession() { return session; }
        @Override public void beginHandshake() {}
        @Override public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
            return SSLEngineResult.HandshakeStatus.NEED_UNWRAP;
        }
        @Override public void setUseClientMode(boolean mode) {}
        @Override public boolean getUseClientMode() { return true; }
        @Override public void setNeedClientAuth(boolean need) {}
        @Override public boolean getNeedClientAuth() { return false; }
        @Override public void setWantClientAuth(boolean want) {}
        @Override public boolean getWantClientAuth() { return false; }
        @Override public void setEnableSessionCreation(boolean flag) {}
        @Override public boolean getEnableSessionCreation() { return true; }
    }

    /** The recorded protocol and signature algorithms, and the dialled host name (no SNI: the trust
     *  manager then checks the peer host itself, as it does when SNI equals it). */
    static final class Session extends ExtendedSSLSession {
        final Seen seen;
        final String host;

        Session(Seen seen, String host) {
            this.seen = seen;
            this.host = host;
        }

        @Override public String getProtocol() { return seen.protocol(); }
        @Override public String[] getLocalSupportedSignatureAlgorithms() { return seen.algorithms().clone(); }
        @Override public String[] getPeerSupportedSignatureAlgorithms() { return new String[0]; }
        @Override public List<SNIServerName> getRequestedServerNames() { return List.of(); }
        @Override public List<byte[]> getStatusResponses() { return List.of(); }
        @Override public String getPeerHost() { return host; }
        @Override public int getPeerPort() { return -1; }
        @Override public byte[] getId() { return new byte[0]; }
        @Override public SSLSessionContext getSessionContext() { return null; }
        @Override public long getCreationTime() { return 0; }
        @Override public long getLastAccessedTime() { return 0; }
        @Override public void invalidate() {}
        @Override public boolean isValid() { return true; }
        @Override public void putValue(String name, Object value) {}
        @Override public Object getValue(String name) { return null; }
        @Override public void removeValue(String name) {}
        @Override public String[] getValueNames() { return new String[0]; }
        @Override public java.security.cert.Certificate[] getPeerCertificates() { return null; }
        @Override public java.security.cert.Certificate[] getLocalCertificates() { return null; }
        @Override public java.security.Principal getPeerPrincipal() { return null; }
        @Override public java.security.Principal getLocalPrincipal() { return null; }
        @Override public String getCipherSuite() { return "TLS_AES_128_GCM_SHA256"; }
        @Override public int getPacketBufferSize() { return 16709; }
        @Override public int getApplicationBufferSize() { return 16384; }
    }
}
