package dev.weft.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ConflictException;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PolicyLinksTest {
  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore store = new ObjectStore(kv);
  private final PolicyLinks links = new PolicyLinks(store.cache());
  private final Project project =
      create(new Project(UUID.randomUUID(), FqName.of("default-domain", "p"), null, Map.of()));

  @AfterEach
  void close() {
    store.close();
    kv.close();
  }

  private <T extends dev.weft.model.ConfigObject> T create(T object) {
    store.commit(store.begin().create(object));
    return object;
  }

  private NetworkPolicy policy(String name, Map<String, String> annotations) {
    return create(
        new NetworkPolicy(
            UUID.randomUUID(), project.fqName().child(name), Ref.to(project), annotations, null));
  }

  private VirtualNetwork network(String name, PolicyLink... policies) {
    return create(
        new VirtualNetwork(
            UUID.randomUUID(),
            project.fqName().child(name),
            Ref.to(project),
            Map.of(),
            null,
            null,
            List.of(policies)));
  }

  private Stored<VirtualNetwork> stored(VirtualNetwork vn) {
    return store.cache().<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, vn.uuid()).orElseThrow();
  }

  private static PolicyLink link(NetworkPolicy p, int sequence) {
    return new PolicyLink(Ref.to(p), sequence);
  }

  private VirtualNetwork after(List<PolicyLinks.Change> changes, VirtualNetwork vn) {
    return changes.stream()
        .map(PolicyLinks.Change::after)
        .filter(n -> n.uuid().equals(vn.uuid()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void attachAppendsReSequencesInPlaceAndDetachesOnlyThisPolicy() {
    NetworkPolicy mine = policy("np-1", Map.of());
    NetworkPolicy other = policy("np-2", Map.of());
    VirtualNetwork fresh = network("vn-a", link(other, 0));
    VirtualNetwork resequenced = network("vn-b", link(mine, 0), link(other, 1));
    VirtualNetwork dropped = network("vn-c", link(other, 0), link(mine, 4));
    VirtualNetwork untouched = network("vn-d", link(other, 0));

    List<PolicyLinks.Change> changes =
        links.attach(mine, List.of(stored(fresh), stored(resequenced)), 3);

    assertThat(changes).hasSize(3);
    assertThat(after(changes, fresh).networkPolicyRefs())
        .containsExactly(link(other, 0), link(mine, 3));
    assertThat(after(changes, resequenced).networkPolicyRefs())
        .containsExactly(link(mine, 3), link(other, 1));
    assertThat(after(changes, dropped).networkPolicyRefs()).containsExactly(link(other, 0));
    assertThat(changes).noneMatch(c -> c.after().uuid().equals(untouched.uuid()));
  }

  @Test
  void attachingWhatIsAlreadyLinkedChangesNothing() {
    NetworkPolicy mine = policy("np-1", Map.of());
    VirtualNetwork vn = network("vn-a", link(mine, 2));

    assertThat(links.attach(mine, List.of(stored(vn)), 2)).isEmpty();
  }

  @Test
  void detachAllRemovesTheLinksFromEveryNetwork() {
    NetworkPolicy mine = policy("np-1", Map.of());
    NetworkPolicy other = policy("np-2", Map.of());
    VirtualNetwork a = network("vn-a", link(mine, 0), link(other, 1));
    VirtualNetwork b = network("vn-b", link(mine, 0));

    List<PolicyLinks.Change> changes = links.detachAll(mine.uuid());

    assertThat(changes).hasSize(2);
    assertThat(after(changes, a).networkPolicyRefs()).containsExactly(link(other, 1));
    assertThat(after(changes, b).networkPolicyRefs()).isEmpty();
  }

  @Test
  void aGuardedLinkIsNotWrittenOnceThePolicyIsGone() {
    NetworkPolicy mine = policy("np-1", Map.of());
    VirtualNetwork vn = network("vn-a");
    Stored<VirtualNetwork> before = stored(vn);
    ObjectTxn txn = store.begin().update(before, vn.withPolicies(List.of(link(mine, 0))));
    links.guardPolicies(txn, List.of(link(mine, 0)));

    store.commit(
        store
            .begin()
            .delete(store.cache().get(ObjectType.NETWORK_POLICY, mine.uuid()).orElseThrow()));

    assertThatThrownBy(() -> store.commit(txn)).isInstanceOf(ConflictException.class);
    assertThat(stored(vn).object().networkPolicyRefs()).isEmpty();
  }

  @Test
  void onlyPoliciesWithTheKubernetesOwnerAreDerived() {
    NetworkPolicy mine = policy("np-1", Map.of("team", "blue"));
    NetworkPolicy derived = policy("k8s-np", Owner.cluster("k8s").annotations());

    assertThat(links.isDerived(mine.uuid())).isFalse();
    assertThat(links.isDerived(derived.uuid())).isTrue();
    assertThat(links.isDerived(UUID.randomUUID())).isFalse();
  }
}
