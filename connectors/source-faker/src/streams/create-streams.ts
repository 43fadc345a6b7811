import type { FakerSettings, StreamName } from '../settings.js';
import { CustomersStream } from './customers.js';
import type { FakerStream } from './faker-stream.js';
import { OrdersStream } from './orders.js';
import { ProductsStream } from './products.js';

export type { FakerStream } from './faker-stream.js';

/** The generators of every stream for one set of settings. */
export function createStreams(settings: FakerSettings): Record<StreamName, FakerStream> {
  const products = new ProductsStream(settings);
  return {
    customers: new CustomersStream(settings),
    products,
    orders: new OrdersStream(settings, new ProductsStream(settings)),
  };
}
