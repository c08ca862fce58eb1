/**
 * The kube-manager's one keyed work queue: informer callbacks enqueue keys, a fixed pool of workers
 * reconciles them, one key at a time per key, with per-key backoff and a global retry rate limit.
 *
 * <p>Modelled on client-go's {@code workqueue} (dirty and processing sets, rate-limited retries)
 * and controller-runtime's controller ({@code Result.requeueAfter}, earliest delayed add wins).
 * {@link dev.weft.kube.queue.WorkQueue} is the entry point; {@link dev.weft.kube.queue.Reconciler}
 * is what a controller implements.
 */
package dev.weft.kube.queue;
