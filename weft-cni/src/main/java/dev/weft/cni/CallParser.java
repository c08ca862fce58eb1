package dev.weft.cni;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates the CNI environment and the network configuration into a {@link CniCall}: the edge
 * where kubelet's input is checked, so everything past it trusts its values.
 */
public final class CallParser {
  /** The CNI spec's rule for network names. */
  private static final Pattern NETWORK_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*");

  /** Keys kubelet (and libcni) put in CNI_ARGS; others need IgnoreUnknown. */
  private static final Set<String> KNOWN_ARGS =
      Set.of(
          "IgnoreUnknown",
          "K8S_POD_NAMESPACE",
          "K8S_POD_NAME",
          "K8S_POD_UID",
          "K8S_POD_INFRA_CONTAINER_ID");

  private CallParser() {}

  /** The command in {@code CNI_COMMAND}; code 4 when missing or unknown. */
  public static Command command(Map<String, String> env) throws CniException {
    String value = env.get("CNI_COMMAND");
    if (value == null || value.isEmpty()) {
      throw new CniException(
          ErrorCodes.INVALID_ENVIRONMENT,
          "required environment variable CNI_COMMAND is missing",
          "expected one of ADD, DEL, CHECK, STATUS, GC, VERSION");
    }
    try {
      return Command.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new CniException(
          ErrorCodes.INVALID_ENVIRONMENT,
          "environment variable CNI_COMMAND has an unknown value",
          "expected one of ADD, DEL, CHECK, STATUS, GC, VERSION, found \"" + value + "\"");
    }
  }

  /**
   * Validates a non-VERSION call given its already parsed config (parsed first, so errors can be
   * reported in the config's version): the environment the command needs, whether the version has
   * the command, and CNI_ARGS.
   */
  public static CniCall call(Command command, Map<String, String> env, NetConf conf)
      throws CniException {
    List<String> required = new ArrayList<>();
    switch (command) {
      case ADD, CHECK -> required.addAll(List.of("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"));
      case DEL -> required.addAll(List.of("CNI_CONTAINERID", "CNI_IFNAME"));
      default -> {}
    }
    if (command == Command.ADD || command == Command.DEL || command == Command.CHECK) {
      required.add("CNI_PATH");
    }
    List<String> missing = new ArrayList<>();
    for (String name : required) {
      String value = env.get(name);
      if (value == null || value.isEmpty()) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new CniException(
          ErrorCodes.INVALID_ENVIRONMENT,
          "required environment variable"
              + (missing.size() > 1 ? "s " : " ")
              + String.join(", ", missing)
              + (missing.size() > 1 ? " are" : " is")
              + " missing",
          "CNI_COMMAND=" + command + " needs " + String.join(", ", required));
    }
    if (!conf.cniVersion().has(command)) {
      throw new CniException(
          ErrorCodes.INCOMPATIBLE_VERSION,
          "incompatible CNI version",
          command
              + " needs cniVersion "
              + CniVersion.introducing(command).text()
              + " or later, the network configuration has "
              + conf.cniVersion().text());
    }
    Map<String, String> args = args(env.getOrDefault("CNI_ARGS", ""));
    boolean perContainer = command != Command.STATUS && command != Command.GC;
    String netns = env.get("CNI_NETNS");
    return new CniCall(
        command,
        perContainer ? env.get("CNI_CONTAINERID") : null,
        perContainer ? netns : null,
        perContainer ? env.get("CNI_IFNAME") : null,
        args,
        env.get("CNI_PATH"),
        conf);
  }

  /**
   * Parses {@code CNI_ARGS} ({@code K=V;K=V}); code 4 for a malformed pair, a repeated key, or a
   * key we do not know unless {@code IgnoreUnknown} is true.
   */
  public static Map<String, String> args(String cniArgs) throws CniException {
    Map<String, String> args = new LinkedHashMap<>();
    if (cniArgs.isEmpty()) {
      return args;
    }
    String[] pairs = cniArgs.split(";", -1);
    for (int i = 0; i < pairs.length; i++) {
      String pair = pairs[i];
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new CniException(
            ErrorCodes.INVALID_ENVIRONMENT,
            "environment variable CNI_ARGS is malformed",
            "expected K=V pairs separated by ';', found \"" + pair + "\" as pair " + (i + 1));
      }
      String key = pair.substring(0, eq);
      if (args.put(key, pair.substring(eq + 1)) != null) {
        throw new CniException(
            ErrorCodes.INVALID_ENVIRONMENT,
            "environment variable CNI_ARGS is malformed",
            "key " + key + " appears more than once");
      }
    }
    String ignoreUnknown = args.getOrDefault("IgnoreUnknown", "false");
    if (!ignoreUnknown.equalsIgnoreCase("true") && !ignoreUnknown.equals("1")) {
      for (String key : args.keySet()) {
        if (!KNOWN_ARGS.contains(key)) {
          throw new CniException(
              ErrorCodes.INVALID_ENVIRONMENT,
              "environment variable CNI_ARGS has an unknown key",
              "unknown key "
                  + key
                  + "; known keys are "
                  + String.join(", ", KNOWN_ARGS.stream().sorted().toList())
                  + ", or set IgnoreUnknown=1");
        }
      }
    }
    return args;
  }

  /** Parses and validates the network configuration; codes 6, 7 and 1. */
  public static NetConf netConf(byte[] stdin) throws CniException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(stdin))
              .toString();
    } catch (CharacterCodingException e) {
      throw new CniException(
          ErrorCodes.DECODE_FAILURE,
          "failed to decode the network configuration",
          "stdin is not valid UTF-8");
    }
    if (text.isBlank()) {
      throw new CniException(
          ErrorCodes.DECODE_FAILURE,
          "failed to decode the network configuration",
          "expected a JSON object on stdin, found nothing");
    }
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (JsonException e) {
      throw new CniException(
          ErrorCodes.DECODE_FAILURE,
          "failed to decode the network configuration",
          "stdin: " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?>)) {
      throw new CniException(
          ErrorCodes.INVALID_CONFIG,
          "invalid network configuration",
          "expected a JSON object, found " + kind(parsed));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> raw = (Map<String, Object>) parsed;

    String version = requiredString(raw, "cniVersion");
    CniVersion cniVersion = CniVersion.of(version);
    if (cniVersion == null) {
      throw new CniException(
          ErrorCodes.INCOMPATIBLE_VERSION,
          "incompatible CNI version",
          "cniVersion \""
              + version
              + "\" is not supported; supported versions are "
              + String.join(", ", CniVersion.supported()));
    }
    String name = requiredString(raw, "name");
    if (!NETWORK_NAME.matcher(name).matches()) {
      throw new CniException(
          ErrorCodes.INVALID_CONFIG,
          "invalid network configuration",
          "field \"name\" must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$, found \"" + name + "\"");
    }
    String type = requiredString(raw, "type");

    Path socket = NetConf.DEFAULT_AGENT_SOCKET;
    if (raw.containsKey("agentSocket")) {
      Object value = raw.get("agentSocket");
      if (!(value instanceof String s) || !s.startsWith("/")) {
        throw new CniException(
            ErrorCodes.INVALID_CONFIG,
            "invalid network configuration",
            "field \"agentSocket\" must be an absolute path, found " + describe(value));
      }
      socket = Path.of(s);
    }
    Duration timeout = NetConf.DEFAULT_TIMEOUT;
    if (raw.containsKey("timeoutSeconds")) {
      Object value = raw.get("timeoutSeconds");
      double seconds = value instanceof Number n ? n.doubleValue() : Double.NaN;
      if (!(seconds > 0 && seconds <= 3600)) {
        throw new CniException(
            ErrorCodes.INVALID_CONFIG,
            "invalid network configuration",
            "field \"timeoutSeconds\" must be a number of seconds in (0, 3600], found "
                + describe(value));
      }
      timeout = Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
    }
    return new NetConf(cniVersion, name, type, socket, timeout, Collections.unmodifiableMap(raw));
  }

  private static String requiredString(Map<String, Object> raw, String field) throws CniException {
    Object value = raw.get(field);
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new CniException(
          ErrorCodes.INVALID_CONFIG,
          "invalid network configuration",
          "field \""
              + field
              + "\" must be a non-empty string, found "
              + (raw.containsKey(field) ? describe(value) : "nothing"));
    }
    return s;
  }

  static String describe(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : kind(value) + " " + Json.write(value);
  }

  static String kind(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof Map) {
      return "an object";
    } else if (value instanceof List) {
      return "an array";
    } else if (value instanceof String) {
      return "a string";
    } else if (value instanceof Boolean) {
      return "a boolean";
    }
    return "a number";
  }
}
