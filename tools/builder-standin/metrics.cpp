#include "tools/builder-standin/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bnet::standin {

namespace {

std::string escapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string_view typeName(Metrics::Type t) {
  switch (t) {
    case Metrics::Type::kCounter: return "counter";
    case Metrics::Type::kGauge: return "gauge";
    case Metrics::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string withLabel(const std::string& key, std::string_view name, std::string_view value) {
  std::string extra = fmt::format("{}=\"{}\"", name, value);
  if (key.empty()) return "{" + extra + "}";
  return key.substr(0, key.size() - 1) + "," + extra + "}";
}

}  // namespace

std::vector<double> countBuckets() { return {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}; }

std::string Metrics::key(const MetricLabels& labels) {
  if (labels.empty()) return "";
  MetricLabels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::string out = "{";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ',';
    out += fmt::format("{}=\"{}\"", sorted[i].first, escapeLabel(sorted[i].second));
  }
  return out + "}";
}

void Metrics::describe(std::string name, Type type, std::string help, std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.type = type;
  f.help = std::move(help);
  if (type == Type::kHistogram) f.buckets = buckets.empty() ? countBuckets() : std::move(buckets);
}

Metrics::Family& Metrics::family(std::string_view name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
    if (type == Type::kHistogram) it->second.buckets = countBuckets();
  }
  return it->second;
}

void Metrics::increment(std::string_view name, const MetricLabels& labels, double by) {
  std::lock_guard lock(mu_);
  Family& f = family(name, Type::kCounter);
  std::string k = key(labels);
  f.values[k] += by;
}

void Metrics::set(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = family(name, Type::kGauge);
  std::string k = key(labels);
  f.values[k] = value;
}

void Metrics::observe(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = family(name, Type::kHistogram);
  Histogram& h = f.histograms[key(labels)];
  if (h.raw.size() != f.buckets.size()) h.raw.assign(f.buckets.size(), 0);
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) {
      h.raw[i] += 1;
      break;
    }
  }
  h.sum += value;
  h.count += 1;
}

double Metrics::value(std::string_view name, const MetricLabels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto v = it->second.values.find(key(labels));
  return v == it->second.values.end() ? 0 : v->second;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += fmt::format("# HELP {} {}\n", name, f.help);
    out += fmt::format("# TYPE {} {}\n", name, typeName(f.type));
    if (f.type != Type::kHistogram) {
      for (const auto& [k, v] : f.values) out += fmt::format("{}{} {}\n", name, k, number(v));
      continue;
    }
    for (const auto& [k, h] : f.histograms) {
      double cumulative = 0;
      for (std::size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += i < h.raw.size() ? h.raw[i] : 0;
        out += fmt::format("{}_bucket{} {}\n", name, withLabel(k, "le", number(f.buckets[i])), number(cumulative));
      }
      out += fmt::format("{}_bucket{} {}\n", name, withLabel(k, "le", "+Inf"), number(h.count));
      out += fmt::format("{}_sum{} {}\n", name, k, number(h.sum));
      out += fmt::format("{}_count{} {}\n", name, k, number(h.count));
    }
  }
  return out;
}

}  // namespace bnet::standin
