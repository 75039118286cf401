import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The tests' ground truth: a real JSSE mutual-TLS handshake on 127.0.0.1, in one JVM.
 * (Deliberately apart from jkstool's own jkstool/java/JkstoolHandshake.java: a bug in
 * the product's program must not be able to hide from the tests.)
 *
 * Usage: MutualTls SERVER_KEYSTORE SERVER_TRUSTSTORE CLIENT_KEYSTORE CLIENT_TRUSTSTORE [HOSTNAME]
 * The password (the same for all four stores and their keys) comes on stdin.
 * Or: MutualTls --serve, then one case a line on stdin (password, the four stores and an optional
 * host name, separated by NUL) and one answer a line on stdout: many handshakes in one JVM.
 *
 * The server requires a client certificate; the client verifies the server,
 * and with HOSTNAME checks it as an HTTPS client does. After the handshake the
 * client sends a line and reads the answer, since under TLS 1.3 a rejected
 * client certificate shows only at the first read. Prints "OK" and exits 0, or
 * prints what each side saw and exits 1.
 */
public class MutualTls {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        if (args.length == 1 && args[0].equals("--serve")) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] fields = line.split("\u0000", -1);
                System.out.println(handshake(java.util.Arrays.copyOfRange(fields, 1, fields.length),
                                             fields[0].toCharArray()));
                System.out.flush();
            }
            return;
        }
        String result = handshake(args, in.readLine().toCharArray());
        System.out.println(result);
        System.exit(result.equals("OK") ? 0 : 1);
    }

    /** "OK", or "FAILED client: ... | server: ..." */
    static String handshake(String[] args, char[] password) throws Exception {
        String hostname = args.length > 4 ? args[4] : null;
        SSLContext server, client;
        try {
            server = context(args[0], args[1], password);
            client = context(args[2], args[3], password);
        } catch (Exception e) {
            return "FAILED client: not started | server: not started: " + describe(e);
        }

        SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setNeedClientAuth(true);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> serverSide = pool.submit(() -> {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                socket.setTcpNoDelay(true);  // no Nagle and delayed-ACK stall: 40 ms a handshake otherwise
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
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(
                     plain, hostname == null ? "localhost" : hostname, listener.getLocalPort(), true)) {
            plain.setTcpNoDelay(true);
            socket.setSoTimeout(10000);
            if (hostname != null) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
            }
            socket.startHandshake();
            new PrintWriter(socket.getOutputStream(), true).println("ping");
            String answer = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
            clientSide = "pong ping".equals(answer) ? "ok" : "no answer";
        } catch (Exception e) {
            clientSide = describe(e);
        }
        String serverResult = serverSide.get(20, TimeUnit.SECONDS);
        pool.shutdownNow();
        listener.close();
        if (clientSide.equals("ok") && serverResult.equals("ok")) {
            return "OK";
        }
        return "FAILED client: " + clientSide + " | server: " + serverResult;
    }

    static SSLContext context(String keystore, String truststore, char[] password) throws Exception {
        KeyStore keys = KeyStore.getInstance(new File(keystore), password);
        KeyStore trust = KeyStore.getInstance(new File(truststore), password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text.append(" <- ").append(cause.getMessage());
        }
        return text.toString().replace('\n', ' ');
    }
}
