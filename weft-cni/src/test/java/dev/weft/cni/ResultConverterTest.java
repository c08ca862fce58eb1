package dev.weft.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResultConverterTest {
  static final String RESULT =
      "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"weftabc\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},"
          + "{\"name\":\"eth0\",\"mac\":\"02:00:0a:20:00:05\",\"sandbox\":\"/var/run/netns/x\","
          + "\"mtu\":1450}],\"ips\":[{\"address\":\"10.32.0.5/32\",\"gateway\":\"169.254.1.1\","
          + "\"interface\":1},{\"address\":\"fd00::5/128\",\"gateway\":\"fe80::1\",\"interface\":1}],"
          + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}],\"dns\":{}}";

  @ParameterizedTest
  @EnumSource(
      value = CniVersion.class,
      names = {"V0_3_0", "V0_3_1", "V0_4_0"})
  void beforeOnePointZeroEveryIpCarriesItsVersion(CniVersion target) throws Exception {
    Map<String, Object> result = ResultConverter.convert(Json.parse(RESULT), target);
    assertThat(result).containsEntry("cniVersion", target.text());
    assertThat(ips(result))
        .extracting(ip -> ip.get("version"), ip -> ip.get("address"), ip -> ip.get("interface"))
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("4", "10.32.0.5/32", 1L),
            org.assertj.core.groups.Tuple.tuple("6", "fd00::5/128", 1L));
    assertThat(result.get("interfaces"))
        .isEqualTo(((Map<?, ?>) Json.parse(RESULT)).get("interfaces"));
  }

  @ParameterizedTest
  @EnumSource(
      value = CniVersion.class,
      names = {"V1_0_0", "V1_1_0"})
  void fromOnePointZeroIpsHaveNoVersion(CniVersion target) throws Exception {
    String withVersions = RESULT.replace("{\"address\"", "{\"version\":\"4\",\"address\"");
    Map<String, Object> result = ResultConverter.convert(Json.parse(withVersions), target);
    assertThat(result).containsEntry("cniVersion", target.text());
    assertThat(ips(result)).allSatisfy(ip -> assertThat(ip).doesNotContainKey("version"));
    assertThat(result.keySet()).containsExactly("cniVersion", "interfaces", "ips", "routes", "dns");
  }

  @Test
  void aResultThatIsNotAResultIsCode5() {
    assertThatThrownBy(() -> ResultConverter.convert(List.of(), CniVersion.V1_0_0))
        .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(5));
    assertThatThrownBy(
            () -> ResultConverter.convert(Json.parse("{\"ips\":[{\"a\":1}]}"), CniVersion.V0_4_0))
        .isInstanceOfSatisfying(
            CniException.class,
            e -> assertThat(e.details()).contains("result.ips[0]").contains("\"address\""));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> ips(Map<String, Object> result) {
    return (List<Map<String, Object>>) result.get("ips");
  }
}
