import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;

/**
 * What java.util.Properties.load(InputStream) reads from each file of a folder, the files in name
 * order: a line "FILE name", then one line "KV keyhex valuehex" per entry (each string as its UTF-16
 * code units in hex, so that nothing is lost to an encoding: an empty string is empty), or one line
 * "ERROR exception-class message" when load throws. One JVM for a whole corpus.
 */
public class PropertiesLoad {
    public static void main(String[] args) throws Exception {
        File[] files = new File(args[0]).listFiles();
        Arrays.sort(files);
        StringBuilder out = new StringBuilder();
        for (File file : files) {
            out.append("FILE ").append(file.getName()).append('\n');
            Properties properties = new Properties();
            try (InputStream in = new FileInputStream(file)) {
                properties.load(in);
            } catch (IllegalArgumentException e) {
                out.append("ERROR ").append(e.getClass().getName()).append(' ').append(e.getMessage()).append('\n');
                continue;
            }
            for (Map.Entry<Object, Object> entry : properties.entrySet()) {
                out.append("KV ").append(hex((String) entry.getKey())).append(' ')
                   .append(hex((String) entry.getValue())).append('\n');
            }
        }
        PrintStream stdout = new PrintStream(System.out, false, "US-ASCII");
        stdout.print(out);
        stdout.flush();
    }

    static String hex(String text) {
        StringBuilder hex = new StringBuilder();
        for (char c : text.toCharArray()) {
            hex.append(HexFormat.of().toHexDigits(c));
        }
        return hex.toString();
    }
}
