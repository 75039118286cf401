import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * What Java prints, case by case, for docs/troubleshooting.md (tests/test_troubleshooting.py). One JVM
 * answers many requests: one a line on stdin, its fields separated by NUL; one answer a line on stdout,
 * each exception as Throwable.toString() with its causes after " <- ".
 *
 *   version                       the JVM's java.version
 *   handshake PROTOCOL AUTH PASSWORD SERVER_KS SERVER_TS CLIENT_KS CLIENT_TS [HOSTNAME]
 *                                 a handshake on 127.0.0.1, as tests/java/MutualTls.java does it, with the
 *                                 client's protocols ("default": the JDK's, which negotiate TLS 1.3; or one
 *                                 alone, "TLSv1.2", as a client limited to it) and the server's client
 *                                 authentication (need, want, none) given: "OK", or
 *                                 "FAILED client: ... | server: ..."
 *   listen AUTH PASSWORD SERVER_KS SERVER_TS
 *                                 a JSSE server that stays up (it answers "hello" to each client): its port
 *   connect HOST PORT CONNECT_MS READ_MS
 *                                 a client as applications write one (the default SSLSocketFactory, connect
 *                                 and read timeouts): what it got
 *   load TYPE PATH STOREPASS      a keystore as the JVM loads javax.net.ssl.keyStore (with keyStoreType and
 *                                 keyStorePassword): KeyStore.load, then the key manager's init
 */
public class JavaSays {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] fields = line.split("\u0000", -1);
            String answer;
            try {
                answer = answer(fields[0], Arrays.copyOfRange(fields, 1, fields.length));
            } catch (Exception e) {
                answer = "ERROR " + describe(e);
            }
            System.out.println(answer.replace('\n', ' '));
            System.out.flush();
        }
    }

    static String answer(String request, String[] args) throws Exception {
        switch (request) {
            case "version":
                return System.getProperty("java.version");
            case "handshake":
                return handshake(args[0], args[1], args[2].toCharArray(), Arrays.copyOfRange(args, 3, args.length));
            case "listen":
                return String.valueOf(listen(args[0], args[1].toCharArray(), args[2], args[3]));
            case "connect":
                return connect(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                               Integer.parseInt(args[3]));
            case "load":
                return load(args[0], args[1], args[2].toCharArray());
            default:
                throw new IllegalArgumentException("no such request: " + request);
        }
    }

    static String handshake(String protocol, String auth, char[] password, String[] stores) throws Exception {
        String hostname = stores.length > 4 ? stores[4] : null;
        SSLContext server, client;
        try {
            server = context(stores[0], stores[1], password);
            client = context(stores[2], stores[3], password);
        } catch (Exception e) {
            return "FAILED client: not started | server: not started: " + describe(e);
        }
        ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> serverSide = pool.submit(() -> {
            try (Socket plain = listener.accept();
                 SSLSocket socket = (SSLSocket) server.getSocketFactory().createSocket(plain, null, false)) {
                plain.setTcpNoDelay(true);
                plain.setSoTimeout(10000);
                authenticate(socket, auth);
                try {
                    socket.startHandshake();
                    String line = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
                    new PrintWriter(socket.getOutputStream(), true).println("pong " + line);
                    return "ok";
                } catch (Exception e) {
                    drain(plain);
                    return describe(e);
                }
            }
        });
        String clientSide;
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(
                     plain, hostname == null ? "localhost" : hostname, listener.getLocalPort(), false)) {
            plain.setTcpNoDelay(true);
            plain.setSoTimeout(10000);
            if (!protocol.equals("default")) {
                socket.setEnabledProtocols(new String[] {protocol});  // as a client limited to it
            }
            if (hostname != null) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
            }
            try {
                socket.startHandshake();
                new PrintWriter(socket.getOutputStream(), true).println("ping");
                String answer = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
                clientSide = "pong ping".equals(answer) ? "ok" : "no answer";
            } catch (Exception e) {
                drain(plain);
                clientSide = describe(e);
            }
        }
        String serverResult = serverSide.get(20, TimeUnit.SECONDS);
        pool.shutdownNow();
        listener.close();
        if (clientSide.equals("ok") && serverResult.equals("ok")) {
            return "OK";
        }
        return "FAILED client: " + clientSide + " | server: " + serverResult;
    }

    /**
     * After a side failed: JSSE has sent its alert and let go of the TCP connection (the sockets are layered
     * without autoClose); end it without losing the alert to a reset, as closing with the peer's data unread
     * would (the peer would then see "Broken pipe" or "Connection reset" in place of the alert, as happens
     * at random on loopback).
     */
    static void drain(Socket plain) {
        try {
            plain.shutdownOutput();
            plain.getInputStream().transferTo(OutputStream.nullOutputStream());
        } catch (Exception e) {
            // the peer is gone
        }
    }

    static void authenticate(SSLSocket socket, String auth) {
        if (auth.equals("need")) {
            socket.setNeedClientAuth(true);
        } else if (auth.equals("want")) {
            socket.setWantClientAuth(true);
        }
    }

    static final Map<String, KeyManager[]> KEYS = new HashMap<>();
    static final Map<String, TrustManager[]> TRUST = new HashMap<>();

    /**
     * A new context from the stores, as tests/java/MutualTls.java makes it; each store is read once (loading
     * and decrypting a PKCS12 file is most of a handshake's time), its managers kept for the next cases.
     */
    static SSLContext context(String keystore, String truststore, char[] password) throws Exception {
        if (!KEYS.containsKey(keystore)) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyStore.getInstance(new File(keystore), password), password);
            KEYS.put(keystore, kmf.getKeyManagers());
        }
        if (!TRUST.containsKey(truststore)) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(KeyStore.getInstance(new File(truststore), password));
            TRUST.put(truststore, tmf.getTrustManagers());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(KEYS.get(keystore), TRUST.get(truststore), null);
        return context;
    }

    static SSLServerSocket serverSocket(SSLContext context, String auth) throws Exception {
        SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        if (auth.equals("need")) {
            listener.setNeedClientAuth(true);
        } else if (auth.equals("want")) {
            listener.setWantClientAuth(true);
        }
        return listener;
    }

    static int listen(String auth, char[] password, String keystore, String truststore) throws Exception {
        SSLServerSocket listener = serverSocket(context(keystore, truststore, password), auth);
        Thread thread = new Thread(() -> {
            while (true) {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout(10000);
                    socket.startHandshake();
                    new PrintWriter(socket.getOutputStream(), true).println("hello");
                } catch (Exception e) {
                    // the client failed: JSSE has sent its alert
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
        return listener.getLocalPort();
    }

    /** What a client taking the JVM's defaults meets on the way to HOST:PORT. */
    static String connect(String host, int port, int connectMillis, int readMillis) {
        try (SSLSocket socket = (SSLSocket) SSLSocketFactory.getDefault().createSocket()) {
            socket.connect(new InetSocketAddress(host, port), connectMillis);
            socket.setSoTimeout(readMillis);
            socket.startHandshake();
            return "OK";
        } catch (Exception e) {
            return describe(e);
        }
    }

    static String load(String type, String path, char[] password) {
        try (InputStream in = new FileInputStream(new File(path))) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).init(store);
            return "OK";
        } catch (Exception e) {
            return describe(e);
        }
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.toString());
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text.append(" <- ").append(cause);
        }
        return text.toString().replace('\n', ' ');
    }
}
