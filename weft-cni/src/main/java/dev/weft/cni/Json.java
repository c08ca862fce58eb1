package dev.weft.cni;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer, so the CNI needs no JSON library on its class
 * path.
 *
 * <p>Values map to Java as: object to {@code Map<String, Object>} (insertion ordered), array to
 * {@code List<Object>}, string to {@link String}, integer to {@link Long} (or {@link BigInteger}
 * beyond 64 bits), other numbers to {@link Double}, {@code true}/{@code false} to {@link Boolean},
 * {@code null} to Java {@code null}. Strict means: no comments, no trailing commas, no leading
 * zeros, no raw control characters in strings, no duplicate keys, nothing after the value.
 */
public final class Json {
  private static final int MAX_DEPTH = 256;

  private final String text;
  private int pos;
  private int depth;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value that must span the whole text (surrounding whitespace aside). */
  public static Object parse(String text) throws JsonException {
    Json reader = new Json(text);
    reader.skipWhitespace();
    Object value = reader.readValue();
    reader.skipWhitespace();
    if (reader.pos < text.length()) {
      throw reader.error("expected end of input after the JSON value, found " + reader.describe());
    }
    return value;
  }

  /** Writes {@code value} as compact JSON; throws IllegalArgumentException for non-JSON values. */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    writeValue(out, value);
    return out.toString();
  }

  private Object readValue() throws JsonException {
    if (pos >= text.length()) {
      throw error("expected a JSON value, found end of input");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return readObject();
      case '[':
        return readArray();
      case '"':
        return readString();
      case 't':
        return readLiteral("true", Boolean.TRUE);
      case 'f':
        return readLiteral("false", Boolean.FALSE);
      case 'n':
        return readLiteral("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return readNumber();
        }
        throw error("expected a JSON value, found " + describe());
    }
  }

  private Map<String, Object> readObject() throws JsonException {
    enter();
    pos++; // '{'
    Map<String, Object> object = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      depth--;
      return object;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a string key in object, found " + describe());
      }
      int keyPos = pos;
      String key = readString();
      if (object.containsKey(key)) {
        pos = keyPos;
        throw error("duplicate key \"" + key + "\" in object");
      }
      skipWhitespace();
      expect(':', "after object key");
      skipWhitespace();
      object.put(key, readValue());
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        depth--;
        return object;
      } else {
        throw error("expected ',' or '}' after object member, found " + describe());
      }
    }
  }

  private List<Object> readArray() throws JsonException {
    enter();
    pos++; // '['
    List<Object> array = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      depth--;
      return array;
    }
    while (true) {
      skipWhitespace();
      array.add(readValue());
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        depth--;
        return array;
      } else {
        throw error("expected ',' or ']' after array element, found " + describe());
      }
    }
  }

  private void enter() throws JsonException {
    if (++depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private String readString() throws JsonException {
    pos++; // opening quote
    StringBuilder out = null;
    int start = pos;
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string, found end of input");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        String s =
            out == null ? text.substring(start, pos) : out.append(text, start, pos).toString();
        pos++;
        return s;
      }
      if (c < 0x20) {
        throw error("control character " + describe() + " must be escaped in a string");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (out == null) {
        out = new StringBuilder();
      }
      out.append(text, start, pos);
      pos++;
      if (pos >= text.length()) {
        throw error("unterminated escape in string, found end of input");
      }
      char e = text.charAt(pos);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> out.append(readHex4());
        default -> throw error("invalid escape \\" + e + " in string");
      }
      pos++;
      start = pos;
    }
  }

  /** Reads XXXX after {@code \\u}; leaves pos on the last hex digit. */
  private char readHex4() throws JsonException {
    int value = 0;
    for (int i = 1; i <= 4; i++) {
      int at = pos + i;
      int digit = at < text.length() ? Character.digit(text.charAt(at), 16) : -1;
      if (digit < 0) {
        pos = Math.min(at, text.length());
        throw error("expected 4 hex digits after \\u, found " + describe());
      }
      value = value * 16 + digit;
    }
    pos += 4;
    return (char) value;
  }

  private Object readNumber() throws JsonException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zeros are not allowed in numbers");
      }
    } else if (isDigit(peek())) {
      skipDigits();
    } else {
      throw error("expected a digit, found " + describe());
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after the decimal point, found " + describe());
      }
      skipDigits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent, found " + describe());
      }
      skipDigits();
    }
    String literal = text.substring(start, pos);
    if (integral) {
      BigInteger big = new BigInteger(literal);
      return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }
    double d = Double.parseDouble(literal);
    if (Double.isInfinite(d)) {
      pos = start;
      throw error("number " + literal + " is out of range");
    }
    return d;
  }

  private void skipDigits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private Object readLiteral(String literal, Object value) throws JsonException {
    if (!text.startsWith(literal, pos)) {
      throw error("expected a JSON value, found " + describe());
    }
    pos += literal.length();
    return value;
  }

  private void expect(char c, String where) throws JsonException {
    if (peek() != c) {
      throw error("expected '" + c + "' " + where + ", found " + describe());
    }
    pos++;
  }

  /** The current character, or NUL at end of input (NUL never matches what callers look for). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private String describe() {
    if (pos >= text.length()) {
      return "end of input";
    }
    char c = text.charAt(pos);
    if (c < 0x20 || c == 0x7f) {
      return String.format("U+%04X", (int) c);
    }
    return "'" + c + "'";
  }

  private JsonException error(String problem) {
    int line = 1;
    int lineStart = 0;
    int end = Math.min(pos, text.length());
    for (int i = 0; i < end; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new JsonException(problem, line, end - lineStart + 1);
  }

  private static void writeValue(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      writeString(out, s);
    } else if (value instanceof Boolean b) {
      out.append(b.booleanValue());
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger) {
      out.append(value);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("JSON has no representation for " + d);
      }
      // Double.toString is valid JSON ("1.0E10" included) and round-trips exactly.
      out.append(value instanceof Float ? Float.toString((Float) value) : Double.toString(d));
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw new IllegalArgumentException("JSON object keys must be strings: " + e.getKey());
        }
        if (!first) {
          out.append(',');
        }
        first = false;
        writeString(out, key);
        out.append(':');
        writeValue(out, e.getValue());
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        writeValue(out, list.get(i));
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          boolean loneSurrogate =
              Character.isSurrogate(c)
                  && !(Character.isHighSurrogate(c)
                          && i + 1 < s.length()
                          && Character.isLowSurrogate(s.charAt(i + 1))
                      || Character.isLowSurrogate(c)
                          && i > 0
                          && Character.isHighSurrogate(s.charAt(i - 1)));
          // A lone surrogate cannot be encoded as UTF-8; escaping it keeps the string intact.
          if (c < 0x20 || c == 0x7f || loneSurrogate) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
