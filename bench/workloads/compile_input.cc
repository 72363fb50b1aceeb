// Input for the compile workload of bench/run.sh: a medium-sized, template-heavy C++ file that
// cc1plus compiles at -O2 with the profiler preloaded into the compiler. It is never built into
// anything; it only has to be valid C++17 that makes the compiler allocate the way real code
// does (many headers, instantiations, inlining). Keep it self-contained: standard headers only.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace sample {

// A small JSON value and parser: variants, recursion, maps of vectors.
struct Json;
using JsonArray = std::vector<Json>;
using JsonObject = std::map<std::string, Json>;
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, JsonArray, JsonObject> v;
};

class Parser {
 public:
  explicit Parser(std::string text) : text_(std::move(text)) {}
  std::optional<Json> Parse() {
    auto j = Value();
    Skip();
    if (!j || pos_ != text_.size()) return std::nullopt;
    return j;
  }

 private:
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::optional<Json> Value() {
    Skip();
    if (pos_ >= text_.size()) return std::nullopt;
    char c = text_[pos_];
    if (c == '{') return Object();
    if (c == '[') return Array();
    if (c == '"') {
      auto s = String();
      if (!s) return std::nullopt;
      return Json{*s};
    }
    if (text_.compare(pos_, 4, "true") == 0) { pos_ += 4; return Json{true}; }
    if (text_.compare(pos_, 5, "false") == 0) { pos_ += 5; return Json{false}; }
    if (text_.compare(pos_, 4, "null") == 0) { pos_ += 4; return Json{nullptr}; }
    size_t used = 0;
    try {
      double d = std::stod(text_.substr(pos_), &used);
      pos_ += used;
      return Json{d};
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  std::optional<std::string> String() {
    std::string out;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) return std::nullopt;
    ++pos_;
    return out;
  }
  std::optional<Json> Array() {
    JsonArray a;
    ++pos_;
    for (;;) {
      Skip();
      if (pos_ < text_.size() && text_[pos_] == ']') { ++pos_; return Json{a}; }
      auto v = Value();
      if (!v) return std::nullopt;
      a.push_back(std::move(*v));
      Skip();
      if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
    }
  }
  std::optional<Json> Object() {
    JsonObject o;
    ++pos_;
    for (;;) {
      Skip();
      if (pos_ < text_.size() && text_[pos_] == '}') { ++pos_; return Json{o}; }
      if (pos_ >= text_.size() || text_[pos_] != '"') return std::nullopt;
      auto k = String();
      Skip();
      if (!k || pos_ >= text_.size() || text_[pos_] != ':') return std::nullopt;
      ++pos_;
      auto v = Value();
      if (!v) return std::nullopt;
      o.emplace(std::move(*k), std::move(*v));
      Skip();
      if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
    }
  }
  std::string text_;
  size_t pos_ = 0;
};

std::string Dump(const Json& j) {
  struct Visitor {
    std::string operator()(std::nullptr_t) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(double d) const { std::ostringstream s; s << d; return s.str(); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(const JsonArray& a) const {
      std::string out = "[";
      for (size_t i = 0; i < a.size(); ++i) out += (i ? "," : "") + Dump(a[i]);
      return out + "]";
    }
    std::string operator()(const JsonObject& o) const {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : o) {
        out += (first ? "\"" : ",\"") + k + "\":" + Dump(v);
        first = false;
      }
      return out + "}";
    }
  };
  return std::visit(Visitor{}, j.v);
}

// Text statistics: tokenizing, hash maps, sorting with custom comparators.
struct WordStats {
  std::unordered_map<std::string, int> counts;
  std::map<size_t, std::set<std::string>> by_length;
  std::vector<std::pair<std::string, int>> Top(size_t n) const {
    std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
    std::partial_sort(v.begin(), v.begin() + std::min(n, v.size()), v.end(),
                      [](const auto& a, const auto& b) {
                        return std::tie(b.second, a.first) < std::tie(a.second, b.first);
                      });
    v.resize(std::min(n, v.size()));
    return v;
  }
};

WordStats Analyze(const std::string& text) {
  WordStats st;
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    w.erase(std::remove_if(w.begin(), w.end(), [](unsigned char c) { return !std::isalnum(c); }),
            w.end());
    if (w.empty()) continue;
    std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::tolower(c); });
    ++st.counts[w];
    st.by_length[w.size()].insert(w);
  }
  return st;
}

// A tiny event system: type-erased callbacks, shared ownership, templates over event types.
template <typename Event>
class Bus {
 public:
  using Handler = std::function<void(const Event&)>;
  int Subscribe(Handler h) {
    handlers_.emplace(next_, std::move(h));
    return next_++;
  }
  void Unsubscribe(int id) { handlers_.erase(id); }
  void Publish(const Event& e) const {
    for (const auto& [id, h] : handlers_) h(e);
  }

 private:
  std::map<int, Handler> handlers_;
  int next_ = 0;
};

struct Tick { std::chrono::steady_clock::time_point at; int n; };
struct Message { std::string from, body; std::vector<std::string> tags; };

template <typename T, size_t N>
class Ring {
 public:
  void Push(T t) { data_[head_++ % N] = std::move(t); size_ = std::min(size_ + 1, N); }
  template <typename F> void ForEach(F f) const {
    for (size_t i = 0; i < size_; ++i) f(data_[(head_ - size_ + i) % N]);
  }
 private:
  std::array<T, N> data_{};
  size_t head_ = 0, size_ = 0;
};

// Graph search with priority queues and sets of tuples.
using Graph = std::unordered_map<int, std::vector<std::pair<int, double>>>;
std::map<int, double> Dijkstra(const Graph& g, int src) {
  std::map<int, double> dist;
  std::set<std::pair<double, int>> frontier{{0.0, src}};
  dist[src] = 0;
  while (!frontier.empty()) {
    auto [d, u] = *frontier.begin();
    frontier.erase(frontier.begin());
    auto it = g.find(u);
    if (it == g.end()) continue;
    for (auto [v, w] : it->second) {
      auto cur = dist.find(v);
      if (cur == dist.end() || d + w < cur->second) {
        if (cur != dist.end()) frontier.erase({cur->second, v});
        dist[v] = d + w;
        frontier.insert({d + w, v});
      }
    }
  }
  return dist;
}

template <typename... Ts>
std::string Join(const std::string& sep, const Ts&... parts) {
  std::ostringstream out;
  size_t i = 0;
  ((out << (i++ ? sep : "") << parts), ...);
  return out.str();
}

}  // namespace sample

int main(int argc, char** argv) {
  using namespace sample;
  std::string input = argc > 1 ? argv[1] : R"({"a":[1,2,3],"b":{"c":"d"},"e":true})";
  auto j = Parser(input).Parse();
  std::cout << (j ? Dump(*j) : std::string("parse error")) << "\n";
  auto st = Analyze("the quick brown fox jumps over the lazy dog the end");
  for (const auto& [w, n] : st.Top(3)) std::cout << std::setw(8) << w << " " << n << "\n";
  Bus<Tick> ticks;
  Bus<Message> messages;
  Ring<Message, 8> recent;
  int total = 0;
  int id = ticks.Subscribe([&](const Tick& t) { total += t.n; });
  messages.Subscribe([&](const Message& m) { recent.Push(m); });
  for (int i = 0; i < 10; ++i) {
    ticks.Publish({std::chrono::steady_clock::now(), i});
    messages.Publish({"user" + std::to_string(i), Join(" ", "hello", i, 2.5), {"x", "y"}});
  }
  ticks.Unsubscribe(id);
  recent.ForEach([](const Message& m) { std::cout << m.from << ": " << m.body << "\n"; });
  Graph g{{0, {{1, 1.0}, {2, 4.0}}}, {1, {{2, 1.5}, {3, 7.0}}}, {2, {{3, 1.0}}}};
  for (auto [node, d] : Dijkstra(g, 0)) std::cout << node << "=" << d << "\n";
  std::unordered_set<std::string> seen;
  std::vector<int> v(100);
  std::iota(v.begin(), v.end(), 0);
  std::cout << std::accumulate(v.begin(), v.end(), 0L) << " " << total << " " << seen.size() << "\n";
  return 0;
}
