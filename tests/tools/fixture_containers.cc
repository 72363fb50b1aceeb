// A C++ service that leaks through the standard library, for runtime_frames_test.sh: every
// OpenConn keeps a Conn whose std::vector buffer grew to 64 KiB, every Remember keeps a 20,000
// byte std::string in a std::map. Nothing here calls new or malloc itself, so without folding
// the standard library's frames every allocation's leaf would be std::__new_allocator.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Conn {
  std::vector<char> buf;
  std::string name;
};

std::vector<std::unique_ptr<Conn>>* g_conns = new std::vector<std::unique_ptr<Conn>>;
std::map<int, std::string>* g_remembered = new std::map<int, std::string>;

__attribute__((noinline)) void OpenConn(int i) {
  auto c = std::make_unique<Conn>();
  c->buf.resize(64 * 1024);
  c->name = "conn" + std::to_string(i) + std::string(100, 'x');
  g_conns->push_back(std::move(c));
}

__attribute__((noinline)) void Remember(int i) { (*g_remembered)[i] = std::string(20000, 'y'); }

}  // namespace

int main() {
  for (int i = 0; i < 200; ++i) {
    OpenConn(i);
    Remember(i);
  }
  printf("%zu %zu\n", g_conns->size(), g_remembered->size());
  return 0;
}
