import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A JSSE client configured only by javax.net.ssl.* system properties, as an application
 * using the JVM's defaults is: it connects to HOST PORT, sends an HTTP GET for /, and prints
 * the reply. Exit 0 when a reply came, 1 when the connection or handshake failed.
 */
public class DefaultClient {
    public static void main(String[] args) throws Exception {
        try (SSLSocket socket = (SSLSocket) SSLSocketFactory.getDefault().createSocket(args[0],
                Integer.parseInt(args[1]))) {
            socket.setSoTimeout(15000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("GET / HTTP/1.0\r\nHost: " + args[0] + "\r\n\r\n").getBytes());
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            in.transferTo(reply);
            System.out.print(reply);
            System.exit(reply.size() > 0 ? 0 : 1);
        } catch (Exception e) {
            System.out.println("FAILED " + e);
            System.exit(1);
        }
    }
}
