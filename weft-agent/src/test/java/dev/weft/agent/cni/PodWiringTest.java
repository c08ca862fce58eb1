package dev.weft.agent.cni;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodWiringTest {
  @Test
  void aNamedNamespaceIsEnteredWithIpAndAnyOtherPathWithNsenter() {
    assertThat(PodWiring.podIp("/var/run/netns/cni-1234", "link"))
        .containsExactly("ip", "-n", "cni-1234", "link");
    assertThat(PodWiring.podIp("/run/netns/cni-1234", "link"))
        .containsExactly("ip", "-n", "cni-1234", "link");
    assertThat(PodWiring.podIp("/proc/42/ns/net", "link"))
        .containsExactly("nsenter", "--net=/proc/42/ns/net", "ip", "link");
    assertThat(PodWiring.podIp("/var/run/netns/sub/dir", "link"))
        .containsExactly("nsenter", "--net=/var/run/netns/sub/dir", "ip", "link");
  }

  @Test
  void theAddResultNamesBothEndsAndRoutesThroughTheLinkLocalGateway() {
    var p =
        new dev.weft.agent.linux.NodeState.PodInterface(
            java.util.UUID.randomUUID(),
            "x/a",
            dev.weft.model.FqName.of("d", "p", "n"),
            1 << 20,
            "wfp000000000001",
            "02:00:00:00:00:01",
            java.util.List.of("10.32.0.5", "fd00::5"),
            1450);
    var request = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    request.putObject("config").put("cniVersion", "1.0.0");
    var r = CniHandler.result(request, "/var/run/netns/x", "eth0", p);
    assertThat(r.toString())
        .isEqualTo(
            "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"wfp000000000001\",\"mac\":"
                + "\"02:77:66:74:00:01\"},{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\","
                + "\"sandbox\":\"/var/run/netns/x\",\"mtu\":1450}],\"ips\":[{\"address\":"
                + "\"10.32.0.5/32\",\"gateway\":\"169.254.1.1\",\"interface\":1},{\"address\":"
                + "\"fd00::5/128\",\"gateway\":\"fe80::1\",\"interface\":1}],\"routes\":[{\"dst\":"
                + "\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"},{\"dst\":\"::/0\",\"gw\":\"fe80::1\"}],"
                + "\"dns\":{}}");
  }
}
