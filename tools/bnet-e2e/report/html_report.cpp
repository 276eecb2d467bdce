// The report page: one HTML file with inline CSS and inline SVG charts drawn here. A short
// inline script counts the chart elements the browser laid out (data-* on <body>), so a
// headless browser check sees what was really drawn. A Content-Security-Policy forbids
// every fetch: the page works offline and cannot call out.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::report {

namespace {

constexpr double kChartLeft = 230;   // label column
constexpr double kChartWidth = 820;  // plot area
constexpr std::size_t kMaxSlots = 300;
constexpr std::size_t kMaxBidRows = 30;

const char* const kPalette[] = {"#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568"};
constexpr const char* kPlainColor = "#a0aec0";

std::string esc(std::string_view s) { return htmlEscape(s); }

// A run-relative path as an href: bytes outside [A-Za-z0-9/._~-] percent-encoded, so a
// file name can never become a scheme ("javascript:") or break out of the attribute.
std::string urlPath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string link(const RenderOptions& o, const LogLink& l) {
  return fmt::format("<a href=\"{}\">{}</a>", esc(urlPath(o.link_prefix + l.path)), esc(l.label));
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

// 1, 2 or 5 x 10^k: the tick step that gives about `ticks` ticks up to max.
double niceStep(double max, int ticks) {
  if (max <= 0) return 1;
  double raw = max / ticks;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

std::string axis(double max, double y, const char* unit) {
  std::string svg;
  double step = niceStep(max, 8);
  for (double t = 0; t <= max + step * 1e-9; t += step) {
    double x = kChartLeft + t / max * kChartWidth;
    svg += fmt::format("<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"0\" y2=\"{1:.1f}\"/>", x, y);
    svg += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}{}</text>", x, y + 14,
                       fmt::format("{:g}", t), unit);
  }
  return svg;
}

std::string noData(std::string_view missing) {
  return fmt::format("<p class=\"nodata\">no data: {} was missing</p>\n", esc(missing));
}

std::string ethOf(const std::string& wei) {
  long double v = 0;
  for (char c : wei) v = v * 10 + (c - '0');
  return fmt::format("{:.6f} ETH", static_cast<double>(v / 1e18L));
}

// Decimal strings without leading zeros compare by length, then as text.
bool weiLess(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& s) {
    auto i = s.find_first_not_of('0');
    return i == std::string::npos ? std::string("0") : s.substr(i);
  };
  auto x = strip(a), y = strip(b);
  return x.size() != y.size() ? x.size() < y.size() : x < y;
}

std::string shortHex(const std::string& h) { return h.size() > 14 ? h.substr(0, 10) + "…" + h.substr(h.size() - 4) : h; }

std::string statusBadge(TestStatus s) {
  return fmt::format("<span class=\"badge {0}\">{0}</span>", toString(s));
}

std::string changeText(const TestChange& c) {
  auto side = [](const std::optional<TestStatus>& s) { return s ? std::string(toString(*s)) : std::string("absent"); };
  return side(c.before) + " → " + side(c.after);
}

std::string renderComparison(const Comparison& c) {
  std::string h = fmt::format("<section id=\"comparison\"><h2>Compared with run {}</h2>\n", esc(c.previous_name));
  if (c.tests.empty()) {
    h += "<p>No test changed state.</p>\n";
  } else {
    h += fmt::format("<p>{} test(s) changed state:</p><ul class=\"changes\">\n", c.tests.size());
    for (const auto& t : c.tests) {
      bool worse = t.after == TestStatus::kFailed;
      h += fmt::format("<li class=\"change{}\"><code>{}</code>: {}</li>\n", worse ? " worse" : "", esc(t.name),
                       esc(changeText(t)));
    }
    h += "</ul>\n";
  }
  if (c.slower_boot_steps.empty()) {
    h += "<p>No boot step got slower.</p>\n";
  } else {
    h += "<p>Boot steps that got slower:</p><ul class=\"slower\">\n";
    for (const auto& s : c.slower_boot_steps) {
      h += fmt::format("<li class=\"slower-step\"><code>{}</code>: {} s → {} s (+{} s, +{:.0f}%)</li>\n", esc(s.unit),
                       num(s.before_s), num(s.after_s), num(s.after_s - s.before_s),
                       s.before_s > 0 ? 100 * (s.after_s - s.before_s) / s.before_s : 100.0);
    }
    h += "</ul>\n";
  }
  return h + "</section>\n";
}

std::string renderResults(const RunData& run, const RenderOptions& o) {
  std::string h = "<section id=\"results\"><h2>Results</h2>\n";
  if (!run.results.missing.empty()) return h + noData(run.results.missing) + "</section>\n";
  std::map<std::string, const TestChange*> changes;
  if (o.comparison) {
    for (const auto& c : o.comparison->tests) changes[c.name] = &c;
  }
  std::size_t counts[3] = {0, 0, 0};
  std::vector<std::string> suites;
  std::map<std::string, std::vector<const TestResult*>> by_suite;
  for (const auto& t : run.results.tests) {
    counts[static_cast<int>(t.status)]++;
    if (!by_suite.count(t.suite)) suites.push_back(t.suite);
    by_suite[t.suite].push_back(&t);
  }
  h += fmt::format("<p class=\"summary\" id=\"summary\">{} passed, {} failed, {} skipped</p>\n", counts[0], counts[1],
                   counts[2]);
  if (run.results.tests.empty()) h += "<p class=\"nodata\">no data: junit.xml lists no test</p>\n";
  for (const auto& suite : suites) {
    const auto& tests = by_suite[suite];
    std::size_t c[3] = {0, 0, 0};
    for (const auto* t : tests) c[static_cast<int>(t->status)]++;
    // A suite whose tests all passed starts folded, so failures and skips stand out.
    h += fmt::format("<details class=\"suite\"{}><summary><b>{}</b> — {} passed, {} failed, {} skipped</summary>\n",
                     c[0] == tests.size() ? "" : " open", esc(suite), c[0], c[1], c[2]);
    h += "<table class=\"tests\"><tr><th>status</th><th>test</th><th>time</th><th>details</th></tr>\n";
    for (const auto* t : tests) {
      std::string details;
      if (auto it = changes.find(t->name); it != changes.end()) {
        details += fmt::format("<span class=\"change-mark\">changed: {}</span>", esc(changeText(*it->second)));
      }
      if (!t->message.empty()) details += fmt::format("<pre class=\"message\">{}</pre>", esc(t->message));
      if (!t->logs.empty()) {
        details += "<div class=\"logs\">logs: ";
        for (std::size_t i = 0; i < t->logs.size(); ++i) details += (i ? ", " : "") + link(o, t->logs[i]);
        details += "</div>";
      }
      h += fmt::format("<tr class=\"test {}\"><td>{}</td><td class=\"name\">{}</td><td>{} s</td><td>{}</td></tr>\n",
                       toString(t->status), statusBadge(t->status), esc(t->name), fmt::format("{:.2f}", t->seconds), details);
    }
    h += "</table></details>\n";
  }
  return h + "</section>\n";
}

std::string renderBoot(const RunData& run, const RenderOptions& o) {
  std::string h = "<section id=\"boot\"><h2>Boot timeline</h2>\n";
  if (!run.boot.missing.empty()) return h + noData(run.boot.missing) + "</section>\n";
  if (run.boot.steps.empty()) return h + "<p class=\"nodata\">no data: boot-timeline.json lists no step</p></section>\n";
  std::map<std::string, const SlowerBootStep*> slower;
  if (o.comparison) {
    for (const auto& s : o.comparison->slower_boot_steps) slower[s.unit] = &s;
  }
  double max = 0;
  for (const auto& s : run.boot.steps) {
    max = std::max({max, s.started_s.value_or(0), s.finished_s.value_or(0)});
  }
  max = max <= 0 ? 1 : std::ceil(max / niceStep(max, 8)) * niceStep(max, 8);
  const double row = 24;
  const double height = row * run.boot.steps.size() + 8;
  h += fmt::format("<p>Each unit from its start to its goal (active, or exited for oneshot units), in seconds since "
                   "the VM's kernel started.</p>\n<svg id=\"boot-timeline\" class=\"chart\" viewBox=\"0 0 {} {}\" "
                   "role=\"img\">\n",
                   kChartLeft + kChartWidth + 20, height + 24);
  h += axis(max, height, "s");
  for (std::size_t i = 0; i < run.boot.steps.size(); ++i) {
    const auto& s = run.boot.steps[i];
    const double y = i * row + 4;
    auto mark = slower.find(s.unit);
    std::string label = s.unit;
    if (mark != slower.end()) label += fmt::format(" (+{} s)", num(mark->second->after_s - mark->second->before_s));
    h += fmt::format("<text class=\"label{}\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                     mark != slower.end() ? " slower" : "", kChartLeft - 8, y + 15, esc(label));
    if (!s.started_s && !s.finished_s) {
      h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{:.1f}\">not started</text>\n", kChartLeft + 4, y + 15);
      continue;
    }
    double start = s.started_s.value_or(*s.finished_s);
    double end = s.finished_s.value_or(start);
    double x = kChartLeft + start / max * kChartWidth;
    double w = std::max(3.0, (end - start) / max * kChartWidth);
    bool ok = s.result.empty() || s.result == "success";
    h += fmt::format("<rect class=\"bar boot-bar {}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\">"
                     "<title>{}: {} s → {} s ({} s){}</title></rect>\n",
                     ok ? "ok" : "bad", x, y, w, row - 6, esc(s.unit), num(start), num(end), num(end - start),
                     ok ? "" : esc(", result " + s.result));
  }
  return h + "</svg>\n</section>\n";
}

std::map<std::string, std::string> builderColors(const std::vector<std::string>& builders) {
  std::map<std::string, std::string> colors;
  std::size_t next = 0;
  for (const auto& b : builders) {
    if (colors.count(b)) continue;
    colors[b] = b == "plain block" ? kPlainColor : kPalette[next++ % std::size(kPalette)];
  }
  return colors;
}

std::string renderBlocks(const RunData& run) {
  std::string h = "<section id=\"blocks\"><h2>Blocks per slot and who built them</h2>\n";
  if (!run.blocks.missing.empty()) return h + noData(run.blocks.missing) + "</section>\n";
  if (run.blocks.blocks.empty()) return h + "<p class=\"nodata\">no data: blocks.json lists no block</p></section>\n";
  std::map<std::uint64_t, const ChainBlock*> by_slot;
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> per_builder;  // blocks, txs
  for (const auto& b : run.blocks.blocks) {
    by_slot[b.slot] = &b;
    if (!per_builder.count(b.builder)) order.push_back(b.builder);
    per_builder[b.builder].first++;
    per_builder[b.builder].second += b.tx_count;
  }
  auto colors = builderColors(order);
  std::uint64_t last = by_slot.rbegin()->first;
  std::uint64_t first = by_slot.begin()->first;
  if (last - first + 1 > kMaxSlots) {
    first = last - kMaxSlots + 1;
    h += fmt::format("<p>The last {} slots.</p>\n", kMaxSlots);
  }
  std::uint64_t max_tx = 1;
  for (auto& [slot, b] : by_slot) max_tx = std::max(max_tx, b->tx_count);
  const double n = static_cast<double>(last - first + 1);
  const double col = kChartWidth / n;
  const double plot = 120;
  h += fmt::format("<p>One column per slot {}–{}; its height is the block's transaction count (at most {}), its "
                   "colour the builder; a grey tick is a slot without a block.</p>\n",
                   first, last, max_tx);
  h += fmt::format("<svg id=\"blocks-per-slot\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\">\n",
                   kChartLeft + kChartWidth + 20, plot + 30);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">slot {}</text>", kChartLeft - 8, plot,
                   first);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} tx</text>", kChartLeft - 8, 12, max_tx);
  for (std::uint64_t slot = first; slot <= last; ++slot) {
    double x = kChartLeft + (slot - first) * col;
    auto it = by_slot.find(slot);
    if (it == by_slot.end()) {
      h += fmt::format("<rect class=\"empty-slot\" x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"3\"><title>slot {}: no "
                       "block</title></rect>",
                       x, plot - 3, std::max(1.0, col - 1), slot);
      continue;
    }
    const auto& b = *it->second;
    double bh = std::max(4.0, plot * b.tx_count / max_tx);
    h += fmt::format("<rect class=\"bar block-bar\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
                     "style=\"fill:{}\"><title>slot {}: block {} by {}, {} tx, {}</title></rect>\n",
                     x, plot - bh, std::max(1.0, col - 1), bh, colors[b.builder], slot, b.number, esc(b.builder),
                     b.tx_count, esc(shortHex(b.hash)));
  }
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">slot {}</text>", kChartLeft + kChartWidth,
                   plot + 16, last);
  h += "</svg>\n<table class=\"legend\"><tr><th></th><th>built by</th><th>blocks</th><th>transactions</th></tr>\n";
  for (const auto& b : order) {
    h += fmt::format("<tr><td><span class=\"swatch\" style=\"background:{}\"></span></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     colors[b], esc(b), per_builder[b].first, per_builder[b].second);
  }
  return h + "</table>\n</section>\n";
}

std::string renderBids(const RunData& run) {
  std::string h = "<section id=\"bids\"><h2>Relay bids per slot</h2>\n";
  if (!run.bids.missing.empty()) return h + noData(run.bids.missing) + "</section>\n";
  if (run.bids.bids.empty()) {
    return h + fmt::format("<p class=\"nodata\">no data: {} lists no bid</p></section>\n", esc(run.bids.source));
  }
  struct Slot {
    std::size_t count = 0;
    const RelayBid* best = nullptr;
    std::set<std::string> builders;
  };
  std::map<std::uint64_t, Slot> slots;
  for (const auto& b : run.bids.bids) {
    auto& s = slots[b.slot];
    s.count++;
    s.builders.insert(b.builder_pubkey);
    if (!s.best || weiLess(s.best->value, b.value)) s.best = &b;
  }
  std::uint64_t last = slots.rbegin()->first, first = slots.begin()->first;
  if (last - first + 1 > kMaxSlots) first = last - kMaxSlots + 1;
  std::size_t max_count = 1;
  for (auto& [slot, s] : slots) max_count = std::max(max_count, s.count);
  const double col = kChartWidth / static_cast<double>(last - first + 1);
  const double plot = 100;
  h += fmt::format("<p>From <code>{}</code>: the bids the relay received (builder_blocks_received) for slots {}–{}; "
                   "a column's height is the number of bids (at most {}).</p>\n",
                   esc(run.bids.source), first, last, max_count);
  h += fmt::format("<svg id=\"bids-per-slot\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\">\n",
                   kChartLeft + kChartWidth + 20, plot + 30);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} bids</text>", kChartLeft - 8, 12, max_count);
  for (auto& [slot, s] : slots) {
    if (slot < first) continue;
    double x = kChartLeft + (slot - first) * col;
    double bh = std::max(3.0, plot * s.count / max_count);
    h += fmt::format("<rect class=\"bar bid-bar\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\">"
                     "<title>slot {}: {} bid(s) from {} builder(s), best {}</title></rect>\n",
                     x, plot - bh, std::max(1.0, col - 1), bh, slot, s.count, s.builders.size(), ethOf(s.best->value));
  }
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"start\">slot {}</text>", kChartLeft, plot + 16, first);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">slot {}</text>", kChartLeft + kChartWidth,
                   plot + 16, last);
  h += "</svg>\n<table class=\"bids\"><tr><th>slot</th><th>bids</th><th>best value</th><th>best builder</th><th>its "
       "block</th></tr>\n";
  std::size_t rows = 0;
  for (auto it = slots.rbegin(); it != slots.rend() && rows < kMaxBidRows; ++it, ++rows) {
    const auto& s = it->second;
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
                     it->first, s.count, ethOf(s.best->value), esc(shortHex(s.best->builder_pubkey)),
                     esc(shortHex(s.best->block_hash)));
  }
  return h + "</table>\n</section>\n";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(std::ceil(p / 100 * v.size()));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

std::string renderLatency(const RunData& run) {
  std::string h = "<section id=\"latency\"><h2>Transaction inclusion latency</h2>\n";
  const auto& l = run.latency;
  if (!l.missing.empty()) return h + noData(l.missing) + "</section>\n";
  h += "<p>From ";
  for (std::size_t i = 0; i < l.files.size(); ++i) h += (i ? ", " : "") + fmt::format("<code>{}</code>", esc(l.files[i]));
  h += fmt::format(": {} included, {} not included", l.seconds.size(), l.not_included);
  if (l.seconds.empty()) return h + ".</p>\n<p class=\"nodata\">no data: no transaction was included</p></section>\n";
  h += fmt::format("; p50 {} s, p95 {} s, max {} s (from sending to the block being seen).</p>\n",
                   fmt::format("{:.2f}", percentile(l.seconds, 50)), fmt::format("{:.2f}", percentile(l.seconds, 95)),
                   fmt::format("{:.2f}", *std::max_element(l.seconds.begin(), l.seconds.end())));
  auto hist = makeHistogram(l.seconds);
  std::size_t max_count = *std::max_element(hist.counts.begin(), hist.counts.end());
  const double plot = 160;
  const double bins = static_cast<double>(hist.counts.size());
  const double col = kChartWidth / bins;
  h += fmt::format("<svg id=\"latency-histogram\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\">\n",
                   kChartLeft + kChartWidth + 20, plot + 34);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"12\" text-anchor=\"end\">{} tx</text>", kChartLeft - 8, max_count);
  h += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">seconds</text>", kChartLeft - 8, plot + 16);
  for (std::size_t i = 0; i < hist.counts.size(); ++i) {
    double x = kChartLeft + i * col;
    h += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>", x, plot + 16,
                     i * hist.width);
    if (hist.counts[i] == 0) continue;
    double bh = plot * hist.counts[i] / max_count;
    h += fmt::format("<rect class=\"bar latency-bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
                     "<title>{:g}–{:g} s: {} transaction(s)</title></rect>\n",
                     x + 1, plot - bh, std::max(1.0, col - 2), bh, i * hist.width, (i + 1) * hist.width, hist.counts[i]);
  }
  h += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>", kChartLeft + kChartWidth,
                   plot + 16, bins * hist.width);
  return h + "</svg>\n</section>\n";
}

std::string renderLogs(const RunData& run, const RenderOptions& o) {
  std::string h = "<section id=\"logs\"><h2>Testbed logs</h2>\n";
  if (run.testbed_logs.empty()) return h + noData("testbed/") + "</section>\n";
  h += "<ul class=\"logs\">\n";
  for (const auto& l : run.testbed_logs) h += "<li>" + link(o, {.label = l.path, .path = l.path}) + "</li>\n";
  return h + "</ul>\n</section>\n";
}

constexpr const char* kStyle = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1a202c;max-width:1120px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #e2e8f0;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;width:100%;margin:6px 0}table.tests{table-layout:fixed}table.tests th:nth-child(1){width:70px}table.tests th:nth-child(2){width:42%}table.tests th:nth-child(3){width:70px}th,td{border-bottom:1px solid #edf2f7;padding:4px 6px;text-align:left;vertical-align:top}
td.name{font-family:monospace;word-break:break-all}pre.message{white-space:pre-wrap;background:#fff5f5;border-left:3px solid #e53e3e;padding:6px;margin:2px 0;max-height:320px;overflow:auto}
tr.skipped pre.message{background:#fffff0;border-color:#d69e2e}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}.badge.passed{background:#38a169}.badge.failed{background:#e53e3e}.badge.skipped{background:#d69e2e}
.change-mark{display:inline-block;background:#feebc8;color:#7b341e;padding:1px 6px;border-radius:3px;font-size:12px;margin-bottom:2px}
li.change.worse{color:#c53030;font-weight:bold}.slower-step,text.slower{fill:#c53030;color:#c53030;font-weight:bold}
.summary{font-size:16px;font-weight:bold}.nodata{color:#718096;font-style:italic}
svg.chart{width:100%;height:auto;background:#fafafa;border:1px solid #edf2f7}
rect.bar{fill:#2b6cb0}rect.boot-bar.bad{fill:#e53e3e}rect.block-bar{fill-opacity:.9}rect.empty-slot{fill:#cbd5e0}rect.latency-bar{fill:#2f855a}rect.bid-bar{fill:#6b46c1}
text{font-size:11px;fill:#2d3748}text.axis{fill:#718096;font-size:10px}line.tick{stroke:#e2e8f0}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px}.logs a{font-family:monospace}
details.suite{margin:8px 0}summary{cursor:pointer}
)css";

// Counts the chart elements the browser laid out with a non-empty box.
constexpr const char* kScript = R"js(
(function(){
  function drawn(sel){var n=0;document.querySelectorAll(sel).forEach(function(e){var b=e.getBBox();if(b.width>0&&b.height>0)n++;});return n;}
  var d=document.body.dataset;
  d.bootBars=drawn('#boot-timeline rect.bar');d.latencyBars=drawn('#latency-histogram rect.bar');
  d.blockBars=drawn('#blocks-per-slot rect.bar');d.bidBars=drawn('#bids-per-slot rect.bar');d.chartsCounted='yes';
})();
)js";

}  // namespace

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string renderHtml(const RunData& run, const RenderOptions& options) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'\">\n";
  h += fmt::format("<title>bnet-e2e run {}</title>\n<style>{}</style></head>\n<body>\n", esc(run.name), kStyle);
  h += fmt::format("<h1>bnet-e2e run <code>{}</code></h1>\n", esc(run.name));
  h += "<nav><a href=\"#results\">results</a> · <a href=\"#boot\">boot timeline</a> · <a href=\"#blocks\">blocks</a> · "
       "<a href=\"#latency\">inclusion latency</a> · <a href=\"#bids\">relay bids</a> · <a href=\"#logs\">logs</a></nav>\n";
  if (options.comparison) h += renderComparison(*options.comparison);
  h += renderResults(run, options);
  h += renderBoot(run, options);
  h += renderBlocks(run);
  h += renderLatency(run);
  h += renderBids(run);
  h += renderLogs(run, options);
  h += fmt::format("<script>{}</script>\n</body></html>\n", kScript);
  return h;
}

}  // namespace bnet::report
