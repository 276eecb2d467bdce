#pragma once
// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4). Thread-safe.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bnet::standin {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  // Declares a metric; a metric used before it is declared is a counter/gauge/histogram
  // according to the call that first touches it, with no help text.
  void describe(std::string name, Type type, std::string help, std::vector<double> buckets = {});

  void increment(std::string_view name, const MetricLabels& labels = {}, double by = 1);
  void set(std::string_view name, const MetricLabels& labels, double value);
  void set(std::string_view name, double value) { set(name, {}, value); }
  void observe(std::string_view name, const MetricLabels& labels, double value);
  // The current value of a counter or gauge series; 0 when absent.
  double value(std::string_view name, const MetricLabels& labels = {}) const;

  // Text exposition format, metrics sorted by name, series by labels.
  std::string render() const;

 private:
  struct Histogram {
    double sum = 0;
    double count = 0;
    std::vector<double> raw;  // per bucket (non-cumulative)
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, double> values;          // by rendered label set
    std::map<std::string, Histogram> histograms;   // by rendered label set
  };
  Family& family(std::string_view name, Type type);
  static std::string key(const MetricLabels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// The default histogram buckets (counts of things such as transactions per block).
std::vector<double> countBuckets();

}  // namespace bnet::standin
