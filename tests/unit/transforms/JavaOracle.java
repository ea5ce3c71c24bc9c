import java.text.*;
import java.util.*;
import java.util.regex.*;
import java.io.*;
import java.nio.file.*;

// Prints, per hex-encoded case line (F pattern millis | P pattern text | FP pattern millis | R regex text
// replacement), what OpenJDK answers, hex-encoded: see java17_answers.py.
public class JavaOracle {
    static String unhex(String h) throws Exception {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, "UTF-8");
    }
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]));
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            for (int i = 1; i < f.length; i++) f[i] = unhex(f[i]);
            String out;
            try {
                switch (f[0]) {
                    case "F": {
                        SimpleDateFormat fmt = new SimpleDateFormat(f[1], Locale.ENGLISH);
                        fmt.setTimeZone(TimeZone.getTimeZone("UTC"));
                        out = fmt.format(new Date(Long.parseLong(f[2])));
                        break;
                    }
                    case "P": {
                        SimpleDateFormat fmt = new SimpleDateFormat(f[1], Locale.ENGLISH);
                        fmt.setTimeZone(TimeZone.getTimeZone("UTC"));
                        out = Long.toString(fmt.parse(f[2]).getTime());
                        break;
                    }
                    case "FP": {
                        SimpleDateFormat fmt = new SimpleDateFormat(f[1], Locale.ENGLISH);
                        fmt.setTimeZone(TimeZone.getTimeZone("UTC"));
                        String text = fmt.format(new Date(Long.parseLong(f[2])));
                        out = text + "|" + fmt.parse(text).getTime();
                        break;
                    }
                    case "R": {
                        Pattern p = Pattern.compile(f[1]);
                        Matcher m = p.matcher(f[2]);
                        if (m.matches()) out = "M:" + m.replaceFirst(f[3]);
                        else out = "N";
                        break;
                    }
                    default: out = "?";
                }
            } catch (Exception e) {
                out = "E:" + e.getClass().getSimpleName();
            }
            System.out.println(java.util.HexFormat.of().formatHex(out.getBytes("UTF-8")));
        }
    }
}
