#include "framework/artifacts/redactor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "framework/artifacts/log_writer.hpp"
#include "tests/artifacts/run_binary.hpp"

namespace {

using e2e::Redactor;
using e2e::testing::readFile;
using e2e::testing::TempDir;

TEST(Redactor, ReplacesEveryRegisteredSecret) {
  Redactor r;
  ASSERT_TRUE(r.registerSecret("s3cret-token"));
  ASSERT_TRUE(r.registerSecret("passw0rd"));
  EXPECT_EQ(r.redact("a s3cret-token b passw0rd c s3cret-token"),
            "a [REDACTED] b [REDACTED] c [REDACTED]");
  EXPECT_EQ(r.redact("nothing here"), "nothing here");
}

TEST(Redactor, IgnoresEmptyAndShortValues) {
  Redactor r;
  EXPECT_FALSE(r.registerSecret(""));
  EXPECT_FALSE(r.registerSecret("abc"));
  EXPECT_TRUE(r.registerSecret("abcd"));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.redact("abc abcd"), "abc [REDACTED]");
}

TEST(Redactor, MasksTheLongestSecretWhole) {
  Redactor r;
  r.registerSecret("key1");
  r.registerSecret("key1-extended");
  EXPECT_EQ(r.redact("x key1-extended y key1 z"), "x [REDACTED] y [REDACTED] z");
}

TEST(Redactor, SecretThatLooksLikeTheMaskIsNotMatchedTwice) {
  Redactor r;
  r.registerSecret("DACT");
  r.registerSecret("value-DACT");
  EXPECT_EQ(r.redact("value-DACT DACT"), "[REDACTED] [REDACTED]");
}

TEST(Redactor, IsSafeToUseFromManyThreads) {
  Redactor r;
  std::atomic<int> missed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, &missed, t] {
      for (int i = 0; i < 200; ++i) {
        r.registerSecret("secret-" + std::to_string(t) + "-" + std::to_string(i));
        std::string line = "use secret-" + std::to_string(t) + "-" + std::to_string(i) + " now";
        if (r.redact(line) != "use [REDACTED] now") ++missed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(missed.load(), 0);
  EXPECT_EQ(r.size(), 800u);
}

TEST(RedactFileInPlace, RewritesAFileThatHoldsASecret) {
  TempDir tmp;
  Redactor r;
  r.registerSecret("child-api-key-123");
  auto p = tmp.path() / "child.log";
  std::ofstream(p) << "starting\nusing child-api-key-123 to connect\ndone\n";
  EXPECT_TRUE(e2e::redactFileInPlace(p, r));
  EXPECT_EQ(readFile(p), "starting\nusing [REDACTED] to connect\ndone\n");
}

TEST(RedactFileInPlace, LeavesACleanFileAlone) {
  TempDir tmp;
  Redactor r;
  r.registerSecret("child-api-key-123");
  auto p = tmp.path() / "clean.log";
  std::ofstream(p) << "nothing secret\n";
  EXPECT_FALSE(e2e::redactFileInPlace(p, r));
  EXPECT_EQ(readFile(p), "nothing secret\n");
}

TEST(RedactFileInPlace, KeepsAppendingWriterWorking) {
  TempDir tmp;
  Redactor r;
  r.registerSecret("long-enough-secret");
  auto p = tmp.path() / "live.log";
  std::ofstream live(p, std::ios::app);
  live << "first long-enough-secret line\n" << std::flush;
  EXPECT_TRUE(e2e::redactFileInPlace(p, r));
  live << "after redaction\n" << std::flush;
  EXPECT_EQ(readFile(p), "first [REDACTED] line\nafter redaction\n");
}

TEST(RedactFileInPlace, NamesAMissingFile) {
  Redactor r;
  r.registerSecret("whatever-secret");
  try {
    e2e::redactFileInPlace("/nonexistent/dir/x.log", r);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.log"), std::string::npos) << e.what();
  }
}

TEST(RedactingLogWriter, RedactsASecretSplitAcrossWrites) {
  TempDir tmp;
  Redactor r;
  r.registerSecret("split-secret-value");
  auto p = tmp.path() / "stream.log";
  {
    auto w = e2e::RedactingLogWriter::open(p, r);
    w->write("token split-sec");
    w->write("ret-value end\nnext ");
    EXPECT_EQ(readFile(p), "token [REDACTED] end\n");  // the partial line waits for its end
    w->write("line\n");
    w->write("partial split-secret-value");
  }
  EXPECT_EQ(readFile(p), "token [REDACTED] end\nnext line\npartial [REDACTED]");
}

}  // namespace
