import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.Permission;

/**
 * keytool, many times in one JVM: the tests' keytool calls without a JVM start each (~0.4 s).
 *
 * Each request is one line on stdin: fields separated by NUL, the first being what keytool may
 * read on its standard input (newlines written as \u0001), the others its arguments. Each answer
 * is a line "EXIT code stdout-bytes stderr-bytes" followed by those bytes (UTF-8).
 *
 * keytool is sun.security.tools.keytool.Main, run as `keytool` runs it: JDK 21+ return an exit
 * code from run(); JDK 17's run() ends with System.exit(1) on an error, which a security manager
 * turns into an exception here (JDK 17 still allows one). Run with
 * --add-opens java.base/sun.security.tools.keytool=ALL-UNNAMED (and -Djava.security.manager=allow).
 */
public class KeytoolServer {
    static final class ExitTrapped extends SecurityException {
        final int status;
        ExitTrapped(int status) { super("exit " + status); this.status = status; }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OutputStream answers = new java.io.FileOutputStream(java.io.FileDescriptor.out);
        Class<?> main = Class.forName("sun.security.tools.keytool.Main");
        Method run = main.getDeclaredMethod("run", String[].class, PrintStream.class);
        run.setAccessible(true);
        java.lang.reflect.Constructor<?> create = main.getDeclaredConstructor();
        create.setAccessible(true);
        boolean trapExit = run.getReturnType() == void.class;
        if (trapExit) {
            installExitTrap();
        }
        PrintStream realOut = System.out, realErr = System.err;
        InputStream realIn = System.in;
        for (String line; (line = requests.readLine()) != null; ) {
            String[] fields = line.split("\u0000", -1);
            String input = fields[0].replace('\u0001', '\n');
            String[] keytoolArgs = java.util.Arrays.copyOfRange(fields, 1, fields.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
            int status;
            System.setOut(outStream);
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            try {
                Object result = run.invoke(create.newInstance(), keytoolArgs, outStream);
                status = result instanceof Integer ? (Integer) result : 0;
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof ExitTrapped) {
                    status = ((ExitTrapped) cause).status;
                } else {
                    System.out.println("keytool error: " + cause);
                    status = 1;
                }
            } finally {
                System.out.flush();
                System.err.flush();
                System.setOut(realOut);
                System.setErr(realErr);
                System.setIn(realIn);
            }
            byte[] o = out.toByteArray(), r = err.toByteArray();
            answers.write(("EXIT " + status + " " + o.length + " " + r.length + "\n").getBytes(StandardCharsets.UTF_8));
            answers.write(o);
            answers.write(r);
            answers.flush();
        }
    }

    @SuppressWarnings("removal")
    static void installExitTrap() {
        System.setSecurityManager(new SecurityManager() {
            @Override public void checkPermission(Permission permission) { }
            @Override public void checkPermission(Permission permission, Object context) { }
            @Override public void checkExit(int status) { throw new ExitTrapped(status); }
        });
    }
}
