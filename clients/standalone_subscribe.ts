// subscribe(): DolphinDB's subscribe(host, port, ...) -- a subscription that brings its own client.
// It connects (with the connection options given), subscribes, and closes that client when the
// subscription is over: on unsubscribe(), or when it ends by itself (onClosed, without reconnect).

import { ConnectOptions, SubscribeOptions, Subscription, SubscriptionStats } from './options.js';
import { ShoalClient, connect } from './shoal_client.js';

/**
 * Where to subscribe and how to connect, beside the subscription's own options. `reconnect` is the
 * subscription's (resubscribe after a failover); the connection options are ConnectOptions'.
 */
export type StandaloneSubscribeOptions = SubscribeOptions & Omit<ConnectOptions, 'reconnect'>;

export async function subscribe(o: StandaloneSubscribeOptions): Promise<Subscription> {
  const { host, port, userId, password, requestTimeoutMs, maxFrameBytes, highAvailability, highAvailabilitySites,
    tryReconnectNums, reconnectIntervalMs, startup, keepAliveTimeMs, ...subscribeOptions } = o;
  const client = await connect({
    host, port, userId, password, requestTimeoutMs, maxFrameBytes, highAvailability, highAvailabilitySites,
    tryReconnectNums, reconnectIntervalMs, startup, keepAliveTimeMs,
  });
  try {
    const sub = await client.subscribeTable({
      ...subscribeOptions,
      onClosed: (reason) => {
        try {
          subscribeOptions.onClosed?.(reason);
        } finally {
          void client.close();
        }
      },
    });
    return new OwnClientSubscription(sub, client);
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** A subscription whose unsubscribe() also closes the client it came with. */
class OwnClientSubscription implements Subscription {
  constructor(
    private readonly sub: Subscription,
    private readonly client: ShoalClient,
  ) {}

  get topic(): string {
    return this.sub.topic;
  }

  get lastOffset(): number {
    return this.sub.lastOffset;
  }

  get site(): string {
    return this.sub.site;
  }

  get stats(): Readonly<SubscriptionStats> {
    return this.sub.stats;
  }

  async unsubscribe(): Promise<void> {
    try {
      await this.sub.unsubscribe();
    } finally {
      await this.client.close();
    }
  }
}
