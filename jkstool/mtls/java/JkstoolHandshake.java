import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * jkstool's judge: real JSSE mutual-TLS handshakes on 127.0.0.1, one per request, in one JVM.
 *
 * Standard input: one request a line, ten fields separated by spaces: the request's number, then nine
 * fields each Base64 (UTF-8): SERVER_KEYSTORE SERVER_TRUSTSTORE CLIENT_KEYSTORE CLIENT_TRUSTSTORE, the
 * four stores' passwords in the same order, and the host name the client dials ("" for none).
 * Passwords travel on stdin, never on the command line, where other users could read them. Requests
 * run side by side, one per core: a fleet's pairs share one JVM, whose compiler warms up once.
 *
 * Both sides use JSSE's defaults, as an application does: the stores loaded with
 * KeyStore.getInstance(File, password), the default key manager (keys opened with their store's
 * password) and PKIX trust manager. The server requires a client certificate. With a host name, the
 * client checks it as an HTTPS client does (and sends it as SNI where it is a name). A line is exchanged
 * after the handshake, since under TLS 1.3 a rejected client certificate shows only at the first read.
 *
 * Answers one line a request, as it completes, after "JKSTOOL" and the request's number (other lines on
 * standard output, such as a GC log JAVA_TOOL_OPTIONS asks for, are not answers): "OK <protocol> <cipher suite>"
 * or "FAILED client: <what it saw> | server: <what it saw>"; exits when its input ends and every
 * request is answered.
 */
public class JkstoolHandshake {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ExecutorService requests = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] fields = line.split(" ", -1);
            String number = fields[0];
            String[] text = new String[fields.length - 1];
            for (int i = 1; i < fields.length; i++) {
                text[i - 1] = new String(Base64.getDecoder().decode(fields[i]), StandardCharsets.UTF_8);
            }
            requests.execute(() -> {
                String answer;
                try {
                    answer = handshake(text);
                } catch (Throwable e) {  // an Error too (out of memory): every request gets its answer
                    answer = "FAILED client: " + describe(e) + " | server: " + describe(e);
                }
                synchronized (out) {
                    out.println("JKSTOOL " + number + " " + answer.replace('\n', ' '));
                }
            });
        }
        requests.shutdown();
        requests.awaitTermination(1, TimeUnit.HOURS);
    }

    static String handshake(String[] request) throws Exception {
        String hostname = request[8].isEmpty() ? null : request[8];
        SSLContext server, client;
        try {
            server = context(request[0], request[4].toCharArray(), request[1], request[5].toCharArray());
        } catch (Exception e) {
            return failed("not started", describe(e));
        }
        try {
            client = context(request[2], request[6].toCharArray(), request[3], request[7].toCharArray());
        } catch (Exception e) {
            return failed(describe(e), "not started");
        }

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
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
            String established = "";
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
                 SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(
                         plain, hostname == null ? "localhost" : hostname, listener.getLocalPort(), true)) {
                plain.setTcpNoDelay(true);
                socket.setSoTimeout(10000);
                if (hostname != null) {
                    SSLParameters parameters = socket.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    // the server name as JSSE's own client derives it (Utilities.rawToSNIHostName): without a
                    // trailing dot, and none at all where SNIHostName refuses it
                    String sni = hostname.endsWith(".") ? hostname.substring(0, hostname.length() - 1) : hostname;
                    if (sni.matches(".*[a-zA-Z].*") && !sni.contains(":")) {
                        try {
                            parameters.setServerNames(List.of(new SNIHostName(sni)));
                        } catch (IllegalArgumentException e) {
                            parameters.setServerNames(List.of());
                        }
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
            String serverResult;
            try {
                serverResult = serverSide.get(20, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                serverResult = "no answer within 20 s";
            }
            if (clientSide.equals("ok") && serverResult.equals("ok")) {
                return "OK " + established;
            }
            return failed(clientSide, serverResult);
        } finally {
            pool.shutdownNow();
        }
    }

    static String failed(String client, String server) {
        return "FAILED client: " + client + " | server: " + server;
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
