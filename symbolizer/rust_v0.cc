// Rust v0 demangling into short display names (see rust_v0.h). The grammar is RFC 2603's; the
// comments name its productions.
#include "symbolizer/rust_v0.h"

#include <cctype>
#include <cstdint>

namespace leaktrack {
namespace {

constexpr int kMaxDepth = 64;

class V0Reader {
 public:
  // `text` is the symbol after "_R": back references count their offsets from there.
  explicit V0Reader(const std::string& text) : s_(text) {}

  bool Symbol(std::string* out) {
    while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;  // version
    return Path(out, 0);  // an instantiating crate may follow; it is not shown
  }

  // The crate of the leading path, without reading the rest.
  std::string Crate() {
    for (int steps = 0; steps < kMaxDepth && pos_ < s_.size(); ++steps) {
      switch (s_[pos_]) {
        case 'N': pos_ += 2; break;
        case 'I': ++pos_; break;
        case 'M': case 'X': ++pos_; Disambiguator(); break;
        case 'Y':  // <Type as Trait>: a primitive type's impl belongs to the trait's crate
          ++pos_;
          if (pos_ < s_.size() && s_[pos_] >= 'a' && s_[pos_] <= 'z') ++pos_;
          break;
        case 'C': {
          ++pos_;
          Disambiguator();
          std::string ident;
          return Ident(&ident) ? ident : "";
        }
        default: return "";
      }
    }
    return "";
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // <base-62-number> = {0-9a-zA-Z} "_": "_" is 0, "0_" is 1, and so on.
  bool Base62(uint64_t* value) {
    if (Eat('_')) return *value = 0, true;
    uint64_t x = 0;
    while (pos_ < s_.size() && s_[pos_] != '_') {
      const char c = s_[pos_++];
      uint64_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'z') d = 10 + (c - 'a');
      else if (c >= 'A' && c <= 'Z') d = 36 + (c - 'A');
      else return false;
      if (x > (UINT64_MAX - d) / 62) return false;
      x = x * 62 + d;
    }
    if (!Eat('_')) return false;
    *value = x + 1;
    return true;
  }

  void Disambiguator() {
    uint64_t ignored;
    if (Eat('s')) (void)Base62(&ignored);
  }

  // <undisambiguated-identifier> = ["u"] <decimal-number> ["_"] <bytes>. Punycode ("u") is shown
  // encoded: rare in practice, and still unique.
  bool Ident(std::string* out) {
    (void)Eat('u');
    size_t n = 0, start = pos_;
    while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) {
      n = n * 10 + static_cast<size_t>(s_[pos_++] - '0');
      if (n > s_.size()) return false;
    }
    if (pos_ == start) return false;
    (void)Eat('_');
    if (pos_ + n > s_.size()) return false;
    *out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // <backref> = "B" <base-62-number>: read the path or type at that earlier offset.
  template <typename Read>
  bool BackRef(Read read, std::string* out, int depth) {
    const size_t at = pos_ - 1;  // the 'B'
    uint64_t target;
    if (!Base62(&target) || target >= at) return false;
    const size_t resume = pos_;
    pos_ = static_cast<size_t>(target);
    const bool ok = (this->*read)(out, depth + 1);
    pos_ = resume;
    return ok;
  }

  bool Path(std::string* out, int depth) {
    if (depth > kMaxDepth) return false;
    const char tag = Peek();
    ++pos_;
    switch (tag) {
      case 'C':  // crate root
        Disambiguator();
        return Ident(out);
      case 'N': {  // <namespace> <path> <identifier>
        const char ns = Peek();
        ++pos_;
        if (!Path(out, depth + 1)) return false;
        Disambiguator();
        std::string ident;
        if (!Ident(&ident)) return false;
        if (ns == 'C') {
          *out += "::{closure}";
        } else if (ns == 'S') {
          *out += "::{shim}";
        } else if (ns >= 'a' && ns <= 'z') {
          if (!ident.empty()) *out += "::" + ident;
        } else {
          return false;
        }
        return true;
      }
      case 'M': {  // <impl-path> <type>: <Type>
        Disambiguator();
        std::string impl_path, type;
        if (!Path(&impl_path, depth + 1) || !Type(&type, depth + 1)) return false;
        *out = "<" + type + ">";
        return true;
      }
      case 'X': {  // <impl-path> <type> <path>: <Type as Trait>
        Disambiguator();
        std::string impl_path, type, trait;
        if (!Path(&impl_path, depth + 1) || !Type(&type, depth + 1) || !Path(&trait, depth + 1))
          return false;
        *out = "<" + type + " as " + trait + ">";
        return true;
      }
      case 'Y': {  // <type> <path>: <Type as Trait>
        std::string type, trait;
        if (!Type(&type, depth + 1) || !Path(&trait, depth + 1)) return false;
        *out = "<" + type + " as " + trait + ">";
        return true;
      }
      case 'I':  // <path> {<generic-arg>} "E": the arguments are read and dropped
        if (!Path(out, depth + 1)) return false;
        while (!Eat('E')) {
          if (pos_ >= s_.size() || !GenericArg(depth + 1)) return false;
        }
        return true;
      case 'B':
        return BackRef(&V0Reader::Path, out, depth);
      default:
        return false;
    }
  }

  bool GenericArg(int depth) {
    uint64_t ignored;
    if (Eat('L')) return Base62(&ignored);  // lifetime
    if (Eat('K')) return Const(depth);
    std::string type;
    return Type(&type, depth);
  }

  // <const> = <type> <const-data> | "p" | <backref>; const-data = ["n"] {hex} "_". Newer
  // structured constants are not read (the symbol is then left to pprof).
  bool Const(int depth) {
    if (depth > kMaxDepth) return false;
    if (Eat('p')) return true;
    if (Eat('B')) {
      std::string ignored;
      return BackRef(&V0Reader::ConstAsText, &ignored, depth);
    }
    const char type = Peek();
    if (!(type >= 'a' && type <= 'z')) return false;
    ++pos_;
    (void)Eat('n');
    while (pos_ < s_.size() && isxdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return Eat('_');
  }
  bool ConstAsText(std::string*, int depth) { return Const(depth); }

  static const char* BasicType(char c) {
    switch (c) {
      case 'a': return "i8";    case 'b': return "bool";  case 'c': return "char";
      case 'd': return "f64";   case 'e': return "str";   case 'f': return "f32";
      case 'h': return "u8";    case 'i': return "isize"; case 'j': return "usize";
      case 'l': return "i32";   case 'm': return "u32";   case 'n': return "i128";
      case 'o': return "u128";  case 's': return "i16";   case 't': return "u16";
      case 'u': return "()";    case 'v': return "...";   case 'x': return "i64";
      case 'y': return "u64";   case 'z': return "!";     case 'p': return "_";
      default: return nullptr;
    }
  }

  bool Type(std::string* out, int depth) {
    if (depth > kMaxDepth) return false;
    const char tag = Peek();
    if (const char* basic = BasicType(tag)) {
      ++pos_;
      *out = basic;
      return true;
    }
    uint64_t ignored;
    std::string inner;
    switch (tag) {
      case 'C': case 'N': case 'M': case 'X': case 'Y': case 'I':
        return Path(out, depth + 1);
      case 'B':
        ++pos_;
        return BackRef(&V0Reader::Type, out, depth);
      case 'A':  // [T; N]
        ++pos_;
        if (!Type(&inner, depth + 1) || !Const(depth + 1)) return false;
        *out = "[" + inner + "; _]";
        return true;
      case 'S':  // [T]
        ++pos_;
        if (!Type(&inner, depth + 1)) return false;
        *out = "[" + inner + "]";
        return true;
      case 'T': {  // (T, U)
        ++pos_;
        std::string list;
        while (!Eat('E')) {
          if (pos_ >= s_.size() || !Type(&inner, depth + 1)) return false;
          list += (list.empty() ? "" : ", ") + inner;
        }
        *out = "(" + list + ")";
        return true;
      }
      case 'R': case 'Q': {  // &T, &mut T, with an optional lifetime
        ++pos_;
        if (Eat('L') && !Base62(&ignored)) return false;
        if (!Type(&inner, depth + 1)) return false;
        *out = (tag == 'R' ? "&" : "&mut ") + inner;
        return true;
      }
      case 'P': case 'O':  // *const T, *mut T
        ++pos_;
        if (!Type(&inner, depth + 1)) return false;
        *out = (tag == 'P' ? "*const " : "*mut ") + inner;
        return true;
      case 'F': {  // fn(...) -> R
        ++pos_;
        if (Eat('G') && !Base62(&ignored)) return false;
        (void)Eat('U');
        if (Eat('K') && !Eat('C') && !Ident(&inner)) return false;
        while (!Eat('E')) {
          if (pos_ >= s_.size() || !Type(&inner, depth + 1)) return false;
        }
        if (!Type(&inner, depth + 1)) return false;
        *out = "fn(..)";
        return true;
      }
      case 'D': {  // dyn Trait + Trait, then a lifetime
        ++pos_;
        if (Eat('G') && !Base62(&ignored)) return false;
        std::string list;
        while (!Eat('E')) {
          if (pos_ >= s_.size() || !Path(&inner, depth + 1)) return false;
          while (Eat('p')) {  // associated type bindings: Output = T
            std::string name, bound;
            if (!Ident(&name) || !Type(&bound, depth + 1)) return false;
          }
          list += (list.empty() ? "" : " + ") + inner;
        }
        if (!Eat('L') || !Base62(&ignored)) return false;
        *out = "dyn " + list;
        return true;
      }
      default:
        return false;
    }
  }

  const std::string s_;
  size_t pos_ = 0;
};

}  // namespace

std::string DemangleRustV0(const std::string& symbol) {
  if (symbol.compare(0, 2, "_R") != 0) return "";
  std::string out;
  return V0Reader(symbol.substr(2)).Symbol(&out) ? out : "";
}

std::string RustV0Crate(const std::string& symbol) {
  if (symbol.compare(0, 2, "_R") != 0) return "";
  return V0Reader(symbol.substr(2)).Crate();
}

}  // namespace leaktrack
