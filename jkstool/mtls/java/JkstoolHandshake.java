import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * jkstool verify-pair --handshake: a real JSSE mutual-TLS handshake on 127.0.0.1.
 *
 * Arguments: SERVER_KEYSTORE SERVER_TRUSTSTORE CLIENT_KEYSTORE CLIENT_TRUSTSTORE [HOSTNAME]
 * Standard input: the four stores' passwords, one per line, in the same order
 * (never on the command line, where other users could read them).
 *
 * Both sides use JSSE's defaults, as an application does: the default key
 * manager (keys opened with their store's password) and PKIX trust manager.
 * The server requires a client certificate. With HOSTNAME, the client checks
 * it as an HTTPS client does. A line is exchanged after the handshake, since
 * under TLS 1.3 a rejected client certificate shows only at the first read.
 *
 * Prints one line, "OK <protocol> <cipher suite>" (exit 0) or
 * "FAILED client: <what it saw> | server: <what it saw>" (exit 1).
 */
public class JkstoolHandshake {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        char[][] passwords = new char[4][];
        for (int i = 0; i < 4; i++) {
            String line = in.readLine();
            passwords[i] = line == null ? new char[0] : line.toCharArray();
        }
        String hostname = args.length > 4 ? args[4] : null;
        SSLContext server, client;
        try {
            server = context(args[0], passwords[0], args[1], passwords[1]);
        } catch (Exception e) {
            fail(describe(e), "not started");
            return;
        }
        try {
            client = context(args[2], passwords[2], args[3], passwords[3]);
        } catch (Exception e) {
            fail("not started", describe(e));
            return;
        }

        SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setNeedClientAuth(true);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> serverSide = pool.submit(() -> {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                socket.setSoTimeout(10000);
                socket.startHandshake();
                String line = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
                new PrintWriter(socket.getOutputStream(), true).println("pong " + line);
                return "ok";
            } catch (Exception e) {
                return describe(e);
            }
        });

        String clientSide;
        String established = "";
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(
                     plain, hostname == null ? "localhost" : hostname, listener.getLocalPort(), true)) {
            socket.setSoTimeout(10000);
            if (hostname != null) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                if (hostname.matches(".*[a-zA-Z].*") && !hostname.contains(":")) {
                    parameters.setServerNames(List.of(new SNIHostName(hostname)));
                }
                socket.setSSLParameters(parameters);
            }
            socket.startHandshake();
            established = socket.getSession().getProtocol() + " " + socket.getSession().getCipherSuite();
            new PrintWriter(socket.getOutputStream(), true).println("ping");
            String answer = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
            clientSide = "pong ping".equals(answer) ? "ok" : "the server closed the connection";
        } catch (Exception e) {
            clientSide = describe(e);
        }
        String serverResult = serverSide.get(20, TimeUnit.SECONDS);
        pool.shutdownNow();
        listener.close();
        if (clientSide.equals("ok") && serverResult.equals("ok")) {
            System.out.println("OK " + established);
            System.exit(0);
        }
        fail(clientSide, serverResult);
    }

    static void fail(String client, String server) {
        System.out.println("FAILED client: " + client + " | server: " + server);
        System.exit(1);
    }

    static SSLContext context(String keystore, char[] keystorePassword, String truststore,
                              char[] truststorePassword) throws Exception {
        KeyStore keys = KeyStore.getInstance(new File(keystore), keystorePassword);
        KeyStore trust = KeyStore.getInstance(new File(truststore), truststorePassword);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, keystorePassword);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(" <- ").append(cause.getMessage());
            }
        }
        return text.toString().replace('\n', ' ');
    }
}
