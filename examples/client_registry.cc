// ClientRegistry; see client_registry.h.
#include "client_registry.h"

#include "backend_client.h"

namespace cron {

void ClientRegistry::Add(BackendClient* client) {
  std::lock_guard<std::mutex> lock(mu_);
  client->prev_ = nullptr;
  client->next_ = head_;
  if (head_ != nullptr) head_->prev_ = client;
  head_ = client;
  stats_.open_clients += 1;
  stats_.buffer_bytes += client->BufferBytes();
  stats_.object_bytes += BackendClient::ObjectBytes();
}

void ClientRegistry::Remove(BackendClient* client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (client->prev_ != nullptr) client->prev_->next_ = client->next_;
  if (client->next_ != nullptr) client->next_->prev_ = client->prev_;
  if (head_ == client) head_ = client->next_;
  client->prev_ = client->next_ = nullptr;
  stats_.open_clients -= 1;
  stats_.buffer_bytes -= client->BufferBytes();
  stats_.object_bytes -= BackendClient::ObjectBytes();
}

RegistryStats ClientRegistry::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

ClientRegistry& GlobalClientRegistry() {
  static ClientRegistry* registry = new ClientRegistry();  // never destroyed: used until exit
  return *registry;
}

}  // namespace cron
