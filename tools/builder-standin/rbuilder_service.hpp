#pragma once
#include "tools/builder-standin/log.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"

namespace bnet::standin {

// Runs the rbuilder mode until stop is requested: the JSON-RPC order input, the redacted
// (/livez, /readyz) and full (/debug/metrics/prometheus) telemetry servers, and the slot
// loop (beacon SSE payload_attributes -> parent from the EL -> block from the pool -> bids to
// the relays that have the slot's validator registration). Returns the exit code (1 when a
// server cannot start). Never logs a key.
int runRbuilder(const RbuilderConfig& config, const StopSignal& stop, Logger& log);

}  // namespace bnet::standin
