/**
 * Active/standby kube-managers: leader election on a Kubernetes Lease ({@link
 * dev.weft.kube.leader.LeaderElector}), a fence in the store that every commit of the leader is
 * guarded by ({@link dev.weft.kube.leader.StoreFence}), and what ties them to a {@link
 * dev.weft.kube.KubeManager} ({@link dev.weft.kube.leader.ActiveStandby}).
 *
 * <p>The Lease decides who should lead; the fence decides who can write. Expiry is judged by each
 * candidate's own elapsed time since it last saw the Lease change, never by comparing clocks, and a
 * leader that cannot renew stops before anyone may take over ({@code renewDeadline <
 * leaseDuration}). Should that still go wrong (a process paused longer than its deadline, a clock
 * running slow), the fence stops the deposed leader's writes at the store.
 */
package dev.weft.kube.leader;
