package dev.weft.cni;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts the agent's CNI 1.0 result into the result version the network configuration asks for.
 * Between 0.3.0 and 1.1.0 the only difference in the fields Weft returns is {@code "version"} in
 * each IP: required before 1.0.0, gone since.
 */
public final class ResultConverter {
  private ResultConverter() {}

  /**
   * Returns a new result in version {@code target}; code 5 when {@code result} is not shaped like a
   * CNI result (the agent broke the protocol).
   */
  public static Map<String, Object> convert(Object result, CniVersion target) throws CniException {
    if (!(result instanceof Map<?, ?> map)) {
      throw invalid("\"result\" must be an object, found " + CallParser.kind(result));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cniVersion", target.text());
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = (String) e.getKey();
      if (key.equals("cniVersion")) {
        continue;
      }
      out.put(key, key.equals("ips") ? convertIps(e.getValue(), target) : e.getValue());
    }
    return out;
  }

  private static List<Object> convertIps(Object ips, CniVersion target) throws CniException {
    if (!(ips instanceof List<?> list)) {
      throw invalid("\"result.ips\" must be an array, found " + CallParser.kind(ips));
    }
    List<Object> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> ip)
          || !(ip.get("address") instanceof String address)) {
        throw invalid("\"result.ips[" + i + "]\" must be an object with a string \"address\"");
      }
      Map<String, Object> converted = new LinkedHashMap<>();
      if (target.ipsCarryVersion()) {
        converted.put("version", address.indexOf(':') >= 0 ? "6" : "4");
      }
      for (Map.Entry<?, ?> e : ip.entrySet()) {
        if (!e.getKey().equals("version")) {
          converted.put((String) e.getKey(), e.getValue());
        }
      }
      out.add(converted);
    }
    return out;
  }

  private static CniException invalid(String details) {
    return new CniException(ErrorCodes.IO_FAILURE, "invalid answer from the weft agent", details);
  }
}
