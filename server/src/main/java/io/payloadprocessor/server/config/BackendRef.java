package io.payloadprocessor.server.config;

/**
 * {@code extProcess.backendRef}: the Kubernetes Service (name, namespace, port) of an external
 * processor. {@code namespace} is the backendRef's own, else the document's {@code
 * metadata.namespace}, else null.
 */
public record BackendRef(String name, String namespace, int port) {
  @Override
  public String toString() {
    return (namespace == null ? "" : namespace + "/") + name + ":" + port;
  }
}
