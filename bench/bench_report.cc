// bench_report: turns the raw results that bench/run.sh collects into the comparison table
// (terminal and Markdown) and an SVG bar chart of the slowdown ratios. Ordinary C++ with no
// dependencies, so `make bench` needs nothing beyond the compiler.
//
// Input (tab-separated, one record a line, '#' lines ignored):
//   W <workload> <throughput|time> <unit> <target ratio> <title>
//   C <workload> <config> <base config> <note>
//   R <workload> <config> <rep> <value or NA> <peak RSS KiB or NA> [<CPU seconds or NA>]
//   F <workload> <config> <why a run failed, one line> (the first one per config is kept; the
//     table shows it up to its first ':' or ';')
// Every ratio is a slowdown against the config's own base in the same run (base median /
// median for throughput, median / base median for time), so > 1 is always worse. Rows whose
// config name starts with "leaktrack" are checked against the workload's target and against the
// memory budget (8 MiB + 2% of the base's peak RSS). The CPU ratio (median CPU seconds for the
// same fixed work over the base's) is printed beside the wall-clock one: on a machine shared with
// other work it is the steadier of the two, but the verdict uses the wall clock. So is the paired
// slowdown (median over rounds of the ratio within a round; see PairedRatio), shown beside it.
//
// Usage: bench_report RESULTS.tsv --md OUT.md --svg OUT.svg   (exit 1 if a leaktrack row misses
// a target, 2 on bad input).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace leaktrack {
namespace {

constexpr double kMemFixedKib = 8 * 1024;
constexpr double kMemShare = 0.02;

struct Workload {
  std::string name, kind, unit, title;
  double target = 0;
  std::vector<std::string> configs;  // in declaration order
};

struct Config {
  std::string base, note, why_failed;
  std::vector<double> values, rss, cpu;
  std::map<std::string, double> value_by_rep;  // for the paired ratio
  int failures = 0;
};

struct Stats {
  bool ok = false;
  double median = 0, min = 0, max = 0;
};

Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.ok = true;
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, '\t')) out.push_back(field);
  return out;
}

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(*out);
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// Throughputs of millions print as "12.3M", times as seconds.
std::string FmtValue(const Workload& w, double v) {
  if (w.kind == "time") return Fmt("%.3f", v);
  if (v >= 1e6) return Fmt("%.2fM", v / 1e6);
  if (v >= 1e3) return Fmt("%.1fk", v / 1e3);
  return Fmt("%.0f", v);
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

struct Row {
  std::string workload, config, note, verdict;
  Stats value, rss;
  double ratio = NAN, ratio_lo = NAN, ratio_hi = NAN, rss_ratio = NAN, rss_over_kib = NAN;
  double cpu_ratio = NAN;
  double paired_ratio = NAN;
  double target = 0;
  bool is_base = false;
};

// The median over rounds of the config's slowdown against the base's run in the same round.
// Configs alternate within a round, so a round's two runs saw nearly the same machine: this
// cancels drift between rounds (a neighbour's load, frequency changes) that the ratio of medians
// keeps. NAN when no round has both.
double PairedRatio(const Config& c, const Config& base, bool throughput) {
  std::vector<double> ratios;
  for (const auto& [rep, v] : c.value_by_rep) {
    auto b = base.value_by_rep.find(rep);
    if (b == base.value_by_rep.end()) continue;
    ratios.push_back(throughput ? b->second / v : v / b->second);
  }
  Stats s = Summarize(ratios);
  return s.ok ? s.median : NAN;
}

class Report {
 public:
  bool Load(const char* path) {
    std::ifstream in(path);
    if (!in) {
      fprintf(stderr, "bench_report: cannot read '%s'\n", path);
      return false;
    }
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      if (!ParseRecord(Split(line))) {
        fprintf(stderr, "bench_report: %s:%d: bad record '%s'\n", path, lineno, line.c_str());
        return false;
      }
    }
    return true;
  }

  // Computes every row; returns false if a leaktrack row misses a target.
  bool Compute() {
    bool all_met = true;
    for (const std::string& wname : order_) {
      Workload& w = workloads_[wname];
      for (const std::string& cname : w.configs) {
        Config& c = configs_[Key(wname, cname)];
        Row r;
        r.workload = wname;
        r.config = cname;
        r.note = c.note;
        r.value = Summarize(c.values);
        r.rss = Summarize(c.rss);
        r.target = w.target;
        r.is_base = c.base == cname;
        auto base_it = configs_.find(Key(wname, c.base));
        if (r.value.ok && base_it != configs_.end()) {
          Stats b = Summarize(base_it->second.values);
          Stats brss = Summarize(base_it->second.rss);
          Stats bcpu = Summarize(base_it->second.cpu);
          Stats cpu = Summarize(c.cpu);
          if (bcpu.ok && cpu.ok && bcpu.median > 0) r.cpu_ratio = cpu.median / bcpu.median;
          if (b.ok) {
            bool tp = w.kind == "throughput";
            r.ratio = tp ? b.median / r.value.median : r.value.median / b.median;
            r.ratio_lo = tp ? b.median / r.value.max : r.value.min / b.median;
            r.ratio_hi = tp ? b.median / r.value.min : r.value.max / b.median;
            r.paired_ratio = PairedRatio(c, base_it->second, tp);
          }
          if (brss.ok && r.rss.ok) {
            r.rss_ratio = r.rss.median / brss.median;
            r.rss_over_kib = r.rss.median - brss.median;
            if (cname.rfind("leaktrack", 0) == 0) {
              double budget = kMemFixedKib + kMemShare * brss.median;
              bool fast = !std::isnan(r.ratio) && r.ratio <= w.target;
              bool small = r.rss_over_kib <= budget;
              r.verdict = std::string(fast ? "time ok" : "TIME MISS") + ", " +
                          (small ? "mem ok" : "MEM MISS");
              all_met = all_met && fast && small;
            }
          }
        }
        if (!r.value.ok) {
          r.verdict = c.failures > 0 ? "failed (" + std::to_string(c.failures) + " of " +
                                           std::to_string(c.failures) + " runs)"
                                     : "unavailable";
          if (c.failures > 0 && !c.why_failed.empty())
            r.verdict += ": " + c.why_failed.substr(0, c.why_failed.find_first_of(":;"));
          if (cname.rfind("leaktrack", 0) == 0) all_met = false;
        } else if (c.failures > 0) {
          r.verdict += (r.verdict.empty() ? "" : ", ") + std::to_string(c.failures) + " failed runs";
        }
        rows_.push_back(r);
      }
    }
    return all_met;
  }

  void PrintText() const {
    std::string last;
    for (const Row& r : rows_) {
      const Workload& w = workloads_.at(r.workload);
      if (r.workload != last) {
        printf("\n== %s (%s, %s; target <= %.2fx) ==\n", w.title.c_str(), w.unit.c_str(),
               w.kind == "time" ? "lower is better" : "higher is better", w.target);
        printf("%-22s %12s %21s %8s %8s %8s %10s %8s  %s\n", "config", "median", "min-max", "ratio",
               "paired", "cpu x", "peakRSS MiB", "rss x", "verdict");
        last = r.workload;
      }
      if (!r.value.ok) {
        printf("%-22s %12s %21s %8s %8s %8s %10s %8s  %s\n", r.config.c_str(), "-", "-", "-", "-",
               "-", "-", "-", r.verdict.c_str());
        continue;
      }
      std::string range = FmtValue(w, r.value.min) + "-" + FmtValue(w, r.value.max);
      printf("%-22s %12s %21s %8s %8s %8s %10s %8s  %s\n", r.config.c_str(),
             FmtValue(w, r.value.median).c_str(), range.c_str(), FmtRatio(r.ratio).c_str(),
             FmtRatio(r.paired_ratio).c_str(), FmtRatio(r.cpu_ratio).c_str(),
             r.rss.ok ? Fmt("%.1f", r.rss.median / 1024).c_str() : "-",
             FmtRatio(r.rss_ratio).c_str(), r.verdict.c_str());
    }
  }

  std::string Markdown() const {
    std::string md;
    std::string last;
    for (const Row& r : rows_) {
      const Workload& w = workloads_.at(r.workload);
      if (r.workload != last) {
        md += "\n### " + w.title + "\n\n";
        md += std::string("Unit: ") + w.unit + " (" +
              (w.kind == "time" ? "lower" : "higher") + " is better). Target for leaktrack: <= " +
              Fmt("%.2f", w.target) + "x its base, memory <= 8 MiB + 2% of the base's peak RSS.\n\n";
        md += "| config | median | min-max | slowdown vs base (min-max) | paired slowdown | "
              "CPU-time ratio | peak RSS MiB | RSS ratio | verdict | what it is |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
        last = r.workload;
      }
      if (!r.value.ok) {
        md += "| " + r.config + " | - | - | - | - | - | - | - | " + r.verdict + " | " + r.note +
              " |\n";
        continue;
      }
      std::string ratio = r.is_base ? "base" : FmtRatio(r.ratio) + " (" + FmtRatio(r.ratio_lo) +
                                                   "-" + FmtRatio(r.ratio_hi) + ")";
      md += "| " + r.config + " | " + FmtValue(w, r.value.median) + " | " +
            FmtValue(w, r.value.min) + "-" + FmtValue(w, r.value.max) + " | " + ratio + " | " +
            (r.is_base ? std::string("base") : FmtRatio(r.paired_ratio)) + " | " +
            (r.is_base ? std::string("base") : FmtRatio(r.cpu_ratio)) + " | " +
            (r.rss.ok ? Fmt("%.1f", r.rss.median / 1024) : "-") + " | " +
            FmtRatio(r.rss_ratio) + " | " + r.verdict + " | " + r.note + " |\n";
    }
    return md;
  }

  // One panel per workload; a bar per non-base config from 1.0 to its slowdown vs its base, with
  // a min-max whisker, and a red dashed line at the target. The axis spans 0.9x-1.6x so that the
  // few percent the targets are about stay visible; ratios past it are clipped and labelled.
  std::string Svg() const {
    constexpr int kWidth = 760, kLabelW = 170, kPlotW = 480, kBarH = 16, kGap = 6, kHead = 34;
    constexpr double kAxisMin = 0.9, kAxisMax = 1.6;
    std::string body;
    int y = 10;
    std::string last;
    auto x_of = [&](double ratio) {
      const double r = std::max(kAxisMin, std::min(ratio, kAxisMax));
      return kLabelW + kPlotW * (r - kAxisMin) / (kAxisMax - kAxisMin);
    };
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      const Workload& w = workloads_.at(r.workload);
      if (r.workload != last) {
        last = r.workload;
        y += 22;  // room for the previous panel's axis labels
        body += "<text x='4' y='" + std::to_string(y + 12) + "' font-weight='bold'>" +
                XmlEscape(w.title) + "</text>\n";
        int n = 0;
        for (const Row& o : rows_)
          if (o.workload == r.workload && !o.is_base) ++n;
        int top = y + kHead - 14, bottom = y + kHead + n * (kBarH + kGap);
        for (int g = 9; g <= 16; ++g) {
          body += Line(x_of(g / 10.0), top, x_of(g / 10.0), bottom, g == 10 ? "#555" : "#ddd",
                       false);
          body += "<text x='" + Fmt("%.0f", x_of(g / 10.0)) + "' y='" + std::to_string(bottom + 11) +
                  "' font-size='9' text-anchor='middle' fill='#777'>" + Fmt("%.1f", g / 10.0) +
                  "</text>\n";
        }
        body += Line(x_of(w.target), top, x_of(w.target), bottom, "#d00", true);
        body += "<text x='" + Fmt("%.0f", x_of(w.target) + 3) + "' y='" +
                std::to_string(top + 8) + "' font-size='10' fill='#d00'>target " +
                Fmt("%.2f", w.target) + "x</text>\n";
        y += kHead;
      }
      if (r.is_base) continue;
      std::string color = r.config.rfind("leaktrack", 0) == 0 ? "#2a7ab8" : "#999";
      body += "<text x='" + std::to_string(kLabelW - 6) + "' y='" + std::to_string(y + 12) +
              "' text-anchor='end' font-size='12'>" + XmlEscape(r.config) + "</text>\n";
      if (!std::isnan(r.ratio)) {
        const double x0 = std::min(x_of(1.0), x_of(r.ratio));
        body += "<rect x='" + Fmt("%.1f", x0) + "' y='" + std::to_string(y) + "' width='" +
                Fmt("%.1f", std::fabs(x_of(r.ratio) - x_of(1.0))) + "' height='" +
                std::to_string(kBarH) + "' fill='" + color + "'/>\n";
        body += Line(x_of(r.ratio_lo), y + kBarH / 2, x_of(r.ratio_hi), y + kBarH / 2, "#000",
                     false);
        const double label_x = std::max({x_of(r.ratio), x_of(r.ratio_hi), x_of(1.0)}) + 4;
        body += "<text x='" + Fmt("%.0f", label_x) + "' y='" + std::to_string(y + 12) +
                "' font-size='11'>" + FmtRatio(r.ratio) + (r.ratio > kAxisMax ? " (off scale)" : "") +
                "</text>\n";
      } else {
        body += "<text x='" + std::to_string(kLabelW + 4) + "' y='" + std::to_string(y + 12) +
                "' font-size='11' fill='#a00'>" + XmlEscape(r.verdict) + "</text>\n";
      }
      y += kBarH + kGap;
    }
    y += 40;
    body += "<text x='" + std::to_string(kLabelW) + "' y='" + std::to_string(y - 8) +
            "' font-size='11'>slowdown vs the config's own base allocator (1.0 = no cost; "
            "axis 0.9x-1.6x; whiskers = min-max)</text>\n";
    return "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(kWidth) +
           "' height='" + std::to_string(y) + "' font-family='sans-serif' font-size='13'>\n" +
           "<rect width='100%' height='100%' fill='white'/>\n" + body + "</svg>\n";
  }

 private:
  static std::string Key(const std::string& w, const std::string& c) { return w + "\x1f" + c; }

  static std::string FmtRatio(double r) { return std::isnan(r) ? "-" : Fmt("%.3f", r); }

  static std::string Line(double x1, double y1, double x2, double y2, const char* color,
                          bool dashed) {
    return "<line x1='" + Fmt("%.1f", x1) + "' y1='" + Fmt("%.1f", y1) + "' x2='" +
           Fmt("%.1f", x2) + "' y2='" + Fmt("%.1f", y2) + "' stroke='" + color + "'" +
           (dashed ? " stroke-dasharray='4 3'" : "") + "/>\n";
  }

  bool ParseRecord(const std::vector<std::string>& f) {
    if (f.empty()) return false;
    if (f[0] == "W" && f.size() == 6) {
      Workload w;
      w.name = f[1];
      w.kind = f[2];
      w.unit = f[3];
      w.title = f[5];
      if ((w.kind != "throughput" && w.kind != "time") || !ParseDouble(f[4], &w.target))
        return false;
      if (workloads_.count(w.name) == 0) order_.push_back(w.name);
      workloads_[w.name] = w;
      return true;
    }
    if (f[0] == "C" && f.size() == 5) {
      auto it = workloads_.find(f[1]);
      if (it == workloads_.end()) return false;
      Config& c = configs_[Key(f[1], f[2])];
      if (c.base.empty()) it->second.configs.push_back(f[2]);
      c.base = f[3];
      c.note = f[4];
      return true;
    }
    if (f[0] == "F" && f.size() == 4) {
      auto it = configs_.find(Key(f[1], f[2]));
      if (it == configs_.end()) return false;
      if (it->second.why_failed.empty()) it->second.why_failed = f[3];
      return true;
    }
    if (f[0] == "R" && (f.size() == 6 || f.size() == 7)) {
      auto it = configs_.find(Key(f[1], f[2]));
      if (it == configs_.end()) return false;
      double v = 0, rss = 0;
      if (f[4] == "NA") {
        it->second.failures++;
        return true;
      }
      if (!ParseDouble(f[4], &v) || v <= 0) return false;
      it->second.values.push_back(v);
      it->second.value_by_rep[f[3]] = v;
      if (f[5] != "NA") {
        if (!ParseDouble(f[5], &rss)) return false;
        it->second.rss.push_back(rss);
      }
      double cpu = 0;
      if (f.size() == 7 && f[6] != "NA") {
        if (!ParseDouble(f[6], &cpu)) return false;
        it->second.cpu.push_back(cpu);
      }
      return true;
    }
    return false;
  }

  std::vector<std::string> order_;
  std::map<std::string, Workload> workloads_;
  std::map<std::string, Config> configs_;
  std::vector<Row> rows_;
};

bool WriteFile(const char* path, const std::string& text) {
  FILE* f = fopen(path, "w");
  if (f == nullptr || fwrite(text.data(), 1, text.size(), f) != text.size() || fclose(f) != 0) {
    fprintf(stderr, "bench_report: cannot write '%s'\n", path);
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  const char* md = nullptr;
  const char* svg = nullptr;
  const char* in = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--md") == 0 && i + 1 < argc) md = argv[++i];
    else if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (in == nullptr && argv[i][0] != '-') in = argv[i];
    else {
      fprintf(stderr, "bench_report: usage: bench_report RESULTS.tsv [--md OUT] [--svg OUT]\n");
      return 2;
    }
  }
  if (in == nullptr) {
    fprintf(stderr, "bench_report: usage: bench_report RESULTS.tsv [--md OUT] [--svg OUT]\n");
    return 2;
  }
  Report report;
  if (!report.Load(in)) return 2;
  bool met = report.Compute();
  report.PrintText();
  if (md != nullptr && !WriteFile(md, report.Markdown())) return 2;
  if (svg != nullptr && !WriteFile(svg, report.Svg())) return 2;
  printf("\nleaktrack targets: %s\n", met ? "all met" : "NOT all met (see verdicts)");
  return met ? 0 : 1;
}

}  // namespace
}  // namespace leaktrack

int main(int argc, char** argv) { return leaktrack::Main(argc, argv); }
