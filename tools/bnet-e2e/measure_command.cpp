// bnet-e2e measure IMAGE_DIR [--measurement-id ID]
// bnet-e2e measure --measurements-file FILE
// Prints the measurement JSON an image presents, in the shape BuilderHub's admin API takes
// (builderhub-api.md §5.1): for a twin image, computed from its parts (see
// fixtures/hub/twin_measurement.hpp for the register layout, type "bnet-twin"); for a
// real image, a measurements file in the real shape, validated and printed back.
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "fixtures/hub/twin_measurement.hpp"
#include "tools/bnet-e2e/commands.hpp"

namespace bnet::cli {
namespace {

struct MeasureOptions {
  std::string image_dir;
  std::string measurement_id;
  std::string measurements_file;
  std::string output;
};

void runMeasure(const MeasureOptions& o) {
  nlohmann::json out;
  try {
    if (!o.measurements_file.empty()) {
      auto records = readMeasurementsFile(o.measurements_file);
      if (records.size() == 1) {
        out = records.front().toJson();
      } else {
        out = nlohmann::json::array();
        for (const auto& r : records) out.push_back(r.toJson());
      }
    } else {
      if (o.image_dir.empty()) throw std::invalid_argument("give IMAGE_DIR (a twin image) or --measurements-file FILE");
      out = measureTwinImage(TwinImage::open(o.image_dir), o.measurement_id).toJson();
    }
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, e.what());
  }
  auto text = out.dump(2) + "\n";
  if (o.output.empty()) {
    fmt::print("{}", text);
  } else {
    std::ofstream f(o.output, std::ios::trunc);
    if (!(f << text)) throw CommandError(kExitFailed, fmt::format("cannot write {}", o.output));
  }
}

}  // namespace

void addMeasureCommand(CLI::App& app) {
  auto o = std::make_shared<MeasureOptions>();
  auto* cmd = app.add_subcommand("measure", "print the measurement JSON of an image");
  cmd->add_option("IMAGE_DIR", o->image_dir, "twin image folder (vmlinuz, initrd.img, rootfs.*, manifest.json)");
  cmd->add_option("--measurement-id", o->measurement_id, "record id (default: bnet-twin-<16 hex of register 4>)");
  auto* file = cmd->add_option("--measurements-file", o->measurements_file,
                               "a real image's measurements (record or array of records): validated and printed");
  cmd->add_option("--output,-o", o->output, "write to this file instead of stdout");
  file->excludes(cmd->get_option("--measurement-id"));
  cmd->callback([o] { runMeasure(*o); });
}

}  // namespace bnet::cli
