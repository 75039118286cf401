import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A plain JSSE mutual-TLS server, the reference for what `jkstool serve` should answer a client
 * (the alerts it sends on rejection).
 *
 * Usage: JsseServer KEYSTORE TRUSTSTORE; the password (of both stores and the key) on stdin.
 * Prints its port, then answers each client "hello" after a mutual handshake, one at a time.
 */
public class JsseServer {
    public static void main(String[] args) throws Exception {
        char[] password = new BufferedReader(new InputStreamReader(System.in)).readLine().toCharArray();
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(args[0], password), password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(args[1], password));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        listener.setNeedClientAuth(true);
        System.out.println(listener.getLocalPort());
        System.out.flush();
        while (true) {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                socket.setSoTimeout(10000);
                socket.startHandshake();
                new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
                new PrintWriter(socket.getOutputStream(), true).println("hello");
            } catch (Exception e) {
                // the client was rejected: JSSE has sent its alert
            }
        }
    }

    static KeyStore load(String path, char[] password) throws Exception {
        return KeyStore.getInstance(new File(path), password);
    }
}
