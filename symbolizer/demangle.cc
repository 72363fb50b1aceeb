// Demangling and name shortening (see demangle.h).
#include "symbolizer/demangle.h"

#include <cxxabi.h>

#include <cstdlib>

namespace leaktrack {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Removes the trailing parameter list (and cv/ref qualifiers) of a demangled function name.
std::string DropParameters(std::string s) {
  for (bool again = true; again;) {
    again = false;
    for (const char* q : {" const", " volatile", " &&", " &"})
      if (EndsWith(s, q) && s.size() > std::string(q).size()) {
        s.resize(s.size() - std::string(q).size());
        again = true;
      }
  }
  if (s.empty() || s.back() != ')') return s;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    if (s[i] == '(' && --depth == 0) return i == 0 ? s : s.substr(0, i);
  }
  return s;
}

// Removes template argument lists, keeping "operator<", "operator<<" and "operator->" intact.
std::string DropTemplateArgs(const std::string& s) {
  std::string out;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (depth == 0 && (c == '<' || c == '>') && EndsWith(out, "operator")) {
      out.push_back(c);
      if (i + 1 < s.size() && s[i + 1] == c) out.push_back(s[++i]);
      continue;
    }
    if (depth == 0 && c == '>' && EndsWith(out, "operator-")) {
      out.push_back(c);
      continue;
    }
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return depth == 0 ? out : s;
}

}  // namespace

std::string ShortDisplayName(const std::string& symbol) {
  if (symbol.rfind("_Z", 0) != 0) {
    // DWARF names of template instances carry their arguments ("call_once<main()::<lambda()> >").
    if (symbol.find('<') == std::string::npos) return symbol;
    std::string out = DropTemplateArgs(symbol);
    return out.empty() ? symbol : out;
  }
  int status = 0;
  char* demangled = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return symbol;
  std::string out = DropTemplateArgs(DropParameters(demangled));
  free(demangled);
  return out.empty() ? symbol : out;
}

}  // namespace leaktrack
