// The boot-order check on crafted timelines: each rule of the partial order, broken alone,
// is reported as that rule; valid interleavings (also ones the twin never produces) pass;
// a oneshot orders from its exit, an exec unit from its start; the profile's "unordered"
// pairs are ordered by no chain of rules.
#include "fixtures/image/boot_order.hpp"
#include "framework/fs/fs.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

namespace {

namespace fs = std::filesystem;
using bnet::BootTimeline;
using bnet::ImageProfile;
using bnet::OrderEdgeResult;

const fs::path kImages = e2e::inSourceTree("environments/images");

const ImageProfile& profile(const std::string& name) {
  static std::map<std::string, ImageProfile> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, ImageProfile::load(kImages / (name + ".json"))).first;
  return it->second;
}

// A valid boot: each unit starts `offset` after the last of its predecessors' start jobs
// ended; a oneshot's job lasts 2 s, an exec unit is active at once. `slow` units' jobs last
// 1000 s instead.
struct Schedule {
  std::map<std::string, double> offset;  // default 1
  std::set<std::string> slow;
};

BootTimeline makeTimeline(const ImageProfile& p, const Schedule& s = {}) {
  const auto edges = bnet::orderEdges(p);
  std::map<std::string, double> start, done;
  const auto names = p.unitNames();
  std::set<std::string> pending(names.begin(), names.end());
  while (!pending.empty()) {
    bool progressed = false;
    for (const auto& u : names) {
      if (!pending.count(u)) continue;
      double ready = 0;
      bool blocked = false;
      for (const auto& e : edges) {
        if (e.then != u) continue;
        if (pending.count(e.first)) blocked = true;
        else ready = std::max(ready, done[e.first]);
      }
      if (blocked) continue;
      auto off = s.offset.find(u);
      start[u] = ready + (off == s.offset.end() ? 1.0 : off->second);
      const bool oneshot = p.findUnit(u)->type == bnet::UnitType::kOneshot;
      done[u] = start[u] + (s.slow.count(u) ? 1000.0 : oneshot ? 2.0 : 0.0);
      pending.erase(u);
      progressed = true;
    }
    if (!progressed) throw std::logic_error("the profile's order has a cycle");
  }
  BootTimeline t;
  for (const auto& u : names) {
    t.steps.push_back({.unit = u, .id = p.findUnit(u)->id(), .active_state = "active", .sub_state = "running",
                       .result = "success", .started_s = start[u], .finished_s = done[u]});
  }
  return t;
}

bnet::BootStep& step(BootTimeline& t, const std::string& unit) {
  for (auto& s : t.steps) {
    if (s.unit == unit) return s;
  }
  throw std::out_of_range(unit);
}

class EachRule : public ::testing::TestWithParam<std::string> {};

TEST_P(EachRule, ValidBootPassesAndEachRuleBrokenAloneIsReportedAsThatRule) {
  const ImageProfile& p = profile(GetParam());
  {
    auto check = bnet::checkBootOrder(p, makeTimeline(p));
    EXPECT_TRUE(check.ok()) << check.describe();
    EXPECT_EQ(check.held.size(), bnet::orderEdges(p).size());
  }
  const auto edges = bnet::orderEdges(p);
  std::set<std::string> rules;
  for (const auto& r : p.order) rules.insert(r.rule);
  std::set<std::string> broken_alone;
  for (const auto& rule : rules) {
    for (const auto& e : edges) {
      if (e.rule != rule) continue;
      // Make `first` slow, then start `then` just before it finished: that edge breaks;
      // any other edge that breaks with it means this pair cannot break alone.
      auto t = makeTimeline(p, {.slow = {e.first}});
      auto& b = step(t, e.then);
      const double a_done = *step(t, e.first).finished_s;
      const double duration = *b.finished_s - *b.started_s;
      b.started_s = a_done - 0.5;
      b.finished_s = *b.started_s + duration;
      auto check = bnet::checkBootOrder(p, t);
      ASSERT_FALSE(check.ok()) << "rule " << rule << ": " << e.first << " -> " << e.then << " broken, not reported";
      bool alone = true, named = false;
      for (const auto& v : check.violations) {
        alone = alone && v.first == e.first && v.then == e.then;
        named = named || v.rule == rule;
      }
      if (alone && named) {
        broken_alone.insert(rule);
        EXPECT_THAT(check.describe(), ::testing::HasSubstr("rule " + rule + ": " + e.first + " -> " + e.then));
        break;
      }
    }
  }
  std::set<std::string> applicable;
  for (const auto& e : edges) applicable.insert(e.rule);
  EXPECT_GE(applicable.size(), 3u) << "too few rules apply to " << GetParam();
  EXPECT_EQ(broken_alone, applicable) << "rules that no crafted timeline breaks alone are implied by others";
}

INSTANTIATE_TEST_SUITE_P(Profiles, EachRule, ::testing::Values("buildernet", "twin"));

TEST(BootOrder, AValidInterleavingTheTwinNeverProducesPasses) {
  const ImageProfile& p = profile("buildernet");
  // The twin orders persistent-setup after hostname-set, rbuilder after flowproxy and
  // flowproxy after haproxy; the real image guarantees none of that.
  auto t = makeTimeline(p, {.offset = {{"persistent-setup", 0.1}, {"hostname-set", 5.0}, {"rbuilder-operator", 0.2},
                                       {"flowproxy", 9.0}, {"haproxy", 20.0}, {"lighthouse", 0.1}, {"reth", 3.0}}});
  EXPECT_LT(*step(t, "persistent-setup").finished_s, *step(t, "hostname-set").started_s);
  EXPECT_LT(*step(t, "rbuilder-operator").started_s, *step(t, "flowproxy").started_s);
  EXPECT_LT(*step(t, "flowproxy").started_s, *step(t, "haproxy").started_s);
  EXPECT_LT(*step(t, "lighthouse").started_s, *step(t, "reth").started_s);
  auto check = bnet::checkBootOrder(p, t);
  EXPECT_TRUE(check.ok()) << check.describe();
}

TEST(BootOrder, AOneshotOrdersFromItsExitAnExecUnitFromItsStart) {
  const ImageProfile& p = profile("buildernet");
  auto t = makeTimeline(p);
  // attested-tls-proxy-client is exec: render-config may start while it runs.
  step(t, "attested-tls-proxy-client").finished_s = *step(t, "attested-tls-proxy-client").started_s + 0.01;
  EXPECT_TRUE(bnet::checkBootOrder(p, t).ok());
  // render-config is a oneshot: hostname-set must wait for its exit.
  auto& render = step(t, "render-config");
  render.finished_s = *step(t, "hostname-set").started_s + 1;
  auto check = bnet::checkBootOrder(p, t);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.violations[0].rule, "2.2");
  EXPECT_THAT(check.violations[0].what, ::testing::HasSubstr("before render-config (oneshot) finished"));
  // Still running (no end yet) while a successor started: a violation too.
  render.finished_s.reset();
  render.active_state = "activating";
  EXPECT_FALSE(bnet::checkBootOrder(p, t).ok());
  // Failed, with its end unknown: not checked rather than guessed.
  render.active_state = "failed";
  auto failed = bnet::checkBootOrder(p, t);
  EXPECT_TRUE(failed.ok()) << failed.describe();
  EXPECT_FALSE(failed.not_checked.empty());
}

TEST(BootOrder, UnitsThatDidNotStartOrAreAbsentAreNotRequired) {
  const ImageProfile& p = profile("buildernet");
  auto t = makeTimeline(p);
  step(t, "reth-sync").started_s.reset();  // disabled in playground builds
  step(t, "reth-sync").finished_s.reset();
  auto check = bnet::checkBootOrder(p, t);
  EXPECT_TRUE(check.ok()) << check.describe();
  bool reported = false;
  for (const auto& n : check.not_checked) reported = reported || n.what == "reth-sync did not start this boot";
  EXPECT_TRUE(reported) << check.describe();
  // The twin has no reth: the rules about it do not apply to the twin at all.
  for (const auto& e : bnet::orderEdges(profile("twin"))) {
    EXPECT_NE(e.first, "reth");
    EXPECT_NE(e.then, "reth");
  }
}

TEST(BootOrder, UnorderedPairsAreOrderedByNoChainOfRules) {
  const ImageProfile& p = profile("buildernet");
  std::map<std::string, std::set<std::string>> after;  // unit -> units reachable from it
  const auto edges = bnet::orderEdges(p);
  for (const auto& u : p.unitNames()) {
    std::set<std::string> seen;
    std::vector<std::string> todo = {u};
    while (!todo.empty()) {
      auto x = todo.back();
      todo.pop_back();
      for (const auto& e : edges) {
        if (e.first == x && seen.insert(e.then).second) todo.push_back(e.then);
      }
    }
    after[u] = seen;
  }
  ASSERT_FALSE(p.unordered.empty());
  for (const auto& [a, b] : p.unordered) {
    EXPECT_FALSE(after[a].count(b)) << a << " -> " << b << " follows from the rules, but the profile says unordered";
    EXPECT_FALSE(after[b].count(a)) << b << " -> " << a << " follows from the rules, but the profile says unordered";
  }
}

TEST(BootOrder, RulesFollowFromTheUnitsEdges) {
  // Each rule's edge is an After= of `then` or a Before= of `first`, or (for the rules over
  // every unit with default dependencies) a Before= of a target those units follow.
  const ImageProfile& p = profile("buildernet");
  for (const auto& e : bnet::orderEdges(p)) {
    const auto& a = *p.findUnit(e.first);
    const auto& b = *p.findUnit(e.then);
    auto has = [](const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); };
    const bool direct = has(b.after, a.name) || has(a.before, b.name);
    const bool via_target = b.default_dependencies && (has(a.before, "basic.target") || has(a.before, "local-fs.target"));
    EXPECT_TRUE(direct || via_target) << "rule " << e.rule << ": " << e.first << " -> " << e.then
                                      << " is not an After=/Before= edge of the units";
  }
}

}  // namespace
