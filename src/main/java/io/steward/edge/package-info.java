/**
 * The bridge and token code of the two doors to the cluster (the HTTP module with its SockJS bridge, and the TCP
 * bridge module): tokens, key stores, bridge permissions and meters, each bridge's event handler
 * ({@link io.steward.edge.SockJsBridgeEvents}, {@link io.steward.edge.TcpBridgeEvents}), the TCP bridge's frame
 * guard and connection cap. The modules
 * {@code http} and {@code bridge} only wire these to their servers. Only the doors and the node use this
 * package; io.steward.ArchitectureTest keeps it so.
 */
package io.steward.edge;
