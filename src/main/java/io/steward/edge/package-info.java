/**
 * What the two doors to the cluster share (the HTTP module with its SockJS bridge, and the TCP bridge module):
 * tokens, key stores, bridge permissions and meters, and the filter of the bridge libraries' client-caused log
 * lines. Only the doors and the node use it; io.steward.ArchitectureTest keeps it so.
 */
package io.steward.edge;
