import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * What Java itself sees in keystores: one line per entry,
 * "path|alias|kind|sha256,sha256,...|detail".
 *
 * For a private key the detail is "key-ok" when Java decrypts the key and a
 * signature made with it verifies with the leaf certificate; for a secret
 * key, its algorithm, size in bits and the SHA-256 of its bytes. A store
 * Java cannot load, or one of whose keys it cannot decrypt, is one line
 * "path||unreadable||exception". The store password comes on stdin (one
 * line), never on the command line. Or: KeyStoreInventory --serve, then one
 * request a line on stdin (the password, then the paths, separated by NUL)
 * and its lines on stdout, ended by an empty line: many stores, one JVM.
 */
public class KeyStoreInventory {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        if (args.length == 1 && args[0].equals("--serve")) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] fields = line.split("\u0000", -1);
                report(java.util.Arrays.copyOfRange(fields, 1, fields.length), fields[0].toCharArray());
                System.out.println();
                System.out.flush();
            }
            return;
        }
        report(args, in.readLine().toCharArray());
    }

    static void report(String[] paths, char[] password) {
        for (String path : paths) {
            try {
                System.out.print(inventory(path, password));
            } catch (Exception e) {
                String why = String.valueOf(e).replaceAll("[|\\r\\n]", " ");
                System.out.println(path + "||unreadable||" + why);
            }
        }
    }

    /** A store's lines, all or none: a store Java cannot load whole is "unreadable", with why. */
    static String inventory(String path, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance(new File(path), password);
        List<String> aliases = Collections.list(ks.aliases());
        Collections.sort(aliases);
        StringBuilder lines = new StringBuilder();
        for (String alias : aliases) {
            lines.append(path).append('|').append(alias).append('|').append(describe(ks, alias, password)).append('\n');
        }
        return lines.toString();
    }

    static String describe(KeyStore ks, String alias, char[] password) throws Exception {
        if (ks.isCertificateEntry(alias)) {
            return "trusted-cert|" + sha256(ks.getCertificate(alias).getEncoded()) + "|";
        }
        Key key = ks.getKey(alias, password);
        if (key instanceof PrivateKey) {
            Certificate[] chain = ks.getCertificateChain(alias);
            List<String> prints = new ArrayList<>();
            for (Certificate c : chain) prints.add(sha256(c.getEncoded()));
            return "private-key|" + String.join(",", prints) + "|" + check((PrivateKey) key, chain[0]);
        }
        return "secret-key||" + key.getAlgorithm() + " " + key.getEncoded().length * 8 + " "
                + sha256(key.getEncoded());
    }

    static String check(PrivateKey key, Certificate leaf) throws Exception {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "jkstool".getBytes();
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(leaf.getPublicKey());
        verifier.update(probe);
        return verifier.verify(signature) ? "key-ok" : "key-mismatch";
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
