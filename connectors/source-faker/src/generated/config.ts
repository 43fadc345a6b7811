/* Generated from spec.json by scripts/connector-codegen.mjs. Do not edit. */

/**
 * Deterministic synthetic customers, products and orders.
 */
export interface Config {
/**
 * Seed of the generator: the same seed and sizes give byte-identical records on every run.
 */
seed?: number
/**
 * Number of customers (one new customer every 5 minutes of simulated time).
 */
customers?: number
/**
 * Number of products (one new product every 50 minutes of simulated time).
 */
products?: number
/**
 * Number of orders (one new order every minute of simulated time). Needs at least one customer and one product.
 */
orders?: number
/**
 * Simulated time the shop opens (ISO-8601): the first customer and product are created then, the first order a day later.
 */
start_date?: string
/**
 * Records per RECORD_BATCH message; a STATE follows every batch.
 */
batch_size?: number
}
