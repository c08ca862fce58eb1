package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.linux.KernelState.Link;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Network;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reconciliation's decisions without a kernel: a kernel that holds a state as given. */
class DiffTest {
  private final Scenario s = new Scenario().build();
  private final NodeState n1 = s.render(Scenario.NODE1);

  @AfterEach
  void close() {
    s.close();
  }

  /** A kernel holding exactly {@code state}, its pods' veths made by the CNI. */
  static KernelState holding(NodeState state) {
    Set<String> devices = new HashSet<>();
    state.networks().forEach(n -> devices.add(n.device()));
    state.interfaces().forEach(p -> devices.add(p.hostDevice()));
    return KernelState.assumed(state, devices);
  }

  @Test
  void aKernelThatHoldsTheStateNeedsNothing() {
    Diff d = Diff.of(holding(n1), n1);
    assertThat(d.isEmpty()).as("%s", d).isTrue();
    assertThat(d.changes()).isZero();
  }

  @Test
  void anEmptyKernelGetsEverythingButThePodsRoutesUntilTheirVethsExist() {
    KernelState empty =
        new KernelState(
            Map.of(),
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            Map.of(),
            KernelState.NftTable.ABSENT);
    Diff d = Diff.of(empty, n1);
    assertThat(d.waiting()).hasSize(n1.interfaces().size());
    assertThat(d.ip()).filteredOn(l -> l.startsWith("link add")).hasSize(n1.networks().size());
    assertThat(d.ip()).noneMatch(l -> l.contains("wfp") && l.startsWith("route"));
    assertThat(d.nft()).startsWith("add table inet weft\n");
    assertThat(d.ip6()).isEmpty();
  }

  @Test
  void onlyWhatIsMissingOrExtraIsChanged() {
    KernelState k = holding(n1);
    List<IpRoute> routes = new ArrayList<>(k.routes());
    IpRoute lost = routes.remove(3);
    List<IpRule> rules = new ArrayList<>(k.rules());
    IpRule stray = new IpRule(4, 1001, "wfp000000000000", 0, 0, Naming.VNI_MIN);
    rules.add(stray);
    Map<String, Nft.Set> sets = new LinkedHashMap<>(k.nft().sets());
    Nft.Set svc = sets.get("svc4");
    sets.put(
        svc.name(),
        new Nft.Set(
            svc.name(), svc.key(), svc.interval(), svc.value(), svc.elements().subList(1, 2)));
    Map<String, KernelState.Chain> chains = new LinkedHashMap<>(k.nft().chains());
    chains.put(
        "fwd_filter",
        new KernelState.Chain("fwd_filter", chains.get("fwd_filter").base(), List.of("w-by-hand")));
    Map<String, Link> links = new LinkedHashMap<>(k.links());
    links.put(
        "wfpdeadbeef0001",
        new Link("wfpdeadbeef0001", "veth", true, 1450, "02:00:00:00:00:01", null));
    links.put("eth0", new Link("eth0", "veth", true, 1500, "02:00:00:00:00:02", null));
    KernelState changed =
        new KernelState(
            links,
            routes,
            rules,
            k.neighbors(),
            k.fdb(),
            k.sysctls(),
            new KernelState.NftTable(true, sets, chains));

    Diff d = Diff.of(changed, n1);

    assertThat(d.ip())
        .containsExactly(
            "link del dev wfpdeadbeef0001",
            "route replace " + lost.args(),
            "rule del " + stray.args());
    assertThat(d.nft())
        .isEqualTo(
            "flush chain inet weft fwd_filter\n"
                + n1.nft().chain("fwd_filter").rules().stream()
                    .map(r -> NftScript.addRule("fwd_filter", r))
                    .reduce("", String::concat)
                + NftScript.elements(
                    "add",
                    svc,
                    svc.elements().stream().filter(e -> e != svc.elements().get(1)).toList()));
    assertThat(d.counts())
        .containsEntry("links", 1)
        .containsEntry("routes", 1)
        .containsEntry("rules", 1);
  }

  @Test
  void anEmptyStateRemovesEverythingWeftOwnsAndNothingElse() {
    Diff d = Diff.of(holding(n1), NodeState.empty(Scenario.NODE1));
    assertThat(d.ip())
        .filteredOn(l -> l.startsWith("link del"))
        .hasSize(n1.networks().size() + n1.interfaces().size());
    assertThat(d.ip()).filteredOn(l -> l.startsWith("rule del")).hasSize(n1.rules().size());
    assertThat(d.nft()).isEqualTo("delete table inet weft\n");
    // Routes and neighbours go with their devices; routes on no device are deleted one by one.
    assertThat(d.ip())
        .filteredOn(l -> l.startsWith("route del"))
        .allMatch(l -> l.contains("unreachable") || l.contains("blackhole"));
  }

  @Test
  void aChangedVxlanDeviceIsRecreatedWithWhatWasOnIt() {
    KernelState k = holding(n1);
    Network red = n1.network(s.red.fqName());
    Map<String, Link> links = new LinkedHashMap<>(k.links());
    links.put(
        red.device(),
        new Link(
            red.device(),
            "vxlan",
            true,
            1450,
            red.vtepMac(),
            new KernelState.Vxlan(red.vni(), "172.31.250.99", Naming.VXLAN_PORT, false)));
    Diff d =
        Diff.of(
            new KernelState(
                links, k.routes(), k.rules(), k.neighbors(), k.fdb(), k.sysctls(), k.nft()),
            n1);
    assertThat(d.ip())
        .startsWith("link del dev " + red.device())
        .anyMatch(l -> l.startsWith("link add " + red.device()));
    assertThat(d.ip())
        .filteredOn(l -> l.startsWith("route replace"))
        .allMatch(l -> l.contains(red.device()));
    assertThat(d.bridge()).allMatch(l -> l.contains(red.device()));
    assertThat(d.sysctls()).containsExactly("net.ipv4.conf." + red.device() + ".rp_filter=0");
  }
}
