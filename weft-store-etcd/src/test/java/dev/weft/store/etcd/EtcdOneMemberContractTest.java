package dev.weft.store.etcd;

import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract on a one-member etcd. */
class EtcdOneMemberContractTest extends EtcdContractTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(1);

  @Override
  EtcdCluster cluster() {
    return ETCD.cluster();
  }
}
