// The process-wide list of open BackendClients: what keeps a forgotten client alive, and the
// service's own account of how much heap its open connections hold.
//
// The list is intrusive (the links live in BackendClient), so registering a client allocates
// nothing: the only heap that grows with leaked clients is the clients themselves, and the numbers
// reported by Stats() are exactly what a heap profile should find. Thread-safe.
#ifndef LEAKTRACK_EXAMPLES_CLIENT_REGISTRY_H_
#define LEAKTRACK_EXAMPLES_CLIENT_REGISTRY_H_

#include <cstddef>
#include <mutex>

namespace cron {

class BackendClient;

struct RegistryStats {
  std::size_t open_clients = 0;
  std::size_t buffer_bytes = 0;  // malloc'ed connection buffers (NewBufWriter + NewBufReader)
  std::size_t object_bytes = 0;  // the client, Conn, BufWriter and BufReader objects
};

class ClientRegistry {
 public:
  void Add(BackendClient* client);
  void Remove(BackendClient* client);
  RegistryStats Stats() const;

 private:
  mutable std::mutex mu_;
  BackendClient* head_ = nullptr;  // guarded by mu_
  RegistryStats stats_;            // guarded by mu_
};

ClientRegistry& GlobalClientRegistry();

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_CLIENT_REGISTRY_H_
