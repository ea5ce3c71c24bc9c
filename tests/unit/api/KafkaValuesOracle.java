import org.apache.kafka.connect.data.*;
import java.nio.file.*;
import java.util.*;
// Prints Values.parseString of each hex-encoded line, hex-encoded: see kafka_values_answers.py.
public class KafkaValuesOracle {
    static String unhex(String h) throws Exception {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, "UTF-8");
    }
    static String schema(Schema s) {
        if (s == null) return "null";
        String n = s.name() != null ? s.name().replace("org.apache.kafka.connect.data.", "") : s.type().toString();
        if (s.type() == Schema.Type.ARRAY) return "ARRAY<" + schema(s.valueSchema()) + ">";
        if (s.type() == Schema.Type.MAP) return "MAP<" + schema(s.keySchema()) + "," + schema(s.valueSchema()) + ">";
        if ("Decimal".equals(n)) return "Decimal(" + s.parameters().get("scale") + ")";
        return n + (s.isOptional() ? "?" : "");
    }
    static String value(Object v) {
        if (v == null) return "null";
        if (v instanceof java.util.Date) return "D" + ((java.util.Date) v).getTime();
        if (v instanceof List) { StringBuilder b = new StringBuilder("["); for (Object o : (List) v) { if (b.length() > 1) b.append(","); b.append(value(o)); } return b.append("]").toString(); }
        if (v instanceof Map) { StringBuilder b = new StringBuilder("{"); for (Object e : ((Map) v).entrySet()) { Map.Entry en = (Map.Entry) e; if (b.length() > 1) b.append(","); b.append(value(en.getKey())).append(":").append(value(en.getValue())); } return b.append("}").toString(); }
        if (v instanceof String) return "S" + v;
        if (v instanceof Float || v instanceof Double) return "F:" + Double.doubleToLongBits(((Number) v).doubleValue());
        if (v instanceof java.math.BigDecimal) return "BD:" + v;
        if (v instanceof Number) return "N:" + v;
        if (v instanceof Boolean) return "B:" + v;
        return v.getClass().getSimpleName() + ":" + v;
    }
    public static void main(String[] args) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            String out;
            try {
                SchemaAndValue sv = Values.parseString(unhex(line.trim()));
                out = sv == null ? "null" : schema(sv.schema()) + " " + value(sv.value());
            } catch (Exception e) { out = "E:" + e.getClass().getSimpleName(); }
            System.out.println(java.util.HexFormat.of().formatHex(out.getBytes("UTF-8")));
        }
    }
}
