/**
 * The state store shared by stateful modules: in-memory (Caffeine) for one sidecar, Redis (Lettuce,
 * plain Redis without modules) for state shared by replicas.
 */
package io.payloadprocessor.modules.store;
