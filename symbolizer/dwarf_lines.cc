// libdw lookups of source frames (see dwarf_lines.h).
//
// Why not dwarf_getscopes(): for an inlined instance it continues with the scopes around the
// *abstract* definition (where the inline function was written), not with its callers, so the
// caller chain is rebuilt here by walking DW_TAG_inlined_subroutine children that contain the PC
// and reading each one's DW_AT_call_file/DW_AT_call_line.
#include "symbolizer/dwarf_lines.h"

#include <dwarf.h>

#include <algorithm>
#include <cstdlib>

#include "symbolizer/demangle.h"

namespace leaktrack {
namespace {

constexpr int kMaxNesting = 64;  // DIE nesting bound, protects against corrupt DWARF loops

std::string AttrString(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == nullptr) return "";
  const char* s = dwarf_formstring(&attr);
  return s ? s : "";
}

int64_t AttrUdata(Dwarf_Die* die, unsigned name, bool integrate) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  Dwarf_Attribute* a =
      integrate ? dwarf_attr_integrate(die, name, &attr) : dwarf_attr(die, name, &attr);
  if (a == nullptr || dwarf_formudata(a, &value) != 0) return 0;
  return static_cast<int64_t>(value);
}

// The DIE that declares a function: past DW_AT_abstract_origin (an inlined or concrete
// instance) and DW_AT_specification (an out-of-class definition), so its parents are the
// namespaces and classes the function was declared in.
Dwarf_Die DeclaringDie(Dwarf_Die* die) {
  Dwarf_Die at = *die;
  for (int i = 0; i < kMaxNesting; ++i) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&at, DW_AT_abstract_origin, &attr) == nullptr &&
         dwarf_attr(&at, DW_AT_specification, &attr) == nullptr) ||
        dwarf_formref_die(&attr, &next) == nullptr)
      break;
    at = next;
  }
  return at;
}

// The name a scope DIE adds to a qualified name. A lambda's closure type has no name; it reads
// "{unnamed}" here, and NameFrame calls it "{lambda}" before an operator() (after gdb's
// "{lambda()#1}").
std::string ScopeName(Dwarf_Die* scope) {
  if (const char* name = dwarf_diename(scope)) return name;
  return dwarf_tag(scope) == DW_TAG_namespace ? "(anonymous namespace)" : "{unnamed}";
}

bool IsScope(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
         tag == DW_TAG_union_type;
}

bool HasLinkageName(Dwarf_Die* die) {
  return dwarf_hasattr(die, DW_AT_linkage_name) || dwarf_hasattr(die, DW_AT_MIPS_linkage_name);
}

// The mangled name, following DW_AT_abstract_origin and DW_AT_specification; "" if none.
std::string LinkageName(Dwarf_Die* die) {
  std::string name = AttrString(die, DW_AT_linkage_name);
  return name.empty() ? AttrString(die, DW_AT_MIPS_linkage_name) : name;
}

bool HasPcAttributes(Dwarf_Die* die) {
  return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

// Appends to `chain` the inlined_subroutine DIEs below `die` that contain `pc`, outermost first.
void CollectInlineChain(Dwarf_Die* die, uint64_t pc, std::vector<Dwarf_Die>* chain, int depth) {
  if (depth > kMaxNesting) return;
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_inlined_subroutine) {
      if (dwarf_haspc(&child, pc) == 1) {
        chain->push_back(child);
        CollectInlineChain(&child, pc, chain, depth + 1);
        return;
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
               tag == DW_TAG_catch_block) {
      // Blocks without PC attributes still hold inlined children with their own ranges.
      if (!HasPcAttributes(&child) || dwarf_haspc(&child, pc) == 1) {
        size_t before = chain->size();
        CollectInlineChain(&child, pc, chain, depth + 1);
        if (chain->size() != before || HasPcAttributes(&child)) return;
      }
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

}  // namespace

std::unique_ptr<DwarfLines> DwarfLines::Open(Elf* elf) {
  Dwarf* dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  if (dwarf == nullptr) return nullptr;
  return std::unique_ptr<DwarfLines>(new DwarfLines(dwarf));
}

DwarfLines::~DwarfLines() { dwarf_end(dwarf_); }

void DwarfLines::IndexCus() {
  cus_indexed_ = true;
  Dwarf_CU* unit = nullptr;
  Dwarf_Die cudie, subdie;
  uint8_t unit_type;
  while (dwarf_get_units(dwarf_, unit, &unit, nullptr, &unit_type, &cudie, &subdie) == 0) {
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    CuData cu;
    cu.die = cudie;
    cu_index_.emplace(dwarf_dieoffset(&cudie), cus_.size());
    cus_.push_back(cu);
    Dwarf_Addr base, start, end;
    ptrdiff_t offset = 0;
    while ((offset = dwarf_ranges(&cudie, offset, &base, &start, &end)) > 0)
      if (end > start) cu_ranges_.push_back({start, end, cus_.size() - 1});
  }
  std::sort(cu_ranges_.begin(), cu_ranges_.end(),
            [](const Range& a, const Range& b) { return a.low < b.low; });
}

DwarfLines::CuData* DwarfLines::FindCu(uint64_t address) {
  if (!cus_indexed_) IndexCus();
  auto it = std::upper_bound(cu_ranges_.begin(), cu_ranges_.end(), address,
                             [](uint64_t a, const Range& r) { return a < r.low; });
  // CU ranges can nest or overlap in odd toolchains; check a few predecessors.
  for (int i = 0; i < 8 && it != cu_ranges_.begin(); ++i) {
    --it;
    if (address >= it->low && address < it->high) return &cus_[it->index];
  }
  return nullptr;
}

// The name a function gives the classes declared in its body (a lambda's closure type, for
// one): its short demangled name, as gdb writes "main()::{lambda()#1}".
std::string FunctionScopeName(Dwarf_Die* function, const std::string& scope) {
  const std::string linkage = LinkageName(function);
  if (!linkage.empty()) return ShortDisplayName(linkage);
  return scope + AttrString(function, DW_AT_name);
}

// `function` is the innermost function whose body `parent` is in, or nullptr.
void DwarfLines::CollectSubprograms(Dwarf_Die* parent, CuData* cu, const std::string& scope,
                                    Dwarf_Die* function, int depth) {
  if (depth > kMaxNesting) return;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram) {
      if (!HasLinkageName(&child)) scope_of_.emplace(dwarf_dieoffset(&child), scope);
      Dwarf_Addr base, start, end;
      ptrdiff_t offset = 0;
      bool any = false;
      while ((offset = dwarf_ranges(&child, offset, &base, &start, &end)) > 0) {
        if (end <= start) continue;
        if (!any) cu->subprograms.push_back(child);
        any = true;
        cu->ranges.push_back({start, end, cu->subprograms.size() - 1});
      }
      // Member functions of local classes (lambdas' static invokers, for one) are concrete
      // DIEs nested inside the enclosing function's DIE.
      CollectSubprograms(&child, cu, scope, &child, depth + 1);
    } else if (IsScope(tag)) {
      const std::string outer =
          function != nullptr ? FunctionScopeName(function, scope) + "::" : scope;
      CollectSubprograms(&child, cu, outer + ScopeName(&child) + "::", nullptr, depth + 1);
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_module) {
      CollectSubprograms(&child, cu, scope, function, depth + 1);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

void DwarfLines::IndexSubprograms(CuData* cu) {
  if (cu->indexed) return;
  cu->indexed = true;
  CollectSubprograms(&cu->die, cu, "", nullptr, 0);
  std::sort(cu->ranges.begin(), cu->ranges.end(),
            [](const Range& a, const Range& b) { return a.low < b.low; });
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(&cu->die, &cu->files, &nfiles) != 0) cu->files = nullptr;
}

// The "ns::Class::" a declaring DIE was noted with when its unit was indexed. A declaration in
// another unit than the frame's (LTO, dwz partial units) has its unit indexed now, so a name
// never depends on which frame asked first. dwarf_getscopes_die, a walk of the unit, is left
// for a DIE that indexing does not reach.
const std::string& DwarfLines::ScopeOf(Dwarf_Die* declaring) {
  const Dwarf_Off offset = dwarf_dieoffset(declaring);
  auto it = scope_of_.find(offset);
  if (it != scope_of_.end()) return it->second;
  Dwarf_Die unit;
  if (dwarf_diecu(declaring, &unit, nullptr, nullptr) != nullptr) {
    auto owner = cu_index_.find(dwarf_dieoffset(&unit));
    if (owner != cu_index_.end() && !cus_[owner->second].indexed) {
      IndexSubprograms(&cus_[owner->second]);
      it = scope_of_.find(offset);
      if (it != scope_of_.end()) return it->second;
    }
  }
  std::string scope;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(declaring, &scopes);
  for (int i = n - 1; i >= 1; --i)  // scopes[0] is the DIE itself, the CU last
    if (IsScope(dwarf_tag(&scopes[i]))) scope += ScopeName(&scopes[i]) + "::";
  free(scopes);
  return scope_of_.emplace(offset, std::move(scope)).first->second;
}

// Sets frame->name to the linkage (mangled) name, else to DW_AT_name; then frame->qualified to
// "ns::Class::name" from the declaring DIE's namespaces and classes. GCC omits linkage names
// for members of templates instantiated with a lambda type (std::function's _M_invoke,
// std::vector<lambda>'s _M_realloc_insert) and for some functions in anonymous namespaces; a
// bare "_M_invoke" would hide that it is the standard library's (runtime_frames.h).
void DwarfLines::NameFrame(Dwarf_Die* die, SourceFrame* frame) {
  frame->name = LinkageName(die);
  if (!frame->name.empty()) return;
  frame->name = AttrString(die, DW_AT_name);
  if (frame->name.empty()) return;
  Dwarf_Die declaring = DeclaringDie(die);
  std::string scope = ScopeOf(&declaring);
  if (scope.empty()) return;
  const std::string kUnnamed = "{unnamed}::";
  if (frame->name == "operator()" && scope.size() >= kUnnamed.size() &&
      scope.compare(scope.size() - kUnnamed.size(), kUnnamed.size(), kUnnamed) == 0)
    scope.replace(scope.size() - kUnnamed.size(), kUnnamed.size(), "{lambda}::");
  frame->qualified = scope + frame->name;
}

std::string DwarfLines::CallFile(CuData* cu, Dwarf_Die* inlined) {
  int64_t index = AttrUdata(inlined, DW_AT_call_file, /*integrate=*/false);
  if (cu->files == nullptr) return "";
  const char* name = dwarf_filesrc(cu->files, static_cast<size_t>(index), nullptr, nullptr);
  return name ? name : "";
}

std::vector<SourceFrame> DwarfLines::Symbolize(uint64_t address) {
  std::vector<SourceFrame> frames;
  CuData* cu = FindCu(address);
  if (cu == nullptr) return frames;
  IndexSubprograms(cu);
  auto it = std::upper_bound(cu->ranges.begin(), cu->ranges.end(), address,
                             [](uint64_t a, const Range& r) { return a < r.low; });
  if (it == cu->ranges.begin() || address >= (it - 1)->high) return frames;
  Dwarf_Die subprogram = cu->subprograms[(it - 1)->index];

  std::vector<Dwarf_Die> chain{subprogram};  // outermost (physical) first
  CollectInlineChain(&subprogram, address, &chain, 0);

  std::string file;
  int64_t line = 0;
  if (Dwarf_Line* l = dwarf_getsrc_die(&cu->die, address)) {
    int lineno = 0;
    dwarf_lineno(l, &lineno);
    line = lineno;
    if (const char* src = dwarf_linesrc(l, nullptr, nullptr)) file = src;
  }
  // Walk innermost to outermost; each inlined DIE's call site is its caller's position.
  for (size_t i = chain.size(); i-- > 0;) {
    SourceFrame f;
    NameFrame(&chain[i], &f);
    f.file = file;
    f.line = line;
    f.start_line = AttrUdata(&chain[i], DW_AT_decl_line, /*integrate=*/true);
    if (f.name.empty()) f.name = "??";
    frames.push_back(std::move(f));
    if (i > 0) {
      file = CallFile(cu, &chain[i]);
      line = AttrUdata(&chain[i], DW_AT_call_line, /*integrate=*/false);
    }
  }
  return frames;
}

}  // namespace leaktrack
