// Demangling and name shortening (see demangle.h).
#include "symbolizer/demangle.h"

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "symbolizer/rust_v0.h"

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

// Template arguments dropped, except that a '<' opening a path segment (at the start or right
// after "::") is Rust's qualified self or impl block ("<X as Trait>::f",
// "core::ops::function::impls::<impl FnOnce for &F>::call_once"): that segment names whose
// method this is, so it is kept, with its own arguments dropped.
std::string DropTemplateArgsKeepingSelf(const std::string& s) {
  std::string out, plain;
  int plain_depth = 0;  // inside template arguments, "::<" is no segment of ours
  for (size_t i = 0; i < s.size(); ++i) {
    const bool segment_start = i == 0 || (i >= 2 && s.compare(i - 2, 2, "::") == 0);
    if (s[i] != '<' || !segment_start || plain_depth != 0) {
      if (s[i] == '<') ++plain_depth;
      if (s[i] == '>' && plain_depth > 0) --plain_depth;
      plain.push_back(s[i]);
      continue;
    }
    int depth = 0;
    size_t close = i;
    for (; close < s.size(); ++close) {
      if (s[close] == '<') ++depth;
      if (s[close] == '>' && --depth == 0) break;
    }
    if (close == s.size()) return DropTemplateArgs(s);  // unbalanced: no segments
    out += DropTemplateArgs(plain) + "<" + DropTemplateArgs(s.substr(i + 1, close - i - 1)) + ">";
    plain.clear();
    i = close;
  }
  return out + DropTemplateArgs(plain);
}

// A demangled function template instance starts with its return type
// ("std::_MakeUniq::__single_object std::make_unique"): keeps what follows the last space that
// is outside brackets and before any "operator" (whose own name may hold spaces).
std::string DropReturnType(const std::string& s) {
  size_t cut = std::string::npos;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '<' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == '>' || c == ']' || c == '}') && depth > 0) --depth;
    if (depth != 0) continue;
    if (s.compare(i, 8, "operator") == 0 && (i == 0 || s[i - 1] == ' ' || s[i - 1] == ':')) break;
    if (c == ' ') cut = i;
  }
  if (cut == std::string::npos || cut + 1 >= s.size()) return s;
  return s.substr(cut + 1);
}

// Rust's legacy mangling is Itanium's with '$'-escapes in identifiers and a trailing hash
// ("_ZN5alloc3vec16Vec$LT$T$GT$4push17h0123456789abcdefE"); this undoes both on the demangled
// text: "alloc::vec::Vec<T>::push".
bool IsRustLegacy(const std::string& symbol) {
  static const size_t kTail = 20;  // "17h" + 16 hex digits + "E"
  if (symbol.size() < 4 + kTail || symbol.compare(0, 3, "_ZN") != 0 || symbol.back() != 'E')
    return false;
  size_t h = symbol.size() - kTail;
  if (symbol.compare(h, 3, "17h") != 0) return false;
  for (size_t i = h + 3; i < symbol.size() - 1; ++i)
    if (!isxdigit(static_cast<unsigned char>(symbol[i]))) return false;
  return true;
}

std::string UnescapeRustLegacy(const std::string& demangled) {
  std::string s = demangled;
  // The hash: "::h" + 16 hex digits at the end.
  if (s.size() > 19 && s.compare(s.size() - 19, 3, "::h") == 0) s.resize(s.size() - 19);
  static const struct { const char* from; const char* to; } kEscapes[] = {
      {"$SP$", "@"}, {"$BP$", "*"}, {"$RF$", "&"}, {"$LT$", "<"}, {"$GT$", ">"},
      {"$LP$", "("}, {"$RP$", ")"}, {"$C$", ","}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '.' && i + 1 < s.size() && s[i + 1] == '.') {
      out += "::";
      i += 2;
      continue;
    }
    if (s[i] == '_' && i + 1 < s.size() && s[i + 1] == '$' && (i == 0 || s[i - 1] == ':')) {
      ++i;  // an identifier that starts with an escape is written with a leading '_'
      continue;
    }
    if (s[i] == '$') {
      bool done = false;
      for (const auto& e : kEscapes) {
        size_t n = strlen(e.from);
        if (s.compare(i, n, e.from) == 0) {
          out += e.to;
          i += n;
          done = true;
          break;
        }
      }
      if (done) continue;
      // $uXX$: one character by its hex code.
      size_t end = s.find('$', i + 1);
      if (end != std::string::npos && s[i + 1] == 'u' && end - i - 2 >= 1 && end - i - 2 <= 6) {
        out += static_cast<char>(strtol(s.substr(i + 2, end - i - 2).c_str(), nullptr, 16));
        i = end + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// `out` without trailing spaces, which a dropped argument list can leave ("operator< <T>",
// "operator<< <char>"); `fallback` when nothing is left.
std::string TrimmedOr(std::string out, const std::string& fallback) {
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? fallback : out;
}

}  // namespace

std::string ShortDisplayName(const std::string& symbol) {
  if (symbol.rfind("_R", 0) == 0) {
    std::string name = DemangleRustV0(symbol);
    return name.empty() ? symbol : name;
  }
  if (symbol.rfind("_Z", 0) != 0) {
    // DWARF names of template instances carry their arguments ("call_once<main()::<lambda()> >").
    if (symbol.find('<') == std::string::npos) return symbol;
    return TrimmedOr(DropTemplateArgsKeepingSelf(symbol), symbol);
  }
  int status = 0;
  char* demangled = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return symbol;
  std::string text = demangled;
  free(demangled);
  if (IsRustLegacy(symbol)) text = UnescapeRustLegacy(text);
  return TrimmedOr(DropReturnType(DropTemplateArgsKeepingSelf(DropParameters(text))), symbol);
}

bool IsRustSymbol(const std::string& symbol) {
  return symbol.rfind("_R", 0) == 0 || IsRustLegacy(symbol);
}

}  // namespace leaktrack
