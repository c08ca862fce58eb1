package dev.weft.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CallParserTest {
  private static final String CONF =
      "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft-cni\"}";

  static Map<String, String> addEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", "ADD");
    env.put("CNI_CONTAINERID", "c1");
    env.put("CNI_NETNS", "/var/run/netns/c1");
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_PATH", "/opt/cni/bin");
    env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=dev;K8S_POD_NAME=web-0;K8S_POD_UID=u-1");
    return env;
  }

  private static NetConf conf(String json) throws CniException {
    return CallParser.netConf(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void validAddBecomesACallWithEveryArgumentKept() throws CniException {
    CniCall call = CallParser.call(Command.ADD, addEnv(), conf(CONF));
    assertThat(call.command()).isEqualTo(Command.ADD);
    assertThat(call.containerId()).isEqualTo("c1");
    assertThat(call.netns()).isEqualTo("/var/run/netns/c1");
    assertThat(call.ifName()).isEqualTo("eth0");
    assertThat(call.path()).isEqualTo("/opt/cni/bin");
    assertThat(call.args())
        .containsExactly(
            Map.entry("IgnoreUnknown", "1"),
            Map.entry("K8S_POD_NAMESPACE", "dev"),
            Map.entry("K8S_POD_NAME", "web-0"),
            Map.entry("K8S_POD_UID", "u-1"));
  }

  @Test
  void configDefaultsToTheStandardSocketAndSixtySeconds() throws CniException {
    NetConf conf = conf(CONF);
    assertThat(conf.agentSocket()).isEqualTo(Path.of("/run/weft/cni.sock"));
    assertThat(conf.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(conf.agentTimeoutMillis()).isEqualTo(55_000);
    assertThat(conf.raw()).containsEntry("type", "weft-cni");
  }

  @Test
  void configChoosesSocketAndTimeout() throws CniException {
    NetConf conf =
        conf(
            "{\"cniVersion\":\"0.3.1\",\"name\":\"weft\",\"type\":\"weft-cni\","
                + "\"agentSocket\":\"/tmp/a.sock\",\"timeoutSeconds\":2}");
    assertThat(conf.cniVersion()).isEqualTo(CniVersion.V0_3_1);
    assertThat(conf.agentSocket()).isEqualTo(Path.of("/tmp/a.sock"));
    assertThat(conf.agentTimeoutMillis()).isEqualTo(1_800).isLessThan(2_000);
  }

  @Test
  void missingCommandIsCode4NamingIt() {
    assertThatThrownBy(() -> CallParser.command(Map.of()))
        .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(4))
        .hasMessageContaining("CNI_COMMAND");
  }

  @Test
  void unknownCommandIsCode4() {
    assertThatThrownBy(() -> CallParser.command(Map.of("CNI_COMMAND", "ATTACH")))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> {
              assertThat(e.code()).isEqualTo(4);
              assertThat(e.details()).contains("\"ATTACH\"");
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"})
  void addWithoutARequiredVariableIsCode4NamingIt(String variable) {
    Map<String, String> env = addEnv();
    env.remove(variable);
    assertThatThrownBy(() -> CallParser.call(Command.ADD, env, conf(CONF)))
        .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(4))
        .hasMessage("required environment variable " + variable + " is missing");
  }

  @Test
  void everyMissingVariableIsNamedAtOnce() {
    Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_NETNS", "");
    assertThatThrownBy(() -> CallParser.call(Command.ADD, env, conf(CONF)))
        .hasMessage(
            "required environment variables CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH"
                + " are missing");
  }

  @Test
  void delNeedsNoNetns() throws CniException {
    Map<String, String> env = addEnv();
    env.remove("CNI_NETNS");
    CniCall call = CallParser.call(Command.DEL, env, conf(CONF));
    assertThat(call.netns()).isNull();
    assertThat(Plugin.request(call)).containsEntry("netns", "");
  }

  @Test
  void statusAndGcNeedOnlyTheCommand() throws CniException {
    NetConf conf = conf(CONF.replace("1.0.0", "1.1.0"));
    CniCall status = CallParser.call(Command.STATUS, Map.of("CNI_COMMAND", "STATUS"), conf);
    assertThat(status.containerId()).isNull();
    assertThat(Plugin.request(status)).doesNotContainKeys("containerId", "netns", "ifName");
  }

  @ParameterizedTest
  @CsvSource({
    "CHECK, 0.3.1, 0.4.0",
    "STATUS, 1.0.0, 1.1.0",
    "GC, 0.4.0, 1.1.0",
  })
  void commandsNewerThanTheConfigVersionAreCode1(
      Command command, String version, String introduced) {
    assertThatThrownBy(
            () -> CallParser.call(command, addEnv(), conf(CONF.replace("1.0.0", version))))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> {
              assertThat(e.code()).isEqualTo(1);
              assertThat(e.details())
                  .isEqualTo(
                      command
                          + " needs cniVersion "
                          + introduced
                          + " or later, the network configuration has "
                          + version);
            });
  }

  @Test
  void cniArgsKeepUnknownKeysWithIgnoreUnknown() throws CniException {
    assertThat(CallParser.args("IgnoreUnknown=true;FOO=bar;K8S_POD_NAME=a=b"))
        .containsEntry("FOO", "bar")
        .containsEntry("K8S_POD_NAME", "a=b");
    assertThat(CallParser.args("")).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "K8S_POD_NAME=a;;K8S_POD_UID=b | found \"\" as pair 2",
        "novalue | found \"novalue\" as pair 1",
        "=x | found \"=x\" as pair 1",
        "K8S_POD_NAME=a;K8S_POD_NAME=b | key K8S_POD_NAME appears more than once",
        "FOO=bar | unknown key FOO",
        "IgnoreUnknown=0;FOO=bar | unknown key FOO",
      })
  void malformedCniArgsAreCode4(String cniArgs, String details) {
    assertThatThrownBy(() -> CallParser.args(cniArgs))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> {
              assertThat(e.code()).isEqualTo(4);
              assertThat(e.msg()).contains("CNI_ARGS");
              assertThat(e.details()).contains(details);
            });
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | 6 | expected a JSON object on stdin, found nothing",
        "{\"cniVersion\": | 6 | stdin: line 1, column 15: expected a JSON value",
        "{\"cniVersion\":\"1.0.0\", \"name\" \"x\"} | 6 | stdin: line 1, column 31: expected ':'",
        "[1] | 7 | expected a JSON object, found an array",
        "{\"name\":\"weft\",\"type\":\"t\"} | 7 | field \"cniVersion\" must be a non-empty string, found nothing",
        "{\"cniVersion\":1,\"name\":\"weft\",\"type\":\"t\"} | 7 | field \"cniVersion\" must be a non-empty string, found a number 1",
        "{\"cniVersion\":\"1.0.0\",\"type\":\"t\"} | 7 | field \"name\" must be a non-empty string",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"-x\",\"type\":\"t\"} | 7 | field \"name\" must match",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\"} | 7 | field \"type\" must be a non-empty string",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"t\",\"agentSocket\":\"rel.sock\"} | 7 | field \"agentSocket\" must be an absolute path, found \"rel.sock\"",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"t\",\"timeoutSeconds\":0} | 7 | field \"timeoutSeconds\" must be a number of seconds in (0, 3600], found a number 0",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"t\",\"timeoutSeconds\":\"9\"} | 7 | found \"9\"",
        "{\"cniVersion\":\"0.2.0\",\"name\":\"weft\",\"type\":\"t\"} | 1 | cniVersion \"0.2.0\" is not supported; supported versions are 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0",
        "{\"cniVersion\":\"2.0.0\",\"name\":\"weft\",\"type\":\"t\"} | 1 | cniVersion \"2.0.0\" is not supported",
      })
  void badConfigurationIsRejectedWithTheSpecCode(String json, int code, String details) {
    assertThatThrownBy(() -> conf(json))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.details()).contains(details);
            });
  }

  @Test
  void configThatIsNotUtf8IsCode6() {
    assertThatThrownBy(() -> CallParser.netConf(new byte[] {'{', (byte) 0xff, '}'}))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> {
              assertThat(e.code()).isEqualTo(6);
              assertThat(e.details()).isEqualTo("stdin is not valid UTF-8");
            });
  }
}
