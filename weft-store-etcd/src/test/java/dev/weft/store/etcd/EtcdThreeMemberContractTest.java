package dev.weft.store.etcd;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract on a three-member etcd: writes through a follower are forwarded to the leader,
 * and a store's peer talks to another member than the store.
 */
class EtcdThreeMemberContractTest extends EtcdContractTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(3);

  @Override
  EtcdCluster cluster() {
    return ETCD.cluster();
  }
}
