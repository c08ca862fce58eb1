package dev.weft.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JsonTest {

  @Test
  void parsesEveryKindOfValue() throws JsonException {
    Object value =
        Json.parse(
            " {\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"i\": -12, \"big\":"
                + " 123456789012345678901234567890, \"d\": 1.5e3, \"t\": true, \"f\": false,"
                + " \"n\": null, \"a\": [1, [], {}]} ");
    assertThat(value)
        .isEqualTo(
            map(
                "s",
                "a\"b\\c/d\b\f\n\r\té\uD83D\uDE00",
                "i",
                -12L,
                "big",
                new BigInteger("123456789012345678901234567890"),
                "d",
                1500.0,
                "t",
                true,
                "f",
                false,
                "n",
                null,
                "a",
                List.of(1L, List.of(), Map.of())));
  }

  @Test
  void keepsObjectKeysInDocumentOrder() throws JsonException {
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) Json.parse("{\"z\":1,\"a\":2,\"m\":3}");
    assertThat(map.keySet()).containsExactly("z", "a", "m");
    assertThat(Json.write(map)).isEqualTo("{\"z\":1,\"a\":2,\"m\":3}");
  }

  @Test
  void writesEscapesThatParseBack() throws JsonException {
    String nasty = "q\"b\\n\nt\tc\u0001del\u007fhigh\uD800 low\uDC00 pair\uD83D\uDE00";
    String json = Json.write(nasty);
    assertThat(json).doesNotContain("\n").contains("\\u0001").contains("\\ud800");
    assertThat(Json.parse(json)).isEqualTo(nasty);
  }

  @Test
  void refusesValuesJsonCannotRepresent() {
    assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("", 1, 1, "expected a JSON value, found end of input"),
        Arguments.of("{\"a\":1,}", 1, 8, "expected a string key"),
        Arguments.of("[1,]", 1, 4, "expected a JSON value, found ']'"),
        Arguments.of("{\n  \"a\": 01\n}", 2, 9, "leading zeros"),
        Arguments.of("{\"a\" 1}", 1, 6, "expected ':' after object key, found '1'"),
        Arguments.of("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"),
        Arguments.of("[1 2]", 1, 4, "expected ',' or ']'"),
        Arguments.of("\"abc", 1, 5, "unterminated string"),
        Arguments.of("\"a\tb\"", 1, 3, "control character U+0009"),
        Arguments.of("\"\\x\"", 1, 3, "invalid escape \\x"),
        Arguments.of("\"\\u12G4\"", 1, 6, "expected 4 hex digits"),
        Arguments.of("tru", 1, 1, "expected a JSON value, found 't'"),
        Arguments.of("-", 1, 2, "expected a digit"),
        Arguments.of("1.", 1, 3, "after the decimal point"),
        Arguments.of("1e+", 1, 4, "in the exponent"),
        Arguments.of("1e999", 1, 1, "out of range"),
        Arguments.of("{} x", 1, 4, "expected end of input after the JSON value, found 'x'"),
        Arguments.of("{\"a\":1,\n\"a\":2}", 2, 1, "duplicate key \"a\""),
        Arguments.of("// c\n{}", 1, 1, "expected a JSON value, found '/'"),
        Arguments.of("[".repeat(300), 1, 257, "nesting deeper than 256"));
  }

  @ParameterizedTest(name = "[{index}] {3}")
  @MethodSource("malformed")
  void rejectsMalformedTextNamingLineAndColumn(String text, int line, int column, String problem) {
    assertThatThrownBy(() -> Json.parse(text))
        .isInstanceOfSatisfying(
            JsonException.class,
            e -> {
              assertThat(e.line()).as("line").isEqualTo(line);
              assertThat(e.column()).as("column").isEqualTo(column);
            })
        .hasMessageStartingWith("line " + line + ", column " + column + ": ")
        .hasMessageContaining(problem);
  }

  static LongStream seeds() {
    long base = Long.getLong("weft.seed", System.nanoTime());
    return LongStream.range(0, 200).map(i -> base + i);
  }

  /** Any value the writer can write parses back equal (whitespace sprinkled in or not). */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void writeThenParseIsIdentity(long seed) throws JsonException {
    Random random = new Random(seed);
    Object value = randomValue(random, 0);
    String json = Json.write(value);
    try {
      assertThat(Json.parse(json)).isEqualTo(value);
      assertThat(Json.parse(spaced(json, random))).isEqualTo(value);
      assertThat(Json.write(Json.parse(json))).isEqualTo(json);
    } catch (AssertionError | JsonException e) {
      throw new AssertionError("seed " + seed + " (rerun with -Dweft.seed=" + seed + ")", e);
    }
  }

  private static Object randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 4 ? 6 : 8);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextBoolean() ? (long) random.nextInt(100) - 50 : random.nextLong();
      case 3 -> randomDouble(random);
      case 4, 5 -> randomString(random);
      case 6 -> {
        List<Object> list = new ArrayList<>();
        for (int i = random.nextInt(5); i > 0; i--) {
          list.add(randomValue(random, depth + 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = random.nextInt(5); i > 0; i--) {
          map.put(randomString(random), randomValue(random, depth + 1));
        }
        yield map;
      }
    };
  }

  private static double randomDouble(Random random) {
    double d =
        switch (random.nextInt(4)) {
          case 0 -> random.nextDouble();
          case 1 -> Double.longBitsToDouble(random.nextLong());
          case 2 -> -0.0;
          default -> random.nextInt(1000) / 8.0;
        };
    return Double.isFinite(d) ? d : 0.5;
  }

  private static String randomString(Random random) {
    char[] alphabet =
        "aZ09 \"\\/\n\t\r\b\f\u0000\u001f\u007féλ€\uD83D\uDE00\uD800\uDC00".toCharArray();
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(10); i > 0; i--) {
      s.append(
          random.nextInt(4) == 0
              ? (char) random.nextInt(0x10000)
              : alphabet[random.nextInt(alphabet.length)]);
    }
    return s.toString();
  }

  /** Adds JSON whitespace between tokens (never inside strings). */
  private static String spaced(String json, Random random) {
    StringBuilder out = new StringBuilder();
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      out.append(c);
      if (inString) {
        if (c == '\\') {
          out.append(json.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      }
      if (!inString && "{}[],:".indexOf(c) >= 0 && random.nextBoolean()) {
        out.append(" \n\t\r".charAt(random.nextInt(4)));
      }
    }
    return out.toString();
  }

  private static Map<String, Object> map(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put((String) keyValues[i], keyValues[i + 1]);
    }
    return map;
  }
}
