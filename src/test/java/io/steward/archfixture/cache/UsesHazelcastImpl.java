package io.steward.archfixture.cache;

import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;

/** Bad: a module uses a Hazelcast implementation class itself. */
public final class UsesHazelcastImpl {
  NearCachedMapProxyImpl<?, ?> proxy;
}
